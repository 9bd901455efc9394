import Type, { type Static } from "typebox";
import { ROUTES } from "./routes.ts";

/**
 * Operating the API: probes for orchestrators and load balancers, and the audit trail of
 * what admins did.
 */

export const LiveSchema = Type.Object({
  status: Type.Literal("ok"),
  version: Type.String(),
});
export type Live = Static<typeof LiveSchema>;

export const ReadySchema = Type.Object({
  status: Type.Union([Type.Literal("ready"), Type.Literal("not_ready")]),
  /** Each component the API needs to serve; only the database today. */
  database: Type.Object({
    engine: Type.String(),
    ok: Type.Boolean(),
    error: Type.Optional(Type.String({ description: "Which component is down, never where" })),
  }),
});
export type Ready = Static<typeof ReadySchema>;

/** Every action the audit trail records. */
export const AUDIT_ACTIONS = [
  "token.create",
  "token.revoke",
  "host.delete",
  "host.revoke_key",
  "policy.put",
  "policy.delete",
  "webhook.create",
  "webhook.delete",
  "retention.prune",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AuditEntrySchema = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: "date-time" }),
  actor: Type.String({
    description:
      "Who: token:<id> (a stored token), admin-token (the configured one), cli or system",
  }),
  actor_name: Type.Union([Type.String(), Type.Null()], { description: "The token's name" }),
  action: Type.Enum(AUDIT_ACTIONS),
  target: Type.Union([Type.String(), Type.Null()], {
    description: "What it was done to: token:<id>, host:<id>, policy:<id>, webhook:<id>",
  }),
  details: Type.Record(Type.String(), Type.Unknown(), {
    description: "What changed, never a secret",
  }),
});
export type AuditEntry = Static<typeof AuditEntrySchema>;

export const AuditQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e9 })),
  action: Type.Optional(Type.Enum(AUDIT_ACTIONS)),
  actor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: "actor, or the token's name" }),
  ),
  from: Type.Optional(Type.String({ format: "date-time", description: "at or after" })),
  to: Type.Optional(Type.String({ format: "date-time", description: "at or before" })),
});

export const opsOperations = {
  livez: {
    ...ROUTES.livez,
    tags: ["health"],
    summary: "Whether the process runs (no token; never asks the database)",
    description:
      "For liveness probes: failing means restart the process. The database being down is not a reason.",
    response: { 200: LiveSchema },
  },
  readyz: {
    ...ROUTES.readyz,
    tags: ["health"],
    summary: "Whether the API can serve now (no token; asks the database)",
    description:
      "For readiness probes and load balancers: 503 with Retry-After while the database does not " +
      "answer or the API is shutting down; the answer names the component, never its address.",
    response: { 200: ReadySchema, 503: ReadySchema },
  },
  listAudit: {
    ...ROUTES.listAudit,
    tags: ["audit"],
    summary: "The audit trail of admin actions, newest first (admin)",
    description: "Filters: action, actor (or the token's name), from and to (times).",
    querystring: AuditQuerySchema,
    response: {
      200: Type.Object({
        items: Type.Array(AuditEntrySchema),
        total: Type.Integer(),
        limit: Type.Integer(),
        offset: Type.Integer(),
      }),
    },
    page: { defaultLimit: 100, maxLimit: 1000, sorts: [] },
  },
} as const;
