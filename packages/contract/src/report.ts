import Type, { type Static } from "typebox";
import { INVENTORY_COLLECTORS, type InventoryCollector } from "./collectors.ts";
import { LIMITS } from "./limits.ts";

export { INVENTORY_COLLECTORS, type InventoryCollector, LIMITS };

/**
 * The wire contract v1: one JSON document per check-in of an agent.
 *
 * Field names are fixed: later versions add fields, never rename them. Every string and
 * array has an upper bound so an oversized or hostile report is rejected with a 400 that
 * names the field, never truncated. Unknown fields are rejected too: the API is upgraded
 * before the agents, so a field it does not know is a mistake, not data to drop silently.
 */

const Name = (description: string) =>
  Type.String({ minLength: 0, maxLength: LIMITS.name, description });
const NonEmptyName = (description: string) =>
  Type.String({ minLength: 1, maxLength: LIMITS.name, description });
const Time = (description: string) => Type.String({ format: "date-time", description });
const Count = (description: string) =>
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });
const Pid = (description: string) =>
  Type.Integer({ minimum: 0, maximum: 2_147_483_647, description });
const Percent = (description: string, maximum: number) =>
  Type.Number({ minimum: 0, maximum, description });
const Ip = Type.String({
  minLength: 2,
  maxLength: LIMITS.ip,
  pattern: "^[0-9A-Za-z:.%_-]+$",
  description: "An IPv4 or IPv6 address",
});

export const ProcessSchema = Type.Object(
  {
    pid: Pid("Process id"),
    ppid: Pid("Parent process id"),
    name: Name("Short name (Linux: comm)"),
    user: Name("Effective user name, or the numeric uid when it has no name"),
    cpu_percent: Percent("CPU use over the agent's measuring window, 100 = one full core", 100_000),
    rss_bytes: Count("Resident memory"),
    started_at: Type.Optional(Time("When the process started")),
    cmdline: Type.Optional(
      Type.String({
        maxLength: LIMITS.cmdline,
        description: "Command line, arguments joined by spaces, secrets redacted by the agent",
      }),
    ),
  },
  { additionalProperties: false },
);

export const SessionSchema = Type.Object(
  {
    user: Name("User with an open session"),
    terminal: Type.String({
      maxLength: LIMITS.terminal,
      description: "Terminal line (utmp ut_line)",
    }),
    remote_host: Type.Optional(Name("Where the session comes from, when remote")),
    started_at: Type.Optional(Time("When the session opened")),
    pid: Type.Optional(Pid("Session leader's process id")),
  },
  { additionalProperties: false },
);

export const CollectorErrorSchema = Type.Object(
  {
    collector: NonEmptyName("The collector that could not do its work"),
    message: Type.String({ maxLength: LIMITS.message, description: "Why, in one line" }),
  },
  { additionalProperties: false },
);

// Inventory beyond processes. Each of these report fields is optional: absent means the
// agent did not collect it (unknown); an empty list means collected, and there is none.
// A collector that could not work lists itself in `errors` under its name in
// INVENTORY_COLLECTORS (collectors.ts).

export const PackageSchema = Type.Object(
  {
    name: NonEmptyName("Package name"),
    version: Name("Version exactly as the package manager writes it (epoch, release, tilde)"),
    arch: Type.Optional(Name("Architecture (amd64, x86_64, noarch, all, ...)")),
    source: NonEmptyName("Package manager: deb, rpm, apk, ..."),
  },
  { additionalProperties: false },
);

export const ListeningSchema = Type.Object(
  {
    protocol: Type.Union(
      [Type.Literal("tcp"), Type.Literal("tcp6"), Type.Literal("udp"), Type.Literal("udp6")],
      { description: "tcp and udp are IPv4 sockets, tcp6 and udp6 IPv6" },
    ),
    address: Type.String({
      minLength: 1,
      maxLength: LIMITS.ip,
      pattern: "^[0-9A-Za-z:.%_*-]+$",
      description: "The local address bound (0.0.0.0 or :: for every address)",
    }),
    port: Type.Integer({ minimum: 0, maximum: 65_535, description: "Local port" }),
    pid: Type.Optional(Pid("Process owning the socket, when the agent may see it")),
    process: Type.Optional(Name("That process's name")),
  },
  { additionalProperties: false },
);

export const AccountSchema = Type.Object(
  {
    name: NonEmptyName("Account name (/etc/passwd)"),
    uid: Type.Integer({ minimum: 0, maximum: 4_294_967_295, description: "User id" }),
    gid: Type.Integer({ minimum: 0, maximum: 4_294_967_295, description: "Primary group id" }),
    home: Type.String({ maxLength: LIMITS.path, description: "Home directory" }),
    shell: Type.String({ maxLength: LIMITS.path, description: "Login shell" }),
    password: Type.Optional(
      Type.Union(
        [Type.Literal("set"), Type.Literal("empty"), Type.Literal("locked"), Type.Literal("none")],
        {
          description:
            "From /etc/shadow, never the hash: set, empty (no password needed), locked, or " +
            "none (no shadow entry). Absent when the agent could not read /etc/shadow.",
        },
      ),
    ),
  },
  { additionalProperties: false },
);

