import {
  LIMITS,
  type Problem,
  type Report,
  type ReportProcess,
  type ReportSession,
  schemaProblems,
} from "@compliance/contract";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";

import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import Type from "typebox";
import { ApiError } from "../errors.ts";
import type { LegacyService } from "../services/legacy.service.ts";
import type { LegacyRequest } from "../store/store.ts";
import { type SeedOptions, storeLegacy } from "./legacy-ingest.ts";
import {
  type Collector,
  invalid,
  ipsOf,
  legacyIdentifier,
  legacyIp,
  legacyProcess,
  legacyReport,
  legacySessions,
  legacyUuid,
  noteOf,
  receiveSecond,
  splitUname,
  toNumber,
  toPid,
  unameOf,
  uniqueProcesses,
} from "./legacy-report.ts";
import { IpField, legacyErrors, NumberLike, PidLike, ShortText, Text } from "./seed-schemas.ts";

/**
 * Seed 003, Compliance Continuous Monitoring (FastAPI + MySQL). Its agent sends one part
 * of the host's state per call (`so-name`, `so-version`, `ps`, `users`, `cpu`).
 *
 * How parts become executions: each part call stores a new execution that is the host's
 * latest state with that part replaced, collected when received. Executions are immutable
 * (store.ingest is the only write), so parts cannot be folded into one afterwards, and
 * holding them back in memory to coalesce would lose them on a restart and split them
 * between API replicas. One execution per call keeps every call visible in the history,
 * makes the order of the parts irrelevant (each one replaces only its own field), and costs
 * little: an unchanged part stores almost nothing. What no call has sent yet is unknown
 * (listed in `errors`), never empty. CPU use is a measurement, not state: it is known only
 * in the execution of the cpu call that measured it, which is also how `GET /cpus` finds it.
 *
 * The read routes answer from the host's latest execution: `created_at` of a process or
 * user row is that execution's collected_at (the state as of the host's last check-in).
 */

type Part = "hosts" | "users" | "processes" | "cpu";

/** The plugin instance the seed's routes are added to. */
type App = Parameters<FastifyPluginAsyncTypebox>[0];

const HostBody = Type.Object({
  ip: IpField("The host's address"),
  so_name: Type.Optional(Text("`uname -sn`")),
  so_version: Type.Optional(Text("`uname -r`")),
});
const UsersBody = Type.Object({
  host: IpField("The host's address"),
  users: Type.Array(
    Type.Union([ShortText(), Type.Null(), Type.Object({ name: Type.Optional(Text("User")) })]),
    { maxItems: LIMITS.sessions, description: "Users with an open session" },
  ),
});
const ProcessesBody = Type.Object({
  host: IpField("The host's address"),
  processes: Type.Array(
    Type.Object({
      pid: PidLike,
      user: Type.Optional(Text("User running it")),
      name: Type.Optional(Text("Process name")),
    }),
    { maxItems: LIMITS.processes },
  ),
});
const CpuBody = Type.Object({
  host: IpField("The host's address"),
  cpu_usage: NumberLike("CPU use in percent, often as a string"),
});

/** The host's state as seed 003 sees it; null: not known yet. */
interface State {
  ips: string[];
  hostname: string | null;
  os: { name: string; version: string; kernel: string; arch: string };
  cpu: { model: string; vendor: string; usage: number | null };
  processes: ReportProcess[] | null;
  sessions: ReportSession[] | null;
}

/** The state a part is applied to: the host's latest report (from any seed), or nothing known. */
function stateOf(base: Report | null, ip: string): State {
  if (!base) {
    return {
      ips: [ip],
      hostname: null,
      os: { name: "", version: "", kernel: "", arch: "" },
      cpu: { model: "", vendor: "", usage: null },
      processes: null,
      sessions: null,
    };
  }
  const known = (c: Collector) => noteOf(base, c) === undefined;
  return {
    ips: [ip, ...ipsOf(base).filter((x) => x !== ip)],
    hostname: known("hostname") ? base.host.hostname : null,
    os: { ...base.os },
    cpu: { model: base.cpu.model, vendor: base.cpu.vendor, usage: null },
    processes: known("processes") ? base.processes : null,
    sessions: known("sessions") ? base.sessions : null,
  };
}

