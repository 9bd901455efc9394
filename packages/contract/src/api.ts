import Type, { type Static, type TSchema } from "typebox";
import {
  AccountSchema,
  CollectorErrorSchema,
  FileModeSchema,
  LIMITS,
  ListeningSchema,
  PackageSchema,
  ProcessSchema,
  ServiceSchema,
  SessionSchema,
} from "./report.ts";

/**
 * Schemas of the API v1 requests and answers besides the report itself. The API validates
 * with them and publishes them in its OpenAPI document; the console and the agent take
 * their types from here.
 */

export const ErrorSchema = Type.Object({
  error: Type.Object({
    code: Type.String({ description: "Stable, machine-readable code" }),
    message: Type.String({
      description: "One line for people; names the field when a field is wrong",
    }),
    details: Type.Optional(
      Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), {
        description: "Each problem found in the request, by JSON pointer",
      }),
    ),
  }),
});
export type ApiError = Static<typeof ErrorSchema>;

// ---- agent side ---------------------------------------------------------------------

export const EnrollRequestSchema = Type.Object(
  {
    enroll_secret: Type.String({ minLength: 1, maxLength: 1024 }),
    host_identifier: Type.String({ minLength: 1, maxLength: LIMITS.name }),
    hostname: Type.Optional(Type.String({ maxLength: LIMITS.name })),
  },
  { additionalProperties: false },
);
export type EnrollRequest = Static<typeof EnrollRequestSchema>;

export const EnrollResponseSchema = Type.Object({
  node_key: Type.String({
    description: "The host's key; send it as `Authorization: Bearer <node_key>`",
  }),
  host_id: Type.Integer(),
});
export type EnrollResponse = Static<typeof EnrollResponseSchema>;

export const ReportAcceptedSchema = Type.Object({
  status: Type.Literal("stored"),
  report_id: Type.String(),
  host_id: Type.Integer(),
  received_at: Type.String({ format: "date-time" }),
});
export type ReportAccepted = Static<typeof ReportAcceptedSchema>;

// ---- lists ----------------------------------------------------------------------------

/**
 * Every list takes the same query: `limit` and `offset` page it, `sort` names a field
 * (`-field` for descending), `q` filters by text where the list says how. Every list
 * answers `{items, total, limit, offset}`.
 */
export const PageQuerySchema = Type.Object({
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: LIMITS.processes, description: "Page size" }),
  ),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e9, description: "Items to skip" })),
  sort: Type.Optional(
    Type.String({ maxLength: 64, description: "A field; prefix with - to sort descending" }),
  ),
  q: Type.Optional(Type.String({ maxLength: 255, description: "Text filter" })),
});
export type PageQuery = Static<typeof PageQuerySchema>;

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    total: Type.Integer({ description: "Items matching the filters, over all pages" }),
    limit: Type.Integer(),
    offset: Type.Integer(),
  });

export interface PageOf<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

// ---- hosts ----------------------------------------------------------------------------

export const OsFactsSchema = Type.Object({
  platform: Type.String(),
  name: Type.String(),
  version: Type.String(),
  kernel: Type.String(),
  arch: Type.String(),
});

export const CpuFactsSchema = Type.Object({
  model: Type.String(),
  vendor: Type.String(),
  cores: Type.Integer(),
});