export const ServiceSchema = Type.Object(
  {
    name: NonEmptyName("Unit name, e.g. ssh.service"),
    state: NonEmptyName("Active state: active, inactive, failed, activating, ..."),
    enabled: Type.Optional(
      Type.Boolean({ description: "Starts at boot; absent when the unit has no install state" }),
    ),
  },
  { additionalProperties: false },
);

const SettingMap = (description: string) =>
  Type.Record(
    Type.String({ minLength: 1, maxLength: LIMITS.name }),
    Type.String({ maxLength: LIMITS.settingValue }),
    { maxProperties: LIMITS.settingKeys, description },
  );

export const FileModeSchema = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: LIMITS.name, description: "Absolute path" }),
    mode: Type.String({
      pattern: "^[0-7]{4}$",
      description: "Permission bits in octal, four digits (0640)",
    }),
    uid: Type.Integer({ minimum: 0, maximum: 4_294_967_295, description: "Owner's user id" }),
    gid: Type.Integer({ minimum: 0, maximum: 4_294_967_295, description: "Group id" }),
  },
  { additionalProperties: false },
);

export const SettingsSchema = Type.Object(
  {
    sysctl: Type.Optional(SettingMap("Kernel parameters by dotted name (net.ipv4.ip_forward)")),
    sshd: Type.Optional(SettingMap("Effective sshd options, keys in lower case")),
    files: Type.Optional(
      Type.Array(FileModeSchema, {
        maxItems: LIMITS.files,
        description: "Owner and mode of sensitive files that exist",
      }),
    ),
  },
  { additionalProperties: false },
);

export const ReportSchema = Type.Object(
  {
    schema_version: Type.Literal(1),
    report_id: Type.String({
      format: "uuid",
      description: "Made by the agent; the idempotency key",
    }),
    collected_at: Time("When the agent collected the report"),
    agent: Type.Object(
      {
        version: NonEmptyName("Agent version"),
        rss_bytes: Type.Optional(Count("The agent's own resident memory")),
        cpu_seconds: Type.Optional(
          Type.Number({
            minimum: 0,
            maximum: 1e9,
            description: "CPU time of the agent's last cycle",
          }),
        ),
        dropped_reports: Type.Optional(
          Count("Reports the agent's spool dropped (oldest first) since its last delivery"),
        ),
        set_aside: Type.Optional(
          Type.Object(
            {
              count: Count(
                "Reports the agent set aside since its last delivery: refused by the API too many times, kept on the host",
              ),
              last_status: Type.Optional(
                Type.Integer({
                  minimum: 100,
                  maximum: 599,
                  description: "The API's HTTP status for the last report set aside",
                }),
              ),
              last_error: Type.Optional(
                Type.String({
                  maxLength: LIMITS.message,
                  description: "Why the last report set aside was refused, in one line",
                }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    host: Type.Object(
      {
        identifier: NonEmptyName("Stable host id, e.g. /etc/machine-id"),
        hostname: Name("Host name"),
        primary_ip: Type.Optional(Ip),
        ip_addresses: Type.Array(Ip, { maxItems: LIMITS.ipAddresses }),
      },
      { additionalProperties: false },
    ),
    os: Type.Object(
      {
        platform: Name("linux, darwin, win32, ..."),
        name: Name("Distribution or product name"),
        version: Name("Version"),
        kernel: Name("Kernel release"),
        arch: Name("Architecture"),
      },
      { additionalProperties: false },
    ),
    cpu: Type.Object(
      {
        model: Name("Model name"),
        vendor: Name("Vendor id"),
        cores: Type.Integer({ minimum: 0, maximum: 65_536, description: "Logical processors" }),
        usage_percent: Percent("Whole-machine CPU use, 100 = all cores busy", 100),
      },
      { additionalProperties: false },
    ),
    memory: Type.Object(
      {
        total_bytes: Count("Installed memory"),
        available_bytes: Count("Memory available for new work"),
      },
      { additionalProperties: false },
    ),
    processes: Type.Array(ProcessSchema, { maxItems: LIMITS.processes }),
    sessions: Type.Array(SessionSchema, { maxItems: LIMITS.sessions }),
    packages: Type.Optional(Type.Array(PackageSchema, { maxItems: LIMITS.packages })),
    listening: Type.Optional(Type.Array(ListeningSchema, { maxItems: LIMITS.listening })),
    accounts: Type.Optional(Type.Array(AccountSchema, { maxItems: LIMITS.accounts })),
    services: Type.Optional(Type.Array(ServiceSchema, { maxItems: LIMITS.services })),
    settings: Type.Optional(SettingsSchema),
    errors: Type.Optional(
      Type.Array(CollectorErrorSchema, {
        maxItems: LIMITS.errors,
        description:
          "Collectors that could not work on this host. A collector listed here sent no data " +
          "(e.g. sessions on a machine without utmp), which means unknown, not empty.",
      }),
    ),
  },
  { additionalProperties: false },
);

export type Report = Static<typeof ReportSchema>;
export type ReportProcess = Static<typeof ProcessSchema>;
export type ReportSession = Static<typeof SessionSchema>;
export type CollectorError = Static<typeof CollectorErrorSchema>;
export type ReportPackage = Static<typeof PackageSchema>;
export type ReportListening = Static<typeof ListeningSchema>;
export type ReportAccount = Static<typeof AccountSchema>;
export type ReportService = Static<typeof ServiceSchema>;
export type ReportSettings = Static<typeof SettingsSchema>;
export type ReportFileMode = Static<typeof FileModeSchema>;
