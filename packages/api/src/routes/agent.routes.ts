import type { ReportAccepted } from "@compliance/contract";
import type { FastifyReply } from "fastify";
import { bearer } from "../auth.ts";
import type { Services } from "../services/index.ts";
import type { Handlers } from "./register.ts";

/** A stored report's answer, whole or delta: 201, marked when it was a resend. */
function answer(
  reply: FastifyReply,
  { duplicate, ...accepted }: ReportAccepted & { duplicate: boolean },
): ReportAccepted {
  if (duplicate) reply.header("idempotent-replayed", "true");
  reply.code(201);
  return accepted;
}

/** The agent side: enrollment and reports. */
export function agentHandlers(services: Services) {
  return {
    enroll: async (request) =>
      services.hosts.enroll(request.body, bearer(request.headers.authorization)),
    sendReport: async (request, reply) =>
      answer(reply, await services.ingest.accept(request.caller.node!, request.body)),
    sendDelta: async (request, reply) =>
      answer(reply, await services.ingest.acceptDelta(request.caller.node!, request.body)),
  } satisfies Pick<Handlers, "enroll" | "sendReport" | "sendDelta">;
}