function reportOf(state: State, reportId: string, collectedAt: string): Report {
  return legacyReport({
    seed: "003",
    reportId,
    collectedAt,
    ips: state.ips,
    hostname: state.hostname,
    os: state.os,
    cpu: state.cpu,
    processes: state.processes,
    sessions: state.sessions,
    notes: {
      cpu: "not measured at this check-in: seed 003 sends the CPU use in a call of its own",
      processes: "not sent by seed 003 yet (its ps call)",
      sessions: "not sent by seed 003 yet (its users call)",
      os: "not sent by seed 003 yet (its so-name and so-version calls)",
    },
  });
}

export const hostUuid = (identifier: string) => legacyUuid("003-host", identifier);

const hostView = (ip: string, os: { name: string; version: string }, hostname: string) => ({
  uuid: hostUuid(legacyIdentifier(ip)),
  ip,
  so_name: unameOf(os.name, hostname) || null,
  so_version: os.version || null,
});

/**
 * Seed 003's user names of a users call: a row per item, repeats kept (its table did);
 * null and empty names are nobody.
 */
function userNames(users: unknown): string[] {
  if (!Array.isArray(users)) return [];
  const names: string[] = [];
  for (const u of users) {
    const name = u && typeof u === "object" ? (u as { name?: unknown }).name : u;
    if (typeof name === "string" && name !== "") names.push(name);
  }
  return names;
}

/** The processes of a ps call as its table kept them: the pid as sent, in a string. */
function processItems(processes: unknown): { user: string; pid: string }[] {
  if (!Array.isArray(processes)) return [];
  return processes.map((p: { pid?: unknown; user?: unknown }) => ({
    user: typeof p.user === "string" ? p.user : "",
    pid: typeof p.pid === "string" ? p.pid : String(p.pid),
  }));
}

const rowUuidOf = (request: LegacyRequest, i: number) =>
  legacyUuid("003-row", request.reportId, String(i));
/** The insert time, to the second as the original's DATETIME column kept it. */
const createdAt = (request: LegacyRequest) =>
  `${new Date(request.receivedAt).toISOString().slice(0, 19)}Z`;

/** The rows of one stored call, with the time it was received (the original's insert time). */
const processRows = (request: LegacyRequest) =>
  processItems((JSON.parse(request.body) as { processes?: unknown }).processes).map((p, i) => ({
    uuid: rowUuidOf(request, i),
    user: p.user,
    pid: p.pid,
    created_at: createdAt(request),
    host: request.ip,
  }));

const userRows = (request: LegacyRequest) =>
  userNames((JSON.parse(request.body) as { users?: unknown }).users).map((name, i) => ({
    uuid: rowUuidOf(request, i),
    name,
    created_at: createdAt(request),
    host: request.ip,
  }));

/** The CPU use as sent: its table kept a string ("97.0"). */
const cpuRows = (request: LegacyRequest) => {
  const sent = (JSON.parse(request.body) as { cpu_usage?: unknown }).cpu_usage;
  return [
    {
      uuid: rowUuidOf(request, 0),
      cpu_usage: typeof sent === "string" ? sent : String(sent),
      created_at: createdAt(request),
      host: request.ip,
    },
  ];
};

