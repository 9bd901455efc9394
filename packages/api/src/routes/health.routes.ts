import type { Services } from "../services/index.ts";
import type { Handlers } from "./register.ts";

/**
 * GET /health needs no token: load balancers and agents use it. 503 says which component
 * is down, never where it is: the database's own error (its address, user, name) goes to
 * the log only.
 */
export function healthHandlers(services: Services) {
  return {
    health: async (request, reply) => {
      const health = await services.health.check();
      if (health.database.ok) return health;
      request.log.warn({ database: health.database }, "health: the database is down");
      reply.code(503).header("retry-after", "5");
      return {
        ...health,
        database: { ...health.database, error: "the database does not answer" },
      };
    },
  } satisfies Pick<Handlers, "health">;
}
