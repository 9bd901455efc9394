import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import type { RouteContext } from "../app.ts";

const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal("ok"), Type.Literal("degraded")]),
  health: Type.Union([Type.Literal("ok"), Type.Literal("degraded")], {
    description: "The same as status, in the shape the older os_inspector clients read",
  }),
  version: Type.String(),
  database: Type.Object({
    engine: Type.String(),
    ok: Type.Boolean(),
    error: Type.Optional(Type.String()),
  }),
});

/** GET /health needs no token: load balancers and agents use it. 503 says what is down. */
export function healthRoutes(ctx: RouteContext, version: string): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      "/health",
      { schema: { tags: ["health"], response: { 200: HealthSchema, 503: HealthSchema } } },
      async (_request, reply) => {
        try {
          await Promise.race([
            ctx.store.ping(),
            new Promise((_, reject) =>
              setTimeout(() => reject(new Error("no answer within 2 s")), 2000).unref(),
            ),
          ]);
          return {
            status: "ok" as const,
            health: "ok" as const,
            version,
            database: { engine: ctx.store.engine, ok: true },
          };
        } catch (e) {
          reply.code(503).header("retry-after", "5");
          return {
            status: "degraded" as const,
            health: "degraded" as const,
            version,
            database: {
              engine: ctx.store.engine,
              ok: false,
              error: (e as Error).message.slice(0, 200),
            },
          };
        }
      },
    );
  };
}
