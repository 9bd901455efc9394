import { ErrorSchema, FleetSummarySchema } from "@compliance/contract";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { RouteContext } from "../app.ts";
import { readerSecurity, requireToken } from "./common.ts";

const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  503: ErrorSchema,
};

/** Fleet-wide questions: the overview and the searches across hosts. */
export function fleetRoutes(ctx: RouteContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      "/summary",
      {
        onRequest: requireToken(ctx),
        schema: {
          tags: ["fleet"],
          summary: "The fleet at a glance",
          description:
            "Hosts online (reported within two agent intervals), offline and never reported; OS and CPU " +
            "breakdowns; processes and sessions now; the most recently changed hosts.",
          security: readerSecurity,
          response: { 200: FleetSummarySchema, ...errors },
        },
      },
      async () => ctx.store.fleet.summary(),
    );
  };
}
