import Type, { type Static } from "typebox";
import { PolicyStatusSchema, ReasonSchema, SeveritySchema } from "./policy.ts";

/**
 * The API's answers about policies, their results over time, background jobs and
 * webhooks. Statuses come from runs: a policy had one status on a host from one execution
 * to another, so "since when" and "at time T" are direct reads.
 */

const Time = (description: string) => Type.String({ format: "date-time", description });

/** Hosts by status; `unevaluated`: hosts with executions but no result yet. */
export const StatusCountsSchema = Type.Object({
  pass: Type.Integer(),
  fail: Type.Integer(),
  unknown: Type.Integer(),
  not_applicable: Type.Integer(),
  unevaluated: Type.Integer({
    description: "Hosts with history but no result of this version yet (its evaluation runs)",
  }),
});
export type StatusCounts = Static<typeof StatusCountsSchema>;

export const PolicyInfoSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  severity: SeveritySchema,
  enabled: Type.Boolean(),
  version: Type.Integer({ description: "Every change of the document is a new version" }),
  origin: Type.Union([Type.Literal("api"), Type.Literal("directory"), Type.Literal("starter")], {
    description: "Where it came from: the API or CLI, COMPLIANCE_POLICY_DIR, the starter pack",
  }),
  created_at: Time("First stored"),
  updated_at: Time("Last changed"),
  tags: Type.Array(Type.String()),
  counts: StatusCountsSchema,
});
export type PolicyInfo = Static<typeof PolicyInfoSchema>;

export const PolicyDetailSchema = Type.Intersect([
  PolicyInfoSchema,
  Type.Object({
    document: Type.Unknown({ description: "The policy document, as PolicySchema describes it" }),
    job_id: Type.Union([Type.Integer(), Type.Null()], {
      description: "The evaluation over the stored history this change queued",
    }),
  }),
]);
export type PolicyDetail = Static<typeof PolicyDetailSchema>;

/**
 * A policy document (PolicySchema), or `{ "text": … }` with its YAML or JSON text. Checked
 * by the policy validator rather than by the route, so a mistake is named at its field (or
 * line) instead of as a mismatch of the whole union.
 */
export const PolicyWriteSchema = Type.Object(
  {
    text: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1_000_000,
        description: "The policy as YAML or JSON text, as in a policy file",
      }),
    ),
  },
  { additionalProperties: true, description: "A policy document, or its YAML/JSON text" },
);

export const HostPolicyStatusSchema = Type.Object({
  policy_id: Type.String(),
  name: Type.String(),
  severity: SeveritySchema,
  version: Type.Integer(),
  status: Type.Union([PolicyStatusSchema, Type.Literal("unevaluated")]),
  since: Type.Union([Time("collected_at of the first execution of this status"), Type.Null()]),
  reasons: Type.Array(ReasonSchema, { description: "Why, at this execution" }),
});
export type HostPolicyStatus = Static<typeof HostPolicyStatusSchema>;

export const HostPoliciesSchema = Type.Object({
  host_id: Type.Integer(),
  report_id: Type.String({ description: "The execution the statuses are about" }),
  collected_at: Type.String(),
  items: Type.Array(HostPolicyStatusSchema),
  counts: StatusCountsSchema,
});
export type HostPolicies = Static<typeof HostPoliciesSchema>;

export const PolicyHostSchema = Type.Object({
  host_id: Type.Integer(),
  hostname: Type.String(),
  status: PolicyStatusSchema,
  since: Time("collected_at of the first execution of this status"),
  collected_at: Time("The execution the status is about"),
});
export type PolicyHost = Static<typeof PolicyHostSchema>;

export const PolicyHistoryPointSchema = Type.Intersect([
  Type.Object({ at: Time("The time of the counts") }),
  StatusCountsSchema,
]);
export const PolicyHistorySchema = Type.Object({
  policy_id: Type.String(),
  version: Type.Integer(),
  points: Type.Array(PolicyHistoryPointSchema),
});
export type PolicyHistory = Static<typeof PolicyHistorySchema>;

