import type { Services } from "../services/index.ts";
import type { Handlers } from "./register.ts";

/** What a caller is told when the database is down: the component, never its address. */
const DATABASE_DOWN = "the database does not answer";

/**
 * GET /health needs no token: load balancers and agents use it. 503 says which component
 * is down, never where it is: the database's own error (its address, user, name) goes to
 * the log only. /livez never touches the database (a restart would not bring it back);
 * /readyz does, for readiness probes.
 */
export function healthHandlers(services: Services) {
  return {
    health: async (request, reply) => {
      const health = await services.health.check();
      if (health.database.ok) return health;
      request.log.warn({ database: health.database }, "health: the database is down");
      reply.code(503).header("retry-after", "5");
      return { ...health, database: { ...health.database, error: DATABASE_DOWN } };
    },
    livez: async () => ({ status: "ok" as const, version: services.health.version }),
    readyz: async (request, reply) => {
      const { database } = await services.health.check();
      if (database.ok) return { status: "ready" as const, database };
      request.log.warn({ database }, "readyz: the database is down");
      reply.code(503).header("retry-after", "5");
      return { status: "not_ready" as const, database: { ...database, error: DATABASE_DOWN } };
    },
  } satisfies Pick<Handlers, "health" | "livez" | "readyz">;
}