const Nullable = (t: ReturnType<typeof Type.String>) => Type.Union([t, Type.Null()]);
const HostView = Type.Object({
  uuid: Type.String(),
  ip: Type.String(),
  so_name: Nullable(Type.String()),
  so_version: Nullable(Type.String()),
});
const ProcessRow = Type.Object({
  uuid: Type.String(),
  user: Type.String(),
  pid: Type.String(),
  created_at: Type.String(),
  host: Type.String(),
});
const UserRow = Type.Object({
  uuid: Type.String(),
  name: Type.String(),
  created_at: Type.String(),
  host: Type.String(),
});
const CpuRow = Type.Object({
  cpu_usage: Type.String(),
  created_at: Type.String(),
  host: Type.String(),
});
const Unprocessable = Type.Object({
  detail: Type.Array(
    Type.Object({
      loc: Type.Array(Type.Union([Type.String(), Type.Integer()])),
      msg: Type.String(),
      type: Type.String(),
    }),
  ),
  error: legacyErrors[400].properties.error,
});
const NotFound = Type.Object({
  detail: Type.String(),
  error: legacyErrors[400].properties.error,
});
const errors = { ...legacyErrors, 404: NotFound, 422: Unprocessable };
const tags = ["legacy"];

const ListQuery = Type.Object({
  skip: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e9 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
});
const IpQuery = Type.Intersect([
  Type.Object({ ip: Type.String({ minLength: 1, maxLength: 4096 }) }),
  Type.Object({
    skip: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e9 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  }),
]);

/**
 * FastAPI answers a request it cannot read with 422 and `detail`; seed 003's clients get
 * that, with our `error` beside it.
 */
function unprocessable(problems: Problem[], message: string) {
  return {
    detail: problems.map((p) => ({
      loc: p.path.split("/").map((s) => (/^\d+$/.test(s) ? Number(s) : s)),
      msg: p.message,
      type: "value_error",
    })),
    error: { code: "invalid_request", message, details: problems },
  };
}

function problemsOf(error: FastifyError | ApiError): Problem[] | null {
  if (error instanceof ApiError) return error.statusCode === 400 ? (error.details ?? []) : null;
  if (error.validation) {
    return schemaProblems(error.validation as never).map((p) => ({
      path: `${error.validationContext ?? "body"}${p.path === "/" ? "" : p.path}`,
      message: p.message,
    }));
  }
  return error.statusCode === 400 ? [{ path: "body", message: error.message }] : null;
}

/**
 * Applies one part call to the host of `ip`: its latest state, changed by `apply`, stored
 * as a new execution, and the body kept as sent (the read routes list its rows).
 */
function storePart(
  ingest: LegacyService,
  options: SeedOptions,
  request: FastifyRequest,
  call: { ip: string; part: Part; itemCount: number },
  apply: (state: State) => void,
): Promise<{ report: Report; created: boolean; reportId: string }> {
  const raw = options.rawOf(request);
  return storeLegacy(
    ingest,
    { seed: "003", kind: call.part, ip: call.ip, raw, itemCount: call.itemCount },
    (latest) => {
      const state = stateOf(latest, call.ip);
      apply(state);
      const at = receiveSecond(ingest.now);
      const id = legacyUuid("003", call.ip, call.part, at.iso, JSON.stringify(request.body));
      return reportOf(state, id, at.iso);
    },
  ).then((o) => ({ report: o.report, created: o.created, reportId: o.stored.reportId }));
}

/** The OS part; every part call stores a new execution of its host with that part replaced. */
function writeRoutes(app: App, ingest: LegacyService, options: SeedOptions): void {
  app.post(
    "/hosts",
    {
      schema: {
        tags,
        summary: "Seed 003: the OS name and/or version of a host (upsert by ip)",
        description:
          "Changes only the fields sent. 200 with the host, new or not, as the original.",
        body: HostBody,
        response: { 200: HostView, ...errors },
      },
    },
    async (request) => {
      const { so_name, so_version } = request.body;
      const ip = legacyIp(request.body.ip, "body/ip");
      if ((so_name === null || so_name === undefined) && (so_version ?? null) === null) {
        // Nothing to change: the host exists afterwards, its history is untouched.
        const hostId =
          (await ingest.hostOf(ip)) ?? (await ingest.hostFor(legacyIdentifier(ip), ""));
        const latest = await ingest.latest(hostId);
        return hostView(ip, latest?.os ?? { name: "", version: "" }, latest?.host.hostname ?? "");
      }
      const call = { ip, part: "hosts" as const, itemCount: 0 };
      const { report } = await storePart(ingest, options, request, call, (state) => {
        if (so_name !== null && so_name !== undefined) {
          const uname = splitUname(so_name);
          state.os.name = uname.system;
          if (uname.node !== null) state.hostname = uname.node;
        }
        if (so_version !== null && so_version !== undefined) {
          state.os.version = so_version;
          state.os.kernel = so_version;
        }
      });
      return hostView(ip, report.os, report.host.hostname);
    },
  );
}

