import type { Services } from "../services/index.ts";
import type { Handlers } from "./register.ts";

/** GET /health needs no token: load balancers and agents use it. 503 says what is down. */
export function healthHandlers(services: Services) {
  return {
    health: async (_request, reply) => {
      const health = await services.health.check();
      if (!health.database.ok) reply.code(503).header("retry-after", "5");
      return health;
    },
  } satisfies Pick<Handlers, "health">;
}
