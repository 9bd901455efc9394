import Type, { type Static } from "typebox";
import { Page } from "./api.ts";
import { ROUTES } from "./routes.ts";

/** The kinds of lifetimes the activity of a window lists. */
export const ACTIVITY_KINDS = [
  "process",
  "session",
  "package",
  "listening",
  "account",
  "service",
  "sysctl",
  "sshd",
  "file",
] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export const ActivityItemSchema = Type.Object({
  kind: Type.Enum(ACTIVITY_KINDS),
  host_id: Type.Integer(),
  hostname: Type.String(),
  name: Type.String({
    description:
      "A process's name, a session's user, a package's or service's name, an account's name, " +
      "a socket's protocol, a setting's key, a file's path",
  }),
  user: Type.Optional(Type.String({ description: "Who ran the process or held the session" })),
  pid: Type.Optional(Type.Integer()),
  ppid: Type.Optional(Type.Integer()),
  cmdline: Type.Optional(Type.String()),
  terminal: Type.Optional(Type.String()),
  remote_host: Type.Optional(Type.String({ description: "Where the session came from" })),
  started_at: Type.Optional(Type.String({ description: "As the agent saw it" })),
  version: Type.Optional(
    Type.String({ description: "A package's version, a service's state, a setting's value" }),
  ),
  number: Type.Optional(Type.Integer({ description: "A socket's port, an account's uid" })),
  first_seen_at: Type.String({
    description: "collected_at of the first execution of its host that had it",
  }),
  last_seen_at: Type.Union([Type.String(), Type.Null()], {
    description: "collected_at of the last one; null while it is still there",
  }),
  gone_at: Type.Union([Type.String(), Type.Null()], {
    description:
      "collected_at of the first execution without it (it ended between last_seen_at and then); " +
      "null while it is still there",
  }),
  started: Type.Boolean({ description: "First seen within the window" }),
  ended: Type.Boolean({ description: "Last seen within the window, and gone since" }),
});
export type ActivityItem = Static<typeof ActivityItemSchema>;

const ActivityFilterFields = {
  from: Type.String({ format: "date-time", description: "The window's start" }),
  to: Type.Optional(Type.String({ format: "date-time", description: "Its end; now when absent" })),
  kind: Type.Optional(Type.Enum(ACTIVITY_KINDS)),
  user: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: "A glob on the user of processes and sessions (other kinds are left out)",
    }),
  ),
  name: Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, description: "A glob on the name" }),
  ),
  remote: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: "A glob on where sessions came from (`10.0.0.*`); other kinds are left out",
    }),
  ),
  changed: Type.Optional(
    Type.Boolean({ description: "Only lifetimes that started or ended within the window" }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e9 })),
};

const ACTIVITY_DESCRIPTION =
  "Every lifetime (process, session, inventory item) that started, ended or was present within the " +
  "window, from the executions collected in it: not only the difference between its two ends, so a " +
  "session that opened and closed between them is listed. Newest first.";

export const activityOperations = {
  hostActivity: {
    ...ROUTES.hostActivity,
    tags: ["history"],
    summary: "What a host ran and who was logged in within a window",
    description: ACTIVITY_DESCRIPTION,
    params: Type.Object({
      id: Type.Integer({ minimum: 1, maximum: 2 ** 52, description: "Host id" }),
    }),
    querystring: Type.Object(ActivityFilterFields),
    response: { 200: Page(ActivityItemSchema) },
    page: { defaultLimit: 100, maxLimit: 1000, sorts: [] },
  },
  fleetActivity: {
    ...ROUTES.fleetActivity,
    tags: ["fleet"],
    summary: "What ran and who was logged in within a window, fleet-wide",
    description: `${ACTIVITY_DESCRIPTION} \`host_id\` keeps one host.`,
    querystring: Type.Object({
      ...ActivityFilterFields,
      host_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 52 })),
    }),
    response: { 200: Page(ActivityItemSchema) },
    page: { defaultLimit: 100, maxLimit: 1000, sorts: [] },
  },
} as const;
