import Type, { type Static, type TSchema } from "typebox";
import { activityOperations } from "./activity-api.ts";
import {
  ACCOUNT_SORT_KEYS,
  AccountPageSchema,
  ChangeFeedSchema,
  CpuPointSchema,
  DiffSchema,
  EnrollRequestSchema,
  EnrollResponseSchema,
  EXECUTION_SORT_KEYS,
  ExecutionPickQuerySchema,
  ExecutionSchema,
  FleetSummarySchema,
  HOST_SORT_KEYS,
  HostListQuerySchema,
  HostSchema,
  INVENTORY_TABLES,
  InventoryRowSchema,
  LISTENING_SORT_KEYS,
  ListeningPageSchema,
  ListeningSearchHitSchema,
  PACKAGE_SORT_KEYS,
  PackagePageSchema,
  PackageSearchHitSchema,
  Page,
  PageQuerySchema,
  PROCESS_SORT_KEYS,
  ProcessPageSchema,
  ProcessSearchHitSchema,
  ReportAcceptedSchema,
  SERVICE_SORT_KEYS,
  SESSION_SORT_KEYS,
  ServicePageSchema,
  SessionPageSchema,
  SessionSearchHitSchema,
  SettingsSnapshotSchema,
  SnapshotQuerySchema,
  TokenRoleSchema,
  WhoAmISchema,
} from "./api.ts";
import { DeltaReportSchema } from "./delta-schema.ts";
import { opsOperations } from "./ops-api.ts";
import { PolicyStatusSchema } from "./policy.ts";
import {
  ComplianceSchema,
  DeliverySchema,
  HostPoliciesSchema,
  JobSchema,
  PolicyDetailSchema,
  PolicyHistorySchema,
  PolicyHostSchema,
  PolicyInfoSchema,
  PolicyTestSchema,
  PolicyWriteSchema,
  WebhookCreatedSchema,
  WebhookCreateSchema,
  WebhookSchema,
} from "./policy-api.ts";
import { LIMITS, ReportSchema } from "./report.ts";
import { type Auth, ROUTES, type RouteName } from "./routes.ts";

/**
 * Every operation of the API: its route (routes.ts), its schemas and how its lists page.
 * The API registers its routes from this table, validates with these schemas and publishes
 * them as its OpenAPI document; the console types its client from it.
 */
export interface Operation {
  method: string;
  path: string;
  auth: Auth;
  tags: readonly string[];
  summary: string;
  description?: string;
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  /** The answers on success, by status. Errors are added by who may call it (ERRORS). */
  response: Record<number, TSchema>;
  /** A list: its default and largest page, and the fields it sorts by. */
  page?: { defaultLimit: number; maxLimit: number; sorts: readonly string[] };
  /** Also answers text/csv (`format=csv` or `Accept: text/csv`). */
  csv?: true;
}

/**
 * An id in a path, query or body: bounded, so a number no column holds (1e20,
 * 9223372036854775808) is a 400 naming the field rather than a database error.
 */
export const MAX_ID = 2 ** 52;
const Id = (description?: string) =>
  Type.Integer({ minimum: 1, maximum: MAX_ID, ...(description ? { description } : {}) });

export const HostParamsSchema = Type.Object({ id: Id("Host id") });
const RangeFields = {
  from: Type.Optional(
    Type.String({ format: "date-time", description: "collected_at at or after" }),
  ),
  to: Type.Optional(Type.String({ format: "date-time", description: "collected_at at or before" })),
};
const Limit = (max: number) => Type.Optional(Type.Integer({ minimum: 1, maximum: max }));
const Offset = PageQuerySchema.properties.offset;

export const HealthSchema = Type.Object({
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
export type Health = Static<typeof HealthSchema>;

export const TokenSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  role: TokenRoleSchema,
  created_at: Type.String({ format: "date-time" }),
  last_used_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()], {
    description: "When the token was last used, to the minute",
  }),
});
export type Token = Static<typeof TokenSchema>;

export const CreateTokenRequestSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: LIMITS.name }),
    role: TokenRoleSchema,
  },
  { additionalProperties: false },
);

