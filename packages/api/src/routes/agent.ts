import {
  EnrollRequestSchema,
  EnrollResponseSchema,
  ErrorSchema,
  ReportAcceptedSchema,
  ReportSchema,
  reportRules,
} from "@compliance/contract";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { RouteContext } from "../app.ts";
import { authenticateNode, hashSecret, newSecret, sameHash } from "../auth.ts";
import { badRequest, forbidden, unauthorized } from "../errors.ts";

/** How far ahead of the API's clock a report may claim to be collected. */
const MAX_CLOCK_AHEAD_MS = 24 * 3600_000;

const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  409: ErrorSchema,
  413: ErrorSchema,
  503: ErrorSchema,
};

/** The host each authenticated report request writes, set before its body is read. */
const nodes = new WeakMap<object, { id: number; identifier: string }>();

/** The agent side: enrollment and reports. */
export function agentRoutes(ctx: RouteContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      "/enroll",
      {
        schema: {
          tags: ["agent"],
          summary: "Trade the enroll secret for this host's node key",
          description:
            "Creates the host with this identifier, or gives it a new node key (the old key stops working).",
          body: EnrollRequestSchema,
          response: { 200: EnrollResponseSchema, ...errors },
        },
      },
      async (request) => {
        const { enroll_secret, host_identifier, hostname } = request.body;
        if (!sameHash(hashSecret(enroll_secret), ctx.secrets.enrollSecretHash)) {
          throw unauthorized("the enroll secret is not valid", "invalid_enroll_secret");
        }
        if (host_identifier.startsWith("legacy:")) {
          throw badRequest("invalid_request", "body/host_identifier must not start with legacy:", [
            { path: "body/host_identifier", message: "must not start with legacy:" },
          ]);
        }
        const nodeKey = newSecret();
        const { hostId } = await ctx.store.hosts.enroll({
          identifier: host_identifier,
          hostname: hostname ?? "",
          nodeKeyHash: hashSecret(nodeKey),
          source: "agent",
        });
        return { node_key: nodeKey, host_id: hostId };
      },
    );

    app.post(
      "/reports",
      {
        schema: {
          tags: ["agent"],
          summary: "Send a report (one execution of this host)",
          description:
            "Authenticated by the host's node key, which can only write its own host. Resending a " +
            "report_id returns the first answer and stores nothing new (header idempotent-replayed: true).",
          security: [{ nodeKey: [] }],
          body: ReportSchema,
          response: { 201: ReportAcceptedSchema, ...errors },
        },
        // Authenticate before reading a possibly large body.
        onRequest: async (request) => {
          nodes.set(request, await authenticateNode(request, ctx.store));
        },
      },
      async (request, reply) => {
        const host = nodes.get(request)!;
        const report = request.body;
        const problems = reportRules(report);
        if (problems.length > 0) {
          const details = problems.map((p) => ({ path: `body${p.path}`, message: p.message }));
          throw badRequest(
            "invalid_request",
            `${details[0]!.path} ${details[0]!.message}`,
            details,
          );
        }
        if (report.host.identifier !== host.identifier) {
          throw forbidden(
            "host_mismatch",
            "this node key belongs to another host than body/host/identifier; enroll this host with its own identifier",
          );
        }
        const collected = Date.parse(report.collected_at);
        if (collected > ctx.now() + MAX_CLOCK_AHEAD_MS) {
          throw badRequest(
            "invalid_request",
            "body/collected_at is more than a day ahead of the API's clock",
            [{ path: "body/collected_at", message: "is more than a day ahead of the API's clock" }],
          );
        }
        if (collected < Date.UTC(2000, 0, 1)) {
          throw badRequest("invalid_request", "body/collected_at is before 2000", [
            { path: "body/collected_at", message: "is before 2000" },
          ]);
        }
        const outcome = await ctx.store.ingest(host.id, report, ctx.now());
        if (outcome.duplicate) reply.header("idempotent-replayed", "true");
        reply.code(201);
        return {
          status: "stored" as const,
          report_id: outcome.execution.reportId,
          host_id: outcome.execution.hostId,
          received_at: new Date(outcome.execution.receivedAt).toISOString(),
        };
      },
    );
  };
}