export const HostSchema = Type.Object({
  id: Type.Integer(),
  identifier: Type.String(),
  hostname: Type.String(),
  source: Type.String({
    description: "`agent` for our agents, `legacy` for hosts reported by a seed agent",
  }),
  primary_ip: Type.Union([Type.String(), Type.Null()]),
  ip_addresses: Type.Array(Type.String()),
  os: OsFactsSchema,
  cpu: CpuFactsSchema,
  memory_total_bytes: Type.Integer(),
  agent_version: Type.String(),
  enrolled_at: Type.String({ format: "date-time" }),
  first_seen_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
  last_seen_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()], {
    description: "collected_at of the latest execution",
  }),
  last_report_id: Type.Union([Type.String(), Type.Null()]),
  last_changed_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()], {
    description: "collected_at of the latest execution that changed something",
  }),
  last_received_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()], {
    description: "When the API last stored a report of this host",
  }),
  online: Type.Boolean({
    description: "Reported within the last two agent intervals (COMPLIANCE_AGENT_INTERVAL)",
  }),
  executions: Type.Integer({ description: "Stored executions" }),
  process_count: Type.Integer(),
  session_count: Type.Integer(),
  sessions_known: Type.Boolean({ description: "False when the agent could not read sessions" }),
  cpu_usage_percent: Type.Number(),
  memory_available_bytes: Type.Integer(),
  cpu_usage_known: Type.Optional(
    Type.Boolean({
      description:
        "False when the CPU use was not measured (e.g. a seed's agent does not send it): cpu_usage_percent is then unknown, not 0",
    }),
  ),
  memory_known: Type.Optional(
    Type.Boolean({
      description: "False when memory was not collected: its byte counts are then unknown, not 0",
    }),
  ),
  processes_known: Type.Optional(
    Type.Boolean({
      description: "False when processes were not collected: process_count is then unknown, not 0",
    }),
  ),
});
export type Host = Static<typeof HostSchema>;

/**
 * Column order of the host list as CSV. A count or measure that is unknown (sessions
 * without utmp, processes not collected, CPU use not measured) is an empty cell, never 0.
 */
export const HOST_CSV_COLUMNS = [
  "id",
  "identifier",
  "hostname",
  "source",
  "primary_ip",
  "ip_addresses",
  "os_name",
  "os_version",
  "kernel",
  "cpu_model",
  "cpu_cores",
  "memory_total_bytes",
  "agent_version",
  "online",
  "enrolled_at",
  "last_seen_at",
  "executions",
  "process_count",
  "session_count",
  "cpu_usage_percent",
] as const;

export const HostListQuerySchema = Type.Intersect([
  PageQuerySchema,
  Type.Object({
    os: Type.Optional(Type.String({ maxLength: 255, description: "OS name or version contains" })),
    ip: Type.Optional(Type.String({ maxLength: 64, description: "Has this IP address" })),
    cpu: Type.Optional(Type.String({ maxLength: 255, description: "CPU model contains" })),
    process: Type.Optional(
      Type.String({ maxLength: 255, description: "Runs a process of this name now" }),
    ),
    user: Type.Optional(
      Type.String({ maxLength: 255, description: "This user has a session now" }),
    ),
    status: Type.Optional(Type.Union([Type.Literal("online"), Type.Literal("offline")])),
    format: Type.Optional(
      Type.Union([Type.Literal("json"), Type.Literal("csv")], {
        description: "`csv`: every matching host (not one page), in the order asked",
      }),
    ),
  }),
]);
export type HostListQuery = Static<typeof HostListQuerySchema>;

// ---- executions -----------------------------------------------------------------------

export const ChangeCountsSchema = Type.Object({
  processes_started: Type.Integer(),
  processes_ended: Type.Integer(),
  sessions_opened: Type.Integer(),
  sessions_closed: Type.Integer(),
  facts_changed: Type.Integer(),
  inventory_changed: Type.Optional(
    Type.Integer({
      description:
        "Inventory items (packages, sockets, accounts, services, settings) that appeared or went: " +
        "an item that changed (a package upgraded, a service stopped) counts twice, the old one " +
        "going and the new one appearing. Sections either side did not collect count nothing",
    }),
  ),
});
export type ChangeCounts = Static<typeof ChangeCountsSchema>;