const Nothing = Type.Null({ description: "No content" });

/** A read of one inventory section of an execution, paged like the process list. */
function section<R extends RouteName, T extends TSchema, K extends readonly string[]>(
  route: R,
  what: string,
  page: T,
  sorts: K,
  defaultLimit: number,
  maxLimit: number,
  matches: string,
) {
  return {
    ...ROUTES[route],
    tags: ["history"],
    summary: `${what} on a host: now, at a time, or at an execution`,
    description:
      "`at` picks the execution in effect at that time; `report` picks one; neither: the latest. " +
      `\`known: false\` means the agent did not collect this there: unknown, not none. \`q\` matches ${matches}. ` +
      `Sort by: ${sorts.join(", ")}.`,
    params: HostParamsSchema,
    querystring: SnapshotQuerySchema,
    response: { 200: page },
    page: { defaultLimit, maxLimit, sorts },
  } as const;
}

const agentOperations = {
  enroll: {
    ...ROUTES.enroll,
    tags: ["agent"],
    summary: "Trade the enroll secret for this host's node key",
    description:
      "Creates the host with this identifier, or gives it a new node key (the old key stops working). " +
      "A host that has a node key keeps it (409 host_enrolled) unless the request sends that key " +
      "(Authorization: Bearer <node_key>) or an admin revoked it (POST /api/v1/hosts/{id}/revoke-key).",
    body: EnrollRequestSchema,
    response: { 200: EnrollResponseSchema },
  },
  sendReport: {
    ...ROUTES.sendReport,
    tags: ["agent"],
    summary: "Send a report (one execution of this host)",
    description:
      "Authenticated by the host's node key, which can only write its own host. Resending a " +
      "report_id returns the first answer and stores nothing new (header idempotent-replayed: true).",
    body: ReportSchema,
    response: { 201: ReportAcceptedSchema },
  },
  sendDelta: {
    ...ROUTES.sendDelta,
    tags: ["agent"],
    summary: "Send a delta report: what changed since a report the API acknowledged",
    description:
      "Applied to its base (base_report_id, a report of this host) it gives the whole report, " +
      "which is stored exactly as if it had been sent to POST /api/v1/reports: the same " +
      "execution, the same answer, the same idempotency. 409 delta_base_unknown when the API " +
      "does not hold that base for this host, delta_mismatch when the delta does not apply to " +
      "it or the result's digest differs: the agent then sends the whole report.",
    body: DeltaReportSchema,
    response: { 201: ReportAcceptedSchema },
  },
} as const;

const hostOperations = {
  listHosts: {
    ...ROUTES.listHosts,
    tags: ["hosts"],
    summary: "List hosts",
    description:
      "`q` matches hostname, identifier, OS, CPU, an IP, a running process or a logged-in user. " +
      `Sort by: ${HOST_SORT_KEYS.join(", ")}. \`format=csv\` (or \`Accept: text/csv\`) answers ` +
      "every matching host as CSV, whatever `limit` and `offset`; an unknown count is an empty cell.",
    querystring: HostListQuerySchema,
    response: { 200: Page(HostSchema) },
    page: { defaultLimit: 50, maxLimit: 1000, sorts: HOST_SORT_KEYS },
    csv: true,
  },
  getHost: {
    ...ROUTES.getHost,
    tags: ["hosts"],
    summary: "One host, with its latest facts",
    description:
      "Its OS, CPU, memory, addresses, counts of processes and sessions and the time of its " +
      "latest execution; 404 for a host id that does not exist (or was deleted).",
    params: HostParamsSchema,
    response: { 200: HostSchema },
  },
  deleteHost: {
    ...ROUTES.deleteHost,
    tags: ["hosts"],
    summary: "Delete a host and its whole history (admin)",
    description:
      "Its node key stops working; if its agent still runs, it enrolls again as a new host.",
    params: HostParamsSchema,
    response: { 204: Nothing },
  },
  revokeHostKey: {
    ...ROUTES.revokeHostKey,
    tags: ["hosts"],
    summary: "Revoke a host's node key (admin)",
    description:
      "The history stays; the agent must enroll again (with the enroll secret) to report. " +
      "Also what lets a host enroll again when its agent lost its key (a reinstall).",
    params: HostParamsSchema,
    response: { 204: Nothing },
  },
} as const;