export const ComplianceSchema = Type.Object({
  at: Type.Union([Time("The time asked about"), Type.Null()]),
  hosts: Type.Integer({ description: "Hosts with history at that time" }),
  compliant_hosts: Type.Integer({ description: "Hosts failing no enabled policy" }),
  by_severity: Type.Record(Type.String(), StatusCountsSchema, {
    description: "Results by the policies' severity",
  }),
  policies: Type.Array(
    Type.Object({
      policy_id: Type.String(),
      name: Type.String(),
      severity: SeveritySchema,
      counts: StatusCountsSchema,
    }),
  ),
});
export type Compliance = Static<typeof ComplianceSchema>;

export const PolicyTestSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      host_id: Type.Integer(),
      hostname: Type.String(),
      report_id: Type.String(),
      collected_at: Type.String(),
      status: PolicyStatusSchema,
      reasons: Type.Array(ReasonSchema),
    }),
  ),
});
export type PolicyTest = Static<typeof PolicyTestSchema>;

export const JobSchema = Type.Object({
  id: Type.Integer(),
  kind: Type.String({ description: "evaluate-policy: a policy version over the stored history" }),
  subject: Type.String({ description: "What it works on, e.g. the policy id and version" }),
  status: Type.Union([
    Type.Literal("queued"),
    Type.Literal("running"),
    Type.Literal("done"),
    Type.Literal("failed"),
  ]),
  total: Type.Integer({ description: "Hosts to go through" }),
  done: Type.Integer({ description: "Hosts gone through" }),
  error: Type.Union([Type.String(), Type.Null()]),
  created_at: Time("Queued"),
  started_at: Type.Union([Time("Started"), Type.Null()]),
  finished_at: Type.Union([Time("Finished"), Type.Null()]),
});
export type Job = Static<typeof JobSchema>;

export const WEBHOOK_EVENTS = ["failing", "passing", "unknown"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const WebhookSchema = Type.Object({
  id: Type.Integer(),
  url: Type.String(),
  events: Type.Array(Type.Enum(WEBHOOK_EVENTS), {
    description: "failing: a host starts failing a policy; passing: passes again; unknown",
  }),
  created_at: Time("Created"),
});
export type Webhook = Static<typeof WebhookSchema>;

export const WebhookCreateSchema = Type.Object(
  {
    url: Type.String({
      minLength: 8,
      maxLength: 2048,
      pattern: "^https?://",
      description: "http(s) URL",
    }),
    events: Type.Optional(
      Type.Array(Type.Enum(WEBHOOK_EVENTS), { minItems: 1, maxItems: 3, uniqueItems: true }),
    ),
  },
  { additionalProperties: false },
);

export const WebhookCreatedSchema = Type.Intersect([
  WebhookSchema,
  Type.Object({
    secret: Type.String({
      description:
        "Signs every delivery: header x-compliance-signature is sha256= and the hex of " +
        "HMAC-SHA256(secret, timestamp + '.' + body), the timestamp being header " +
        "x-compliance-timestamp. Shown only now.",
    }),
  }),
]);

export const DeliverySchema = Type.Object({
  id: Type.Integer(),
  event_id: Type.Integer(),
  status: Type.Union([Type.Literal("pending"), Type.Literal("delivered"), Type.Literal("failed")]),
  attempts: Type.Integer(),
  last_status: Type.Union([Type.Integer(), Type.Null()], {
    description: "HTTP status of the last attempt",
  }),
  last_error: Type.Union([Type.String(), Type.Null()]),
  created_at: Time("Queued"),
  delivered_at: Type.Union([Time("Delivered"), Type.Null()]),
  payload: Type.Unknown({ description: "The event as sent" }),
});
export type Delivery = Static<typeof DeliverySchema>;

/** The body of a webhook delivery: one change of a host's status of a policy. */
export const WebhookPayloadSchema = Type.Object({
  event: Type.Enum(WEBHOOK_EVENTS),
  event_id: Type.Integer(),
  policy: Type.Object({
    id: Type.String(),
    name: Type.String(),
    severity: SeveritySchema,
    version: Type.Integer(),
  }),
  host: Type.Object({ id: Type.Integer(), hostname: Type.String() }),
  before: Type.Union([PolicyStatusSchema, Type.Null()]),
  after: PolicyStatusSchema,
  report_id: Type.String(),
  collected_at: Type.String(),
  received_at: Type.String(),
});
export type WebhookPayload = Static<typeof WebhookPayloadSchema>;
