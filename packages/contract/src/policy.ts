import Type, { type Static, type TSchema } from "typebox";

/**
 * A compliance policy: a named rule over one execution (report) of a host. Policies are
 * written as YAML or JSON documents; this module is the single source of their shape and
 * of the shape of an evaluation's result. The API compiles and evaluates them
 * (packages/api/src/policies, whose README describes the semantics).
 */

export const POLICY_LIMITS = {
  /** Conditions (groups included) in one policy. */
  conditions: 500,
  /** Nesting of all/any/none groups. */
  depth: 12,
  /** Items of one matcher list (e.g. names of known miners). */
  matcherItems: 500,
  /** A leaf string of a matcher (glob, regular expression, comparison). */
  pattern: 1_000,
  text: 20_000,
  tags: 64,
  /** Items kept as the evidence of one reason, and reasons kept in one result. */
  evidenceItems: 20,
  reasons: 50,
} as const;

// --- Matchers -------------------------------------------------------------------------
// One grammar for every field: a leaf, a list (any of), { not: m }, or { all: [m, ...] }.
// What a leaf string means depends on the field's type (see the API's policies README).

function matcherOf<Leaf extends TSchema, Id extends string>(id: Id, leaf: Leaf, what: string) {
  const list = Type.Array(Type.Ref(id), { minItems: 1, maxItems: POLICY_LIMITS.matcherItems });
  const union = Type.Union(
    [
      leaf,
      list,
      Type.Object({ not: Type.Ref(id) }, { additionalProperties: false }),
      Type.Object({ all: list }, { additionalProperties: false }),
    ],
    { description: what },
  );
  return Type.Cyclic({ [id]: union } as Record<Id, typeof union>, id);
}

const Pattern = Type.String({ maxLength: POLICY_LIMITS.pattern });

/**
 * A text field: a glob, `/regex/flags`, or a comparison (`ge:2`, numeric when both are
 * numbers). A number stands for its decimal text, so YAML's `value: 0` means "0".
 */
export const TextMatcherSchema = matcherOf(
  "TextMatcher",
  Type.Union([Pattern, Type.Number()]),
  "a text matcher: a glob or exact string, /regex/flags, a comparison such as ge:2, a list " +
    "(any of), {not: ...} or {all: [...]}",
);

/** A number field: a number, or a comparison with an optional size unit (`gt:512MiB`). */
export const NumberMatcherSchema = matcherOf(
  "NumberMatcher",
  Type.Union([
    Type.Number(),
    Type.String({
      maxLength: 64,
      pattern: "^((lt|le|eq|ge|gt|ne):)?\\s*-?[0-9]+(\\.[0-9]+)?\\s*(B|[kKMGTP]B|[KMGTP]iB)?$",
    }),
  ]),
  "a number matcher: a number, a comparison such as gt:90 or ge:512MiB, a list (any of), " +
    "{not: ...} or {all: [...]}",
);

/** A version field: a comparison in the package manager's order (`lt:3.0.13`), or a glob. */
export const VersionMatcherSchema = matcherOf(
  "VersionMatcher",
  Pattern,
  "a version matcher: a comparison such as lt:3.0.13, a glob, /regex/flags, a list (any of), " +
    "{not: ...} or {all: [...]}",
);

/** An address field: an IPv4 or IPv6 address or CIDR range (`10.0.0.0/8`, `fd00::/8`). */
export const AddressMatcherSchema = matcherOf(
  "AddressMatcher",
  Type.String({ minLength: 2, maxLength: 64, pattern: "^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$" }),
  "an address matcher: an IP address or CIDR range, a list (any of), {not: ...} or {all: [...]}",
);

const Text = Type.Optional(TextMatcherSchema);
const Num = Type.Optional(NumberMatcherSchema);
const Version = Type.Optional(VersionMatcherSchema);
const Address = Type.Optional(AddressMatcherSchema);
const Bool = Type.Optional(Type.Boolean());
/** How many items must match, for the kinds that look at a list (default ge:1: at least one). */
const Count = Num;

const fields = <P extends Parameters<typeof Type.Object>[0]>(properties: P, description: string) =>
  Type.Object(properties, { additionalProperties: false, description });

// --- Conditions -----------------------------------------------------------------------

export const ProcessConditionSchema = fields(
  {
    name: Text,
    user: Text,
    cmdline: Text,
    pid: Num,
    ppid: Num,
    cpu_percent: Num,
    rss_bytes: Num,
    count: Count,
  },
  "Processes matching every given field; holds when their count matches `count`",
);