const historyOperations = {
  listExecutions: {
    ...ROUTES.listExecutions,
    tags: ["history"],
    summary: "A host's executions: the timeline",
    description:
      "Per execution: time, process and session counts, CPU use, and what changed against the previous one. " +
      "`from`/`to` bound collected_at. Newest first unless `sort=collected_at`.",
    params: HostParamsSchema,
    querystring: Type.Intersect([PageQuerySchema, Type.Object(RangeFields)]),
    response: { 200: Page(ExecutionSchema) },
    page: { defaultLimit: 100, maxLimit: 5000, sorts: EXECUTION_SORT_KEYS },
  },
  hostProcesses: {
    ...ROUTES.hostProcesses,
    tags: ["history"],
    summary: "What ran on a host: now, at a time, or at an execution",
    description:
      "`at` picks the execution in effect at that time (the latest collected at or before it); `report` " +
      `picks one; neither: the latest. \`q\` matches name, user, pid or command line. Sort by: ${PROCESS_SORT_KEYS.join(", ")}.`,
    params: HostParamsSchema,
    querystring: SnapshotQuerySchema,
    response: { 200: ProcessPageSchema },
    page: { defaultLimit: 1000, maxLimit: 20_000, sorts: PROCESS_SORT_KEYS },
  },
  hostSessions: {
    ...ROUTES.hostSessions,
    tags: ["history"],
    summary: "Who was logged in on a host: now, at a time, or at an execution",
    description:
      "`known: false` means the agent could not read sessions there (e.g. no utmp): unknown, not nobody. " +
      `Sort by: ${SESSION_SORT_KEYS.join(", ")}.`,
    params: HostParamsSchema,
    querystring: SnapshotQuerySchema,
    response: { 200: SessionPageSchema },
    page: { defaultLimit: 1000, maxLimit: 10_000, sorts: SESSION_SORT_KEYS },
  },
  hostPackages: section(
    "hostPackages",
    "Packages installed",
    PackagePageSchema,
    PACKAGE_SORT_KEYS,
    5000,
    50_000,
    "name or version",
  ),
  hostListening: section(
    "hostListening",
    "Sockets listening",
    ListeningPageSchema,
    LISTENING_SORT_KEYS,
    1000,
    10_000,
    "protocol, address, port or process",
  ),
  hostAccounts: section(
    "hostAccounts",
    "Accounts",
    AccountPageSchema,
    ACCOUNT_SORT_KEYS,
    1000,
    20_000,
    "name, home or shell",
  ),
  hostServices: section(
    "hostServices",
    "Services",
    ServicePageSchema,
    SERVICE_SORT_KEYS,
    1000,
    10_000,
    "name or state",
  ),
  hostSettings: {
    ...ROUTES.hostSettings,
    tags: ["history"],
    summary:
      "Kernel parameters, sshd options and file modes of a host: now, at a time, or at an execution",
    description:
      "Each part is null when the agent did not collect it there (unknown, not empty); `reasons` says why.",
    params: HostParamsSchema,
    querystring: ExecutionPickQuerySchema,
    response: { 200: SettingsSnapshotSchema },
  },
  hostDiff: {
    ...ROUTES.hostDiff,
    tags: ["history"],
    summary: "What changed between two executions of a host",
    description:
      "Processes started and ended (and those that kept pid and start time but changed name, user, parent " +
      "or command line), sessions opened and closed, facts changed. `from` and `to` are report ids; `to` " +
      "defaults to the latest, `from` to the execution before `to`.",
    params: HostParamsSchema,
    querystring: Type.Object({
      from: Type.Optional(Type.String({ format: "uuid" })),
      to: Type.Optional(Type.String({ format: "uuid" })),
    }),
    response: { 200: DiffSchema },
  },
  getReport: {
    ...ROUTES.getReport,
    tags: ["history"],
    summary: "A stored report, as the agent sent it",
    description: "Rebuilt from the history; equal, field for field, to the report received.",
    params: Type.Object({ id: Type.String({ format: "uuid" }) }),
    response: { 200: ReportSchema },
  },
} as const;