export const ExecutionSchema = Type.Object({
  report_id: Type.String(),
  host_id: Type.Integer(),
  collected_at: Type.String({ format: "date-time" }),
  received_at: Type.String({ format: "date-time" }),
  process_count: Type.Integer(),
  session_count: Type.Integer(),
  sessions_known: Type.Boolean(),
  cpu_usage_percent: Type.Number(),
  memory_available_bytes: Type.Integer(),
  cpu_usage_known: Type.Optional(
    Type.Boolean({
      description:
        "False when the CPU use was not measured (e.g. a seed's agent does not send it): cpu_usage_percent is then unknown, not 0",
    }),
  ),
  memory_known: Type.Optional(
    Type.Boolean({
      description: "False when memory was not collected: its byte counts are then unknown, not 0",
    }),
  ),
  processes_known: Type.Optional(
    Type.Boolean({
      description: "False when processes were not collected: process_count is then unknown, not 0",
    }),
  ),
  changes: Type.Union([ChangeCountsSchema, Type.Null()], {
    description: "Against the previous execution of the host; null for its first",
  }),
  errors: Type.Array(CollectorErrorSchema),
});
export type Execution = Static<typeof ExecutionSchema>;

/** Which execution a snapshot read is about: `at` a time, a `report`, or neither (the latest). */
export const ExecutionPickQuerySchema = Type.Object({
  at: Type.Optional(
    Type.String({ format: "date-time", description: "The execution in effect at this time" }),
  ),
  report: Type.Optional(Type.String({ format: "uuid", description: "This execution" })),
});

export const SnapshotQuerySchema = Type.Intersect([PageQuerySchema, ExecutionPickQuerySchema]);

/** Fields each list can be sorted by (`sort=field`, `sort=-field`). */
export const HOST_SORT_KEYS = [
  "id",
  "hostname",
  "primary_ip",
  "os",
  "os_version",
  "kernel",
  "cpu",
  "last_seen_at",
  "last_changed_at",
  "enrolled_at",
  "process_count",
  "session_count",
  "cpu_usage_percent",
  "executions",
] as const;
export type HostSortKey = (typeof HOST_SORT_KEYS)[number];
export const PROCESS_SORT_KEYS = [
  "pid",
  "ppid",
  "name",
  "user",
  "cpu_percent",
  "rss_bytes",
  "started_at",
] as const;
export type ProcessSortKey = (typeof PROCESS_SORT_KEYS)[number];
export const SESSION_SORT_KEYS = ["user", "terminal", "remote_host", "started_at", "pid"] as const;
export type SessionSortKey = (typeof SESSION_SORT_KEYS)[number];
export const EXECUTION_SORT_KEYS = ["collected_at", "received_at", "process_count"] as const;
export type ExecutionSortKey = (typeof EXECUTION_SORT_KEYS)[number];

export const ProcessPageSchema = Type.Intersect([
  Page(ProcessSchema),
  Type.Object({
    report_id: Type.String(),
    collected_at: Type.String({ format: "date-time" }),
    known: Type.Optional(
      Type.Boolean({
        description: "False when the agent did not collect processes: unknown, not none",
      }),
    ),
    reason: Type.Optional(Type.String()),
  }),
]);

export const SessionPageSchema = Type.Intersect([
  Page(SessionSchema),
  Type.Object({
    report_id: Type.String(),
    collected_at: Type.String({ format: "date-time" }),
    known: Type.Boolean({
      description: "False when the agent could not read sessions: unknown, not nobody",
    }),
    reason: Type.Optional(Type.String()),
  }),
]);

export type ProcessPage = Static<typeof ProcessPageSchema>;
export type SessionPage = Static<typeof SessionPageSchema>;

/** A snapshot list of an inventory section: its items, and whether it was collected. */
const InventoryPage = <T extends TSchema>(item: T) =>
  Type.Intersect([
    Page(item),
    Type.Object({
      report_id: Type.String(),
      collected_at: Type.String({ format: "date-time" }),
      known: Type.Boolean({
        description: "False when the agent did not collect this section there: unknown, not none",
      }),
      reason: Type.Optional(Type.String()),
    }),
  ]);