export const SessionConditionSchema = fields(
  {
    user: Text,
    terminal: Text,
    remote_host: Text,
    remote: Bool,
    address: Address,
    count: Count,
  },
  "Open sessions; `remote` is true when the session comes from another host, `address` " +
    "matches its remote address (local sessions have none)",
);

export const OsConditionSchema = fields(
  { platform: Text, name: Text, version: Version, kernel: Version, arch: Text },
  "The operating system; versions compare by numbers (12 (bookworm) is 12)",
);

export const HostConditionSchema = fields(
  {
    hostname: Text,
    address: Address,
    cores: Num,
    memory_bytes: Num,
    memory_available_bytes: Num,
    cpu_model: Text,
    cpu_vendor: Text,
    cpu_usage_percent: Num,
  },
  "Facts of the host; `address` holds when any of its addresses matches",
);

export const PackageConditionSchema = fields(
  { name: Text, version: Version, arch: Text, source: Text, count: Count },
  "Installed packages; versions compare the way their package manager (source) orders them",
);

export const ListeningConditionSchema = fields(
  {
    port: Num,
    protocol: Text,
    address: Address,
    loopback: Bool,
    process: Text,
    pid: Num,
    count: Count,
  },
  "Listening sockets; `loopback` is true for sockets bound to 127.0.0.0/8 or ::1 only",
);

export const AccountConditionSchema = fields(
  {
    name: Text,
    uid: Num,
    gid: Num,
    home: Text,
    shell: Text,
    password: Text,
    count: Count,
  },
  "Local accounts; `password` is set, empty, locked or none",
);

export const ServiceConditionSchema = fields(
  { name: Text, state: Text, active: Bool, enabled: Bool, count: Count },
  "Services (systemd units); `active` is state = active",
);

const SettingName = TextMatcherSchema;

export const SysctlConditionSchema = Type.Object(
  { name: SettingName, value: Text },
  {
    additionalProperties: false,
    description: "Kernel parameters: some parameter matching `name` has a value matching `value`",
  },
);

export const SshdConditionSchema = Type.Object(
  { option: SettingName, value: Text },
  {
    additionalProperties: false,
    description:
      "Effective sshd options (names in lower case): some option matching `option` has a " +
      "value matching `value`",
  },
);

export const FileConditionSchema = Type.Object(
  {
    path: SettingName,
    mode: Text,
    max_mode: Type.Optional(
      Type.String({
        pattern: "^0?[0-7]{3}$",
        description: "The widest mode allowed (0640): no permission bit beyond it",
      }),
    ),
    uid: Num,
    gid: Num,
  },
  {
    additionalProperties: false,
    description: "Owner and mode of a sensitive file: some file matching `path` matches the rest",
  },
);

export const FreshnessConditionSchema = Type.Object(
  {
    intervals: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 1_000_000,
        description: "How many agent intervals may pass between reports (default 2)",
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      "The agent reports on time: this report came within `intervals` intervals of the " +
      "previous one, and (when evaluated at a given time) is not older than that",
  },
);

/** Every condition kind and the schema of its fields: the registry's keys. */
export const CONDITION_SCHEMAS = {
  process: ProcessConditionSchema,
  session: SessionConditionSchema,
  os: OsConditionSchema,
  host: HostConditionSchema,
  package: PackageConditionSchema,
  listening: ListeningConditionSchema,
  account: AccountConditionSchema,
  service: ServiceConditionSchema,
  sysctl: SysctlConditionSchema,
  sshd: SshdConditionSchema,
  file: FileConditionSchema,
  freshness: FreshnessConditionSchema,
} as const;

export type ConditionKind = keyof typeof CONDITION_SCHEMAS;
export const CONDITION_KINDS = Object.keys(CONDITION_SCHEMAS) as ConditionKind[];
export const GROUP_KEYS = ["all", "any", "none"] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];

/** The fields of one condition kind. */
export type ConditionFields<K extends ConditionKind> = Static<(typeof CONDITION_SCHEMAS)[K]>;

/** `{ kind: fields }`: a condition of one kind. */
const one = <K extends ConditionKind>(kind: K) =>
  Type.Object({ [kind]: CONDITION_SCHEMAS[kind] } as Record<K, (typeof CONDITION_SCHEMAS)[K]>, {
    additionalProperties: false,
  });

const groupList = Type.Array(Type.Ref("Condition"), { minItems: 1 });