const fleetOperations = {
  fleetSummary: {
    ...ROUTES.fleetSummary,
    tags: ["fleet"],
    summary: "The fleet at a glance",
    description:
      "Hosts online (reported within two agent intervals), offline and never reported; OS and CPU " +
      "breakdowns; processes and sessions now; the most recently changed hosts.",
    response: { 200: FleetSummarySchema },
  },
  searchProcesses: {
    ...ROUTES.searchProcesses,
    tags: ["fleet"],
    summary: "Hosts running a process, now or at a time",
    description:
      "`name` is the exact process name (`nginx`), or a glob (`postgres*`, `?sh`) matched ignoring case. " +
      "With `at`, each host is searched in its execution in effect then; without, in its latest.",
    querystring: Type.Object({
      name: Type.String({ minLength: 1, maxLength: 255 }),
      at: Type.Optional(Type.String({ format: "date-time" })),
      limit: Limit(1000),
      offset: Offset,
    }),
    response: { 200: Page(ProcessSearchHitSchema) },
    page: { defaultLimit: 100, maxLimit: 1000, sorts: [] },
  },
  searchSessions: {
    ...ROUTES.searchSessions,
    tags: ["fleet"],
    summary: "Where a user has or had a session",
    description:
      "`user` is a glob on the user name. `open=true`: sessions open now. `from`/`to`: sessions open at " +
      "any execution collected in that range. One row per session, newest first.",
    querystring: Type.Object({
      user: Type.String({ minLength: 1, maxLength: 255 }),
      open: Type.Optional(Type.Boolean()),
      ...RangeFields,
      limit: Limit(1000),
      offset: Offset,
    }),
    response: { 200: Page(SessionSearchHitSchema) },
    page: { defaultLimit: 100, maxLimit: 1000, sorts: [] },
  },
  searchPackages: {
    ...ROUTES.searchPackages,
    tags: ["fleet"],
    summary: "Hosts with a package installed, now or at a time",
    description:
      "`name` is the exact package name, or a glob (`openssl*`) matched ignoring case. `version` keeps the versions " +
      "that compare so with it, the way the package's manager orders versions (Debian, RPM, Alpine): " +
      "`lt:3.0.13`, `le:`, `eq:`, `ne:`, `ge:`, `gt:`. With `at`, each host is searched in its execution in " +
      "effect then; without, in its latest.",
    querystring: Type.Object({
      name: Type.String({ minLength: 1, maxLength: 255 }),
      version: Type.Optional(
        Type.String({
          minLength: 4,
          maxLength: 255,
          pattern: "^(lt|le|eq|ne|ge|gt):.+$",
          description: "A comparator and a version, e.g. lt:3.0.13",
        }),
      ),
      at: Type.Optional(Type.String({ format: "date-time" })),
      limit: Limit(1000),
      offset: Offset,
    }),
    response: { 200: Page(PackageSearchHitSchema) },
    page: { defaultLimit: 100, maxLimit: 1000, sorts: [] },
  },
  searchListening: {
    ...ROUTES.searchListening,
    tags: ["fleet"],
    summary: "Hosts listening on a port, now or at a time",
    description:
      "`port` and optionally `protocol` (tcp, tcp6, udp, udp6). With `at`, each host is searched in its " +
      "execution in effect then; without, in its latest.",
    querystring: Type.Object({
      port: Type.Integer({ minimum: 0, maximum: 65_535 }),
      protocol: Type.Optional(Type.Enum(["tcp", "tcp6", "udp", "udp6"] as const)),
      at: Type.Optional(Type.String({ format: "date-time" })),
      limit: Limit(1000),
      offset: Offset,
    }),
    response: { 200: Page(ListeningSearchHitSchema) },
    page: { defaultLimit: 100, maxLimit: 1000, sorts: [] },
  },
  cpuSeries: {
    ...ROUTES.cpuSeries,
    tags: ["fleet"],
    summary: "CPU use per execution, fleet-wide or for one host",
    description: "Newest first; `sort=collected_at` for oldest first.",
    querystring: Type.Object({
      host_id: Type.Optional(Id()),
      ...RangeFields,
      limit: Limit(10_000),
      offset: Offset,
      sort: Type.Optional(
        Type.Union([Type.Literal("collected_at"), Type.Literal("-collected_at")]),
      ),
    }),
    response: { 200: Page(CpuPointSchema) },
    page: { defaultLimit: 100, maxLimit: 10_000, sorts: ["collected_at"] },
  },
  inventoryTable: {
    ...ROUTES.inventoryTable,
    tags: ["fleet"],
    summary: "Inventory tables, as JSON or CSV",
    description:
      "`users`: users per server and execution; `platforms`: OS and processor per server; `processes`: " +
      "processes per execution; `process-counts` and `user-counts`: per server and execution; `packages` " +
      "and `listening`: installed packages and listening sockets per execution. Filter by " +
      "`host_id`, `report_id`, `from`/`to`. `format=csv` (or `Accept: text/csv`) answers CSV.",
    params: Type.Object({ table: Type.Enum(INVENTORY_TABLES) }),
    querystring: Type.Object({
      host_id: Type.Optional(Id()),
      report_id: Type.Optional(Type.String({ format: "uuid" })),
      ...RangeFields,
      format: Type.Optional(Type.Union([Type.Literal("json"), Type.Literal("csv")])),
      limit: Limit(100_000),
      offset: Offset,
    }),
    response: { 200: Page(InventoryRowSchema) },
    page: { defaultLimit: 1000, maxLimit: 100_000, sorts: [] },
    csv: true,
  },
  changes: {
    ...ROUTES.changes,
    tags: ["fleet"],
    summary: "What changed fleet-wide since a cursor",
    description:
      "Each item is an execution that changed something against the previous execution of its host " +
      "(processes started/ended/changed, sessions opened/closed, facts), in the order stored. Start with " +
      "`since=0`, then pass `next_cursor`. A report that arrives late (collected before its host's " +
      "latest) is its own item when it arrives.",
    querystring: Type.Object({
      since: Type.Optional(Type.String({ pattern: "^[0-9]{1,15}$" })),
      limit: Limit(500),
    }),
    response: { 200: ChangeFeedSchema },
  },
} as const;