export const PackagePageSchema = InventoryPage(PackageSchema);
export const ListeningPageSchema = InventoryPage(ListeningSchema);
export const AccountPageSchema = InventoryPage(AccountSchema);
export const ServicePageSchema = InventoryPage(ServiceSchema);

export const PACKAGE_SORT_KEYS = ["name", "version", "arch", "source"] as const;
export const LISTENING_SORT_KEYS = ["protocol", "address", "port", "pid", "process"] as const;
export const ACCOUNT_SORT_KEYS = ["name", "uid", "gid", "home", "shell", "password"] as const;
export const SERVICE_SORT_KEYS = ["name", "state", "enabled"] as const;

const SettingsPart = <T extends TSchema>(schema: T) =>
  Type.Union([schema, Type.Null()], { description: "null when the agent did not collect it" });

export const SettingsSnapshotSchema = Type.Object({
  report_id: Type.String(),
  collected_at: Type.String({ format: "date-time" }),
  known: Type.Boolean({ description: "False when the agent sent no settings at all" }),
  sysctl: SettingsPart(Type.Record(Type.String(), Type.String())),
  sshd: SettingsPart(Type.Record(Type.String(), Type.String())),
  files: SettingsPart(Type.Array(FileModeSchema)),
  reasons: Type.Array(CollectorErrorSchema, {
    description: "Why a part was not collected, as the agent said",
  }),
});
export type SettingsSnapshot = Static<typeof SettingsSnapshotSchema>;

export const FactChangeSchema = Type.Object({
  field: Type.String({ description: "e.g. os.version, cpu.model, host.ip_addresses" }),
  before: Type.Unknown(),
  after: Type.Unknown(),
});
export type FactChange = Static<typeof FactChangeSchema>;

export const ExecutionRefSchema = Type.Object({
  report_id: Type.String(),
  collected_at: Type.String({ format: "date-time" }),
});

export const DiffSchema = Type.Object({
  host_id: Type.Integer(),
  from: ExecutionRefSchema,
  to: ExecutionRefSchema,
  processes: Type.Object({
    started: Type.Array(ProcessSchema),
    ended: Type.Array(ProcessSchema),
    changed: Type.Array(Type.Object({ before: ProcessSchema, after: ProcessSchema }), {
      description: "Same pid and start time, other name, user, parent or command line",
    }),
  }),
  sessions: Type.Object({
    known: Type.Boolean({
      description: "False when either execution could not read sessions: no change is known",
    }),
    opened: Type.Array(SessionSchema),
    closed: Type.Array(SessionSchema),
  }),
  facts: Type.Array(FactChangeSchema),
  packages: Type.Optional(
    Type.Object({
      known: Type.Boolean({ description: "False when either execution did not collect packages" }),
      installed: Type.Array(PackageSchema),
      removed: Type.Array(PackageSchema),
      upgraded: Type.Array(Type.Object({ before: PackageSchema, after: PackageSchema }), {
        description: "Same name, architecture and source; another version (up or down)",
      }),
    }),
  ),
  listening: Type.Optional(
    Type.Object({
      known: Type.Boolean(),
      opened: Type.Array(ListeningSchema),
      closed: Type.Array(ListeningSchema),
    }),
  ),
  accounts: Type.Optional(
    Type.Object({
      known: Type.Boolean(),
      added: Type.Array(AccountSchema),
      removed: Type.Array(AccountSchema),
      changed: Type.Array(Type.Object({ before: AccountSchema, after: AccountSchema })),
    }),
  ),
  services: Type.Optional(
    Type.Object({
      known: Type.Boolean(),
      added: Type.Array(ServiceSchema),
      removed: Type.Array(ServiceSchema),
      changed: Type.Array(Type.Object({ before: ServiceSchema, after: ServiceSchema }), {
        description: "Started, stopped, enabled or disabled",
      }),
    }),
  ),
  settings: Type.Optional(
    Type.Object({
      known: Type.Boolean(),
      changed: Type.Array(
        Type.Object({
          section: Type.Union([
            Type.Literal("sysctl"),
            Type.Literal("sshd"),
            Type.Literal("files"),
          ]),
          key: Type.String({ description: "The parameter, option or file path" }),
          before: Type.Union([Type.String(), Type.Null()]),
          after: Type.Union([Type.String(), Type.Null()]),
        }),
        { description: "null: not set (or the file not listed) on that side" },
      ),
      unknown: Type.Array(
        Type.Union([Type.Literal("sysctl"), Type.Literal("sshd"), Type.Literal("files")]),
        { description: "Parts that either side did not collect: nothing is said of them" },
      ),
    }),
  ),
});
export type Diff = Static<typeof DiffSchema>;
export type InventoryDiff = Pick<
  Diff,
  "packages" | "listening" | "accounts" | "services" | "settings"
