import { bearer } from "../auth.ts";
import type { Services } from "../services/index.ts";
import type { Handlers } from "./register.ts";

/** The agent side: enrollment and reports. */
export function agentHandlers(services: Services) {
  return {
    enroll: async (request) =>
      services.hosts.enroll(request.body, bearer(request.headers.authorization)),
    sendReport: async (request, reply) => {
      const { duplicate, ...accepted } = await services.ingest.accept(
        request.caller.node!,
        request.body,
      );
      if (duplicate) reply.header("idempotent-replayed", "true");
      reply.code(201);
      return accepted;
    },
    sendDelta: async (request, reply) => {
      const { duplicate, ...accepted } = await services.ingest.acceptDelta(
        request.caller.node!,
        request.body,
      );
      if (duplicate) reply.header("idempotent-replayed", "true");
      reply.code(201);
      return accepted;
    },
  } satisfies Pick<Handlers, "enroll" | "sendReport" | "sendDelta">;
}