const tokenOperations = {
  listTokens: {
    ...ROUTES.listTokens,
    tags: ["tokens"],
    summary: "List API tokens (admin)",
    description:
      "Every token with its name, role, creation and last use; never the secret, which " +
      "only the answer that created it holds.",
    response: { 200: Type.Object({ items: Type.Array(TokenSchema) }) },
  },
  createToken: {
    ...ROUTES.createToken,
    tags: ["tokens"],
    summary: "Create an API token (admin); its secret is in this answer only",
    description:
      "Role `reader` reads everything; `admin` also manages tokens, hosts, policies and " +
      "webhooks. Only a hash of the secret is stored.",
    body: CreateTokenRequestSchema,
    response: { 201: Type.Intersect([TokenSchema, Type.Object({ token: Type.String() })]) },
  },
  revokeToken: {
    ...ROUTES.revokeToken,
    tags: ["tokens"],
    summary: "Revoke an API token (admin)",
    description:
      "The token stops working; 404 for a token that does not exist or was already revoked.",
    params: Type.Object({ id: Id() }),
    response: { 204: Nothing },
  },
  whoAmI: {
    ...ROUTES.whoAmI,
    tags: ["tokens"],
    summary: "The role of the token sent (admin or reader)",
    description: "Lets a client (the console) show what its token may do before it tries.",
    response: { 200: WhoAmISchema },
  },
} as const;

const PolicyParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 100, pattern: "^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$" }),
});
const AtQuery = Type.Object({
  at: Type.Optional(Type.String({ format: "date-time", description: "Now when absent" })),
});