>;

// ---- tokens ---------------------------------------------------------------------------

export const TokenRoleSchema = Type.Union([Type.Literal("admin"), Type.Literal("reader")]);
export type TokenRole = Static<typeof TokenRoleSchema>;

export const WhoAmISchema = Type.Object({
  role: TokenRoleSchema,
  token: Type.Union([Type.Object({ id: Type.Integer(), name: Type.String() }), Type.Null()], {
    description: "The API token used; null for the admin token of the configuration",
  }),
});
export type WhoAmI = Static<typeof WhoAmISchema>;

// ---- fleet ----------------------------------------------------------------------------

export const FleetSummarySchema = Type.Object({
  hosts: Type.Object({
    total: Type.Integer(),
    online: Type.Integer(),
    offline: Type.Integer(),
    never_reported: Type.Integer(),
  }),
  os: Type.Array(
    Type.Object({ name: Type.String(), version: Type.String(), hosts: Type.Integer() }),
  ),
  cpu: Type.Array(Type.Object({ model: Type.String(), hosts: Type.Integer() })),
  processes: Type.Integer({
    description: "Processes running now over all hosts (their latest executions)",
  }),
  sessions: Type.Integer({
    description: "Open sessions now over the hosts whose sessions are known (sessions_unknown)",
  }),
  sessions_unknown: Type.Integer({
    description:
      "Hosts whose latest execution could not read sessions (e.g. no utmp): `sessions` " +
      "counts none for them, which is unknown, not 0",
  }),
  executions: Type.Integer({ description: "Stored executions over all hosts" }),
  recently_changed: Type.Array(HostSchema, {
    description: "Hosts whose latest change is the most recent",
  }),
});
export type FleetSummary = Static<typeof FleetSummarySchema>;

export const ProcessIdentitySchema = Type.Object({
  pid: Type.Integer(),
  ppid: Type.Integer(),
  name: Type.String(),
  user: Type.String(),
  started_at: Type.Optional(Type.String()),
  cmdline: Type.Optional(Type.String()),
});

export const ProcessSearchHitSchema = Type.Object({
  host_id: Type.Integer(),
  hostname: Type.String(),
  report_id: Type.String({
    description: "The execution searched: the latest, or the one in effect at `at`",
  }),
  collected_at: Type.String(),
  processes: Type.Array(ProcessIdentitySchema),
});

export type ProcessSearchHit = Static<typeof ProcessSearchHitSchema>;

export const SessionSearchHitSchema = Type.Object({
  host_id: Type.Integer(),
  hostname: Type.String(),
  user: Type.String(),
  terminal: Type.String(),
  remote_host: Type.Optional(Type.String()),
  started_at: Type.Optional(Type.String()),
  pid: Type.Optional(Type.Integer()),
  first_seen_at: Type.String({
    description: "collected_at of the first execution that had this session",
  }),
  last_seen_at: Type.Union([Type.String(), Type.Null()], {
    description: "Of the last one; null while open",
  }),
  open: Type.Boolean({ description: "Open in the host's latest execution" }),
});