/** A condition: one kind's fields under its name, or a nested group. */
export const ConditionTreeSchema = Type.Cyclic(
  {
    Group: Type.Object(
      {
        all: Type.Optional(groupList),
        any: Type.Optional(groupList),
        none: Type.Optional(groupList),
      },
      {
        additionalProperties: false,
        minProperties: 1,
        description: "all: every one holds; any: at least one; none: not one",
      },
    ),
    Condition: Type.Union([
      Type.Ref("Group"),
      one("process"),
      one("session"),
      one("os"),
      one("host"),
      one("package"),
      one("listening"),
      one("account"),
      one("service"),
      one("sysctl"),
      one("sshd"),
      one("file"),
      one("freshness"),
    ]),
  },
  "Group",
);

export type ConditionGroup = Static<typeof ConditionTreeSchema>;

const Slug = (description: string) =>
  Type.String({
    minLength: 1,
    maxLength: 100,
    pattern: "^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$",
    description,
  });

export const SeveritySchema = Type.Union(
  [Type.Literal("critical"), Type.Literal("high"), Type.Literal("medium"), Type.Literal("low")],
  { description: "How bad a failure is" },
);

/** Every field of a policy but its check. */
export const PolicyHeaderSchema = Type.Object(
  {
    id: Slug("Stable identifier (a slug): the policy's key across versions"),
    name: Type.String({ minLength: 1, maxLength: 200, description: "Title" }),
    severity: SeveritySchema,
    description: Type.String({ maxLength: POLICY_LIMITS.text, description: "What and why" }),
    resolution: Type.String({ maxLength: POLICY_LIMITS.text, description: "How to comply" }),
    tags: Type.Array(Slug("A tag"), { maxItems: POLICY_LIMITS.tags }),
    platforms: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 32, pattern: "^[a-z0-9]+$" }), {
        minItems: 1,
        maxItems: 16,
        description: "Platforms it applies to (os.platform: linux, darwin, win32); absent: all",
      }),
    ),
    except_tags: Type.Optional(
      Type.Array(Slug("A host tag"), {
        maxItems: POLICY_LIMITS.tags,
        description: "Hosts carrying any of these tags are not subject to it (e.g. router)",
      }),
    ),
    enabled: Type.Optional(Type.Boolean({ description: "Evaluated at all (default true)" })),
    references: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 500 }), {
        maxItems: 32,
        description: "Benchmark items it follows, e.g. CIS Debian Linux 12 5.1.20",
      }),
    ),
  },
  { additionalProperties: false },
);

export const PolicySchema = Type.Object(
  { ...PolicyHeaderSchema.properties, check: ConditionTreeSchema },
  { additionalProperties: false },
);

export type Policy = Static<typeof PolicySchema>;
export type Severity = Static<typeof SeveritySchema>;

// --- Results --------------------------------------------------------------------------

export const PolicyStatusSchema = Type.Union(
  [
    Type.Literal("pass"),
    Type.Literal("fail"),
    Type.Literal("unknown"),
    Type.Literal("not_applicable"),
  ],
  {
    description:
      "pass or fail; unknown when the data a deciding condition needs was not collected; " +
      "not_applicable when the host's platform or tags put it out of the policy's scope",
  },
);

export const EvidenceItemSchema = Type.Record(
  Type.String({ maxLength: 64 }),
  Type.Union([Type.String({ maxLength: 1_024 }), Type.Number(), Type.Boolean(), Type.Null()]),
  { maxProperties: 16, description: "One item of the report that decided, e.g. a process" },
);

export const ReasonSchema = Type.Object(
  {
    condition: Type.String({ maxLength: 512, description: "Where in the policy: check/none/0" }),
    kind: Type.String({ maxLength: 32, description: "The condition kind, or platform / tags" }),
    message: Type.String({ maxLength: 1_024, description: "What was found, in one line" }),
    items: Type.Array(EvidenceItemSchema, {
      maxItems: POLICY_LIMITS.evidenceItems,
      description: "The items that made it so, at most 20",
    }),
    total: Type.Integer({ minimum: 0, description: "How many items there were in all" }),
  },
  { additionalProperties: false },
);

export const PolicyResultSchema = Type.Object(
  {
    status: PolicyStatusSchema,
    reasons: Type.Array(ReasonSchema, {
      maxItems: POLICY_LIMITS.reasons,
      description:
        "Why: for fail, the conditions that failed it and their items; for unknown, the " +
        "conditions whose data is missing; for not_applicable, the scope; empty for pass",
    }),
  },
  { additionalProperties: false },
);

export type PolicyStatus = Static<typeof PolicyStatusSchema>;
export type EvidenceItem = Static<typeof EvidenceItemSchema>;
export type Reason = Static<typeof ReasonSchema>;
export type PolicyResult = Static<typeof PolicyResultSchema>;