const policyOperations = {
  listPolicies: {
    ...ROUTES.listPolicies,
    tags: ["policies"],
    summary: "Every policy, with how many hosts pass, fail or are unknown now",
    description:
      "Counts are of each host's latest execution; a host whose report lacks what a policy " +
      "reads counts as unknown, never as passing.",
    response: { 200: Type.Object({ items: Type.Array(PolicyInfoSchema) }) },
  },
  createPolicy: {
    ...ROUTES.createPolicy,
    tags: ["policies"],
    summary: "Create or replace policies (admin), from a document or YAML/JSON text",
    description:
      "A changed document is a new version: its evaluation over the stored history runs as a " +
      "job (see `job_id`), so its results answer for the past too.",
    body: PolicyWriteSchema,
    response: { 201: Type.Object({ items: Type.Array(PolicyDetailSchema) }) },
  },
  testPolicy: {
    ...ROUTES.testPolicy,
    tags: ["policies"],
    summary: "Dry-run a policy document on a host's execution, or on every host's latest",
    description:
      "Nothing is stored: the answer says, per host, whether it would pass, fail or be " +
      "unknown, and why. Use it before creating or replacing a policy.",
    body: Type.Object(
      {
        policy: Type.Unknown({ description: "A policy document (not stored)" }),
        host_id: Type.Optional(Id()),
        at: Type.Optional(Type.String({ format: "date-time" })),
      },
      { additionalProperties: false },
    ),
    response: { 200: PolicyTestSchema },
  },
  getPolicy: {
    ...ROUTES.getPolicy,
    tags: ["policies"],
    summary: "One policy: its document, version and counts now",
    description:
      "The document as stored, its version, and the hosts passing, failing and unknown " + "now.",
    params: PolicyParams,
    response: { 200: PolicyDetailSchema },
  },
  putPolicy: {
    ...ROUTES.putPolicy,
    tags: ["policies"],
    summary: "Replace a policy (admin); its id must be the one in the path",
    description:
      "A changed document is a new version, evaluated over the stored history as a job; " +
      "an unchanged one keeps its version.",
    params: PolicyParams,
    body: PolicyWriteSchema,
    response: { 200: PolicyDetailSchema },
  },
  deletePolicy: {
    ...ROUTES.deletePolicy,
    tags: ["policies"],
    summary: "Delete a policy and its results (admin)",
    description: "Its results at every execution go with it; 404 for a policy that does not exist.",
    params: PolicyParams,
    response: { 204: Nothing },
  },
  policyHosts: {
    ...ROUTES.policyHosts,
    tags: ["policies"],
    summary: "The hosts of a policy and their status, now or at a time, since when",
    description:
      "Each host with its status, since when it has had it, and the reasons for a failure; " +
      "`status` keeps only some (failing: fail or unknown).",
    params: PolicyParams,
    querystring: Type.Object({
      status: Type.Optional(
        Type.Union([PolicyStatusSchema, Type.Literal("failing"), Type.Literal("passing")]),
      ),
      at: Type.Optional(Type.String({ format: "date-time" })),
      limit: Limit(1000),
      offset: Offset,
    }),
    response: { 200: Page(PolicyHostSchema) },
    page: { defaultLimit: 100, maxLimit: 1000, sorts: [] },
  },
  policyHistory: {
    ...ROUTES.policyHistory,
    tags: ["policies"],
    summary: "Hosts passing, failing and unknown over time",
    description: "Counts at evenly spaced times from `from` (default: 7 days ago) to `to` (now).",
    params: PolicyParams,
    querystring: Type.Object(RangeFields),
    response: { 200: PolicyHistorySchema },
  },
  hostPolicies: {
    ...ROUTES.hostPolicies,
    tags: ["policies"],
    summary:
      "Every policy's status on a host now, at a time or at an execution, since when and why",
    description:
      "Unknown when the execution lacks what a policy reads (a collector that could not " +
      "work); the reasons name the items that made a host fail.",
    params: HostParamsSchema,
    querystring: ExecutionPickQuerySchema,
    response: { 200: HostPoliciesSchema },
  },
  compliance: {
    ...ROUTES.compliance,
    tags: ["policies"],
    summary: "The fleet's compliance now or at a time: by policy and by severity",
    description:
      "Hosts passing, failing and unknown per policy and per severity, from each host's " +
      "execution in effect at `at` (now when absent).",
    querystring: AtQuery,
    response: { 200: ComplianceSchema },
  },
  getJob: {
    ...ROUTES.getJob,
    tags: ["policies"],
    summary: "A background job and its progress",
    description:
      "Jobs evaluate a policy version over the stored history; poll this until `status` " +
      "is done or failed (`done` of `total` hosts gone through meanwhile).",
    params: Type.Object({ id: Id() }),
    response: { 200: JobSchema },
  },
  listJobs: {
    ...ROUTES.listJobs,
    tags: ["policies"],
    summary: "The latest background jobs",
    description:
      "Newest first, with their progress: what evaluations over the history ran and are " +
      "running.",
    response: { 200: Type.Object({ items: Type.Array(JobSchema) }) },
  },
  listWebhooks: {
    ...ROUTES.listWebhooks,
    tags: ["webhooks"],
    summary: "Webhooks (admin)",
    description: "Every webhook with its URL and the events it gets; never its signing secret.",
    response: { 200: Type.Object({ items: Type.Array(WebhookSchema) }) },
  },
  createWebhook: {
    ...ROUTES.createWebhook,
    tags: ["webhooks"],
    summary: "Post policy status changes to a URL, signed (admin)",
    description:
      "Loopback, link-local and private addresses are refused unless the API runs with " +
      "COMPLIANCE_WEBHOOK_ALLOW_PRIVATE=1. The secret is in this answer only.",
    body: WebhookCreateSchema,
    response: { 201: WebhookCreatedSchema },
  },
  deleteWebhook: {
    ...ROUTES.deleteWebhook,
    tags: ["webhooks"],
    summary: "Delete a webhook and its delivery log (admin)",
    description: "Its delivery log goes with it; 404 for a webhook that does not exist.",
    params: Type.Object({ id: Id() }),
    response: { 204: Nothing },
  },
  webhookDeliveries: {
    ...ROUTES.webhookDeliveries,
    tags: ["webhooks"],
    summary: "A webhook's delivery log, newest first (admin)",
    description:
      "Each delivery with its payload, status (pending, delivered, failed), attempts and " +
      "the last HTTP status or error.",
    params: Type.Object({ id: Id() }),
    querystring: Type.Object({ limit: Limit(1000) }),
    response: { 200: Type.Object({ items: Type.Array(DeliverySchema) }) },
  },
} as const;