export type SessionSearchHit = Static<typeof SessionSearchHitSchema>;

export const CpuPointSchema = Type.Object({
  host_id: Type.Integer(),
  hostname: Type.String(),
  report_id: Type.String(),
  collected_at: Type.String(),
  cpu_usage_percent: Type.Number(),
});

export type CpuPoint = Static<typeof CpuPointSchema>;

export const PackageSearchHitSchema = Type.Object({
  host_id: Type.Integer(),
  hostname: Type.String(),
  report_id: Type.String({ description: "The execution searched" }),
  collected_at: Type.String(),
  packages: Type.Array(PackageSchema),
});
export type PackageSearchHit = Static<typeof PackageSearchHitSchema>;

export const ListeningSearchHitSchema = Type.Object({
  host_id: Type.Integer(),
  hostname: Type.String(),
  report_id: Type.String({ description: "The execution searched" }),
  collected_at: Type.String(),
  listening: Type.Array(ListeningSchema),
});
export type ListeningSearchHit = Static<typeof ListeningSearchHitSchema>;

export const ChangeSchema = Type.Object({
  cursor: Type.String({ description: "Pass as `since` to get what came after this item" }),
  host_id: Type.Integer(),
  hostname: Type.String(),
  report_id: Type.String(),
  collected_at: Type.String(),
  received_at: Type.String(),
  first: Type.Boolean({ description: "The host's first execution: everything in it is new" }),
  processes: DiffSchema.properties.processes,
  sessions: DiffSchema.properties.sessions,
  facts: Type.Array(FactChangeSchema),
  policies: Type.Optional(
    Type.Array(
      Type.Object({
        policy_id: Type.String(),
        version: Type.Integer(),
        before: Type.Union([Type.String(), Type.Null()], {
          description: "null: no earlier result",
        }),
        after: Type.String(),
      }),
      { description: "Policies whose status on the host changed with this execution" },
    ),
  ),
});
export type Change = Static<typeof ChangeSchema>;

export const ChangeFeedSchema = Type.Object({
  items: Type.Array(ChangeSchema),
  next_cursor: Type.String({
    description: "Pass as `since` next time; equal to `since` when nothing new",
  }),
  has_more: Type.Boolean(),
});

// ---- inventory tables -------------------------------------------------------------------

/**
 * The inventory tables the older systems reported on (seed 004's five reports), computed
 * from the history: users per server and execution; OS and processor per server;
 * processes per execution; process count and user count per server and execution.
 */
export const INVENTORY_TABLES = [
  "users",
  "platforms",
  "processes",
  "process-counts",
  "user-counts",
  "packages",
  "listening",
] as const;
export type InventoryTable = (typeof INVENTORY_TABLES)[number];

const EXECUTION_COLUMNS = ["host_id", "hostname", "ip", "report_id", "collected_at"] as const;

/** Column order of each table, for CSV and documentation. */
export const INVENTORY_COLUMNS: Record<InventoryTable, readonly string[]> = {
  users: [...EXECUTION_COLUMNS, "user"],
  platforms: [
    "host_id",
    "hostname",
    "ip",
    "os_name",
    "os_version",
    "kernel",
    "arch",
    "cpu_model",
    "cpu_vendor",
    "cpu_cores",
  ],
  processes: [...EXECUTION_COLUMNS, "pid", "ppid", "name", "user"],
  "process-counts": [...EXECUTION_COLUMNS, "process_count"],
  "user-counts": [...EXECUTION_COLUMNS, "session_count", "user_count"],
  packages: [...EXECUTION_COLUMNS, "name", "version", "arch", "source"],
  listening: [...EXECUTION_COLUMNS, "protocol", "address", "port", "pid", "process"],
};

export const InventoryRowSchema = Type.Record(
  Type.String(),
  Type.Union([Type.String(), Type.Number(), Type.Null()]),
);
export type InventoryRow = Static<typeof InventoryRowSchema>;