/** The parts that replace a list or a measurement: users, processes, CPU use. */
function listRoutes(app: App, ingest: LegacyService, options: SeedOptions): void {
  /** The rows one stored call made, as the original answered its insert. */
  const rowsOfCall = async <T>(reportId: string, rowsOf: (r: LegacyRequest) => T[]) => {
    const sent = await ingest.requestOf(reportId);
    return sent ? rowsOf(sent) : [];
  };

  app.post(
    "/users",
    {
      schema: {
        tags,
        summary: "Seed 003: the users with an open session",
        description:
          "201 with a row per name sent, repeats kept; stored as a new execution: the host's latest state with its sessions replaced.",
        body: UsersBody,
        response: {
          201: Type.Object({ users: Type.Array(UserRow), total: Type.Integer() }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const ip = legacyIp(request.body.host, "body/host");
      const names = request.body.users.map((u) => ({
        name: typeof u === "object" && u !== null ? u.name : u,
      }));
      const call = { ip, part: "users" as const, itemCount: userNames(request.body.users).length };
      const { reportId } = await storePart(ingest, options, request, call, (state) => {
        state.sessions = legacySessions(names);
      });
      const users = await rowsOfCall(reportId, userRows);
      reply.code(201);
      return { users, total: users.length };
    },
  );

  app.post(
    "/processes",
    {
      schema: {
        tags,
        summary: "Seed 003: the running processes",
        description:
          "201 with the rows stored, pid as sent (a string); stored as a new execution: the host's latest state with its processes replaced.",
        body: ProcessesBody,
        response: {
          201: Type.Object({ processes: Type.Array(ProcessRow), total: Type.Integer() }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const ip = legacyIp(request.body.host, "body/host");
      const processes = uniqueProcesses(
        request.body.processes.map((p, i) => {
          const path = `body/processes/${i}`;
          return {
            path,
            process: legacyProcess(toPid(p.pid, `${path}/pid`), { name: p.name, user: p.user }),
          };
        }),
      );
      const call = { ip, part: "processes" as const, itemCount: request.body.processes.length };
      const { reportId } = await storePart(ingest, options, request, call, (state) => {
        state.processes = processes;
      });
      const rows = await rowsOfCall(reportId, processRows);
      reply.code(201);
      return { processes: rows, total: rows.length };
    },
  );

  app.post(
    "/cpus",
    {
      schema: {
        tags,
        summary: "Seed 003: the CPU use",
        description: '201 with the row stored, cpu_usage as sent (a string such as "97.0").',
        body: CpuBody,
        response: {
          201: Type.Intersect([CpuRow, Type.Object({ uuid: Type.String() })]),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const ip = legacyIp(request.body.host, "body/host");
      const usage = toNumber(request.body.cpu_usage, "body/cpu_usage", 100);
      if (usage === null) throw invalid("body/cpu_usage", "must be a number from 0 to 100");
      const call = { ip, part: "cpu" as const, itemCount: 1 };
      const { reportId } = await storePart(ingest, options, request, call, (state) => {
        state.cpu.usage = usage;
      });
      const [row] = await rowsOfCall(reportId, cpuRows);
      reply.code(201);
      return row ?? { uuid: "", cpu_usage: String(usage), created_at: "", host: ip };
    },
  );
}

/** 404 as FastAPI's HTTPException answered it, with our `error` beside. */
const hostNotFound = (ip: string) => ({
  detail: "Host not found",
  error: { code: "not_found", message: `no legacy host has the address ${ip}` },
});

/** The reads: the hosts from their latest executions, the rows from the calls as sent. */
function readRoutes(app: App, ingest: LegacyService): void {
  app.get(
    "/hosts",
    {
      schema: {
        tags,
        summary: "Seed 003: the legacy hosts",
        description:
          "Legacy hosts only (our agents' hosts are read through /api/v1), paged with skip and limit.",
        querystring: ListQuery,
        response: {
          200: Type.Object({ hosts: Type.Array(HostView), total: Type.Integer() }),
          ...errors,
        },
      },
    },
    async (request) => {
      const page = await ingest.hosts({
        limit: request.query.limit ?? 1000,
        offset: request.query.skip ?? 0,
      });
      return {
        hosts: page.items.map((h) =>
          hostView(h.primary_ip ?? ipOfIdentifier(h.identifier), h.os, h.hostname),
        ),
        total: page.total,
      };
    },
  );

  app.get(
    "/cpus",
    {
      schema: {
        tags,
        summary: "Seed 003: every CPU use sent, oldest first, as sent",
        description: "Paged with skip and limit; values are strings, as they were sent.",
        querystring: ListQuery,
        response: {
          200: Type.Object({ cpus: Type.Array(CpuRow), total: Type.Integer() }),
          ...errors,
        },
      },
    },
    async (request) => {
      const page = { limit: request.query.limit ?? 1000, offset: request.query.skip ?? 0 };
      const { items, total } = await ingest.requestRows("cpu", null, page, cpuRows);
      return {
        cpus: items.map((c) => ({
          cpu_usage: c.cpu_usage,
          created_at: c.created_at,
          host: c.host,
        })),
        total,
      };
    },
  );

  /** Every row of one kind ever posted for the host of ?ip=; an unknown host is a 404. */
  const rowsOfHost = async <T>(
    query: { ip: string; skip?: number; limit?: number },
    kind: Part,
    rowsOf: (r: LegacyRequest) => T[],
    reply: FastifyReply,
  ) => {
    const ip = legacyIp(query.ip, "querystring/ip");
    const hostId = await ingest.hostOf(ip);
    if (hostId === null) {
      reply.code(404);
      return null;
    }
    const page = { limit: query.limit ?? 10_000, offset: query.skip ?? 0 };
    return ingest.requestRows(kind, hostId, page, rowsOf);
  };

  app.get(
    "/processes",
    {
      schema: {
        tags,
        summary: "Seed 003: every process row ever posted for a host, with its insert time",
        description:
          "Oldest first; created_at is when its call was received. 404 for an unknown address.",
        querystring: IpQuery,
        response: {
          200: Type.Object({ processes: Type.Array(ProcessRow), total: Type.Integer() }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const rows = await rowsOfHost(request.query, "processes", processRows, reply);
      if (!rows) return hostNotFound(request.query.ip);
      return { processes: rows.items, total: rows.total };
    },
  );

  app.get(
    "/users",
    {
      schema: {
        tags,
        summary: "Seed 003: every user row ever posted for a host, with its insert time",
        description:
          "Oldest first; created_at is when its call was received. 404 for an unknown address.",
        querystring: IpQuery,
        response: {
          200: Type.Object({ users: Type.Array(UserRow), total: Type.Integer() }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const rows = await rowsOfHost(request.query, "users", userRows, reply);
      if (!rows) return hostNotFound(request.query.ip);
      return { users: rows.items, total: rows.total };
    },
  );
}

export function seed003Routes(
  ingest: LegacyService,
  options: SeedOptions,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.setErrorHandler((error: FastifyError | ApiError, _request, reply) => {
      const problems = problemsOf(error);
      if (!problems) throw error;
      const first = problems[0];
      const message = first ? `${first.path} ${first.message}` : error.message;
      return reply.code(422).send(unprocessable(problems, message));
    });

    writeRoutes(app, ingest, options);
    listRoutes(app, ingest, options);
    readRoutes(app, ingest);
  };
}

const ipOfIdentifier = (identifier: string) => identifier.replace(/^legacy:ip:/, "");