export const OPERATIONS = {
  health: {
    ...ROUTES.health,
    tags: ["health"],
    summary: "Whether the API and its database answer (no token)",
    description: "Load balancers and agents use it; 503 says which part is down.",
    response: { 200: HealthSchema, 503: HealthSchema },
  },
  ...agentOperations,
  ...hostOperations,
  ...historyOperations,
  ...fleetOperations,
  ...tokenOperations,
  ...policyOperations,
  ...activityOperations,
  ...opsOperations,
} as const satisfies Record<RouteName, Operation>;

export type Operations = typeof OPERATIONS;

/** The errors each kind of caller can get, besides those an operation lists itself. */
export const ERROR_STATUSES: Record<Auth, readonly number[]> = {
  none: [400, 401, 409, 413, 503],
  node: [400, 401, 403, 409, 413, 503],
  reader: [400, 401, 403, 404, 503],
  admin: [400, 401, 403, 404, 503],
};

// Types of each operation's parts, for handlers and clients.
type Part<
  N extends RouteName,
  K extends "params" | "querystring" | "body",
> = Operations[N] extends {
  [P in K]: infer S extends TSchema;
}
  ? Static<S>
  : undefined;
export type ParamsOf<N extends RouteName> = Part<N, "params">;
export type QueryOf<N extends RouteName> = Part<N, "querystring">;
export type BodyOf<N extends RouteName> = Part<N, "body">;
/** The answer on success (its lowest 2xx status). */
export type AnswerOf<N extends RouteName> = Operations[N]["response"] extends infer R
  ? R extends { 200: infer S extends TSchema }
    ? Static<S>
    : R extends { 201: infer S extends TSchema }
      ? Static<S>
      : R extends { 204: TSchema }
        ? null
        : never
  : never;
