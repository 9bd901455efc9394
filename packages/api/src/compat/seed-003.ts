import {
  LIMITS,
  type Problem,
  type Report,
  type ReportProcess,
  type ReportSession,
  schemaProblems,
} from "@compliance/contract";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";

import type { FastifyError } from "fastify";
import Type from "typebox";
import { ApiError } from "../errors.ts";
import type { LegacyService } from "../services/legacy.service.ts";
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

/** A 003 row id: the same item of the same host keeps it from one execution to the next. */
const rowUuid = (ip: string, kind: string, key: string) =>
  legacyUuid("003-row", legacyIdentifier(ip), kind, key);
export const hostUuid = (identifier: string) => legacyUuid("003-host", identifier);

const hostView = (ip: string, os: { name: string; version: string }, hostname: string) => ({
  uuid: hostUuid(legacyIdentifier(ip)),
  ip,
  so_name: unameOf(os.name, hostname) || null,
  so_version: os.version || null,
});

const processRows = (report: Report, ip: string) =>
  noteOf(report, "processes") !== undefined
    ? []
    : report.processes.map((p) => ({
        uuid: rowUuid(ip, "process", JSON.stringify([p.pid, p.name, p.user])),
        user: p.user,
        pid: p.pid,
        created_at: report.collected_at,
        host: ip,
      }));

const userRows = (report: Report, ip: string) =>
  noteOf(report, "sessions") !== undefined
    ? []
    : report.sessions.map((s) => ({
        uuid: rowUuid(ip, "user", JSON.stringify([s.user, s.pid ?? null])),
        name: s.user,
        created_at: report.collected_at,
        host: ip,
      }));

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
  pid: Type.Integer(),
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
  cpu_usage: Type.Number(),
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
const errors = { ...legacyErrors, 422: Unprocessable };
const tags = ["legacy"];

const ListQuery = Type.Object({
  skip: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e9 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
});
const IpQuery = Type.Object({ ip: Type.String({ minLength: 1, maxLength: 4096 }) });

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
 * as a new execution. Calls for one host run one at a time (in this process).
 */
async function storePart(
  ingest: LegacyService,
  ip: string,
  part: Part,
  body: unknown,
  apply: (state: State) => void,
): Promise<{ report: Report; created: boolean }> {
  return ingest.exclusive(legacyIdentifier(ip), async () => {
    // Another API process may store a part of the same host between our read and our
    // write: the store refuses then (the latest changed), and the part is applied again.
    for (let attempt = 1; ; attempt++) {
      const hostId = await ingest.hostOf(ip);
      const base = hostId === null ? null : await ingest.latest(hostId);
      const state = stateOf(base, ip);
      apply(state);
      const at = receiveSecond(ingest.now);
      const report = reportOf(
        state,
        legacyUuid("003", ip, part, at.iso, JSON.stringify(body)),
        at.iso,
      );
      try {
        const stored = await ingest.store(report, {
          expectLatestReportId: base?.report_id ?? null,
        });
        // A resend within the same second is the execution already stored.
        const kept = stored.duplicate ? ((await ingest.report(stored.reportId)) ?? report) : report;
        return { report: kept, created: hostId === null };
      } catch (e) {
        if (!(e instanceof ApiError && e.code === "latest_changed") || attempt >= 5) throw e;
      }
    }
  });
}

/** The OS part; every part call stores a new execution of its host with that part replaced. */
function writeRoutes(app: App, ingest: LegacyService): void {
  app.post(
    "/hosts",
    {
      schema: {
        tags,
        summary: "Seed 003: the OS name and/or version of a host (upsert by ip)",
        description: "Changes only the fields sent. 201 when the host is new, else 200.",
        body: HostBody,
        response: { 200: HostView, 201: HostView, ...errors },
      },
    },
    async (request, reply) => {
      const { so_name, so_version } = request.body;
      const ip = legacyIp(request.body.ip, "body/ip");
      if ((so_name === null || so_name === undefined) && (so_version ?? null) === null) {
        // Nothing to change: the host exists afterwards, its history is untouched.
        const existing = await ingest.hostOf(ip);
        const hostId = existing ?? (await ingest.hostFor(legacyIdentifier(ip), ""));
        const latest = await ingest.latest(hostId);
        reply.code(existing === null ? 201 : 200);
        return hostView(ip, latest?.os ?? { name: "", version: "" }, latest?.host.hostname ?? "");
      }
      const { report, created } = await storePart(ingest, ip, "hosts", request.body, (state) => {
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
      reply.code(created ? 201 : 200);
      return hostView(ip, report.os, report.host.hostname);
    },
  );
}

/** The parts that replace a list or a measurement: users, processes, CPU use. */
function listRoutes(app: App, ingest: LegacyService): void {
  app.post(
    "/users",
    {
      schema: {
        tags,
        summary: "Seed 003: the users with an open session",
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
      const { report } = await storePart(ingest, ip, "users", request.body, (state) => {
        state.sessions = legacySessions(names);
      });
      const users = userRows(report, ip);
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
      const { report } = await storePart(ingest, ip, "processes", request.body, (state) => {
        state.processes = processes;
      });
      const rows = processRows(report, ip);
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
      const { report } = await storePart(ingest, ip, "cpu", request.body, (state) => {
        state.cpu.usage = usage;
      });
      reply.code(201);
      return {
        uuid: rowUuid(ip, "cpu", report.report_id),
        cpu_usage: report.cpu.usage_percent,
        created_at: report.collected_at,
        host: ip,
      };
    },
  );
}

/** The reads, from the legacy hosts' latest executions. */
function readRoutes(app: App, ingest: LegacyService): void {
  app.get(
    "/hosts",
    {
      schema: {
        tags,
        summary: "Seed 003: the legacy hosts",
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
        summary: "Seed 003: the measured CPU uses of the legacy hosts, newest first",
        querystring: ListQuery,
        response: {
          200: Type.Object({ cpus: Type.Array(CpuRow), total: Type.Integer() }),
          ...errors,
        },
      },
    },
    async (request) => {
      const page = await ingest.cpuSamples({
        limit: request.query.limit ?? 1000,
        offset: request.query.skip ?? 0,
      });
      return {
        cpus: page.items.map((c) => ({
          cpu_usage: c.usagePercent,
          created_at: c.collectedAt,
          host: c.primaryIp ?? ipOfIdentifier(c.identifier),
        })),
        total: page.total,
      };
    },
  );

  /** The latest report of the host of ?ip=, or null when there is none. */
  const latestOf = async (raw: string) => {
    const ip = legacyIp(raw, "querystring/ip");
    const hostId = await ingest.hostOf(ip);
    return { ip, report: hostId === null ? null : await ingest.latest(hostId) };
  };

  app.get(
    "/processes",
    {
      schema: {
        tags,
        summary: "Seed 003: the processes of a host at its latest execution",
        querystring: IpQuery,
        response: {
          200: Type.Object({ processes: Type.Array(ProcessRow), total: Type.Integer() }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { ip, report } = await latestOf(request.query.ip);
      const rows = report ? processRows(report, ip) : [];
      return { processes: rows, total: rows.length };
    },
  );

  app.get(
    "/users",
    {
      schema: {
        tags,
        summary: "Seed 003: the users logged in on a host at its latest execution",
        querystring: IpQuery,
        response: {
          200: Type.Object({ users: Type.Array(UserRow), total: Type.Integer() }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { ip, report } = await latestOf(request.query.ip);
      const rows = report ? userRows(report, ip) : [];
      return { users: rows, total: rows.length };
    },
  );
}

export function seed003Routes(ingest: LegacyService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.setErrorHandler((error: FastifyError | ApiError, _request, reply) => {
      const problems = problemsOf(error);
      if (!problems) throw error;
      const first = problems[0];
      const message = first ? `${first.path} ${first.message}` : error.message;
      return reply.code(422).send(unprocessable(problems, message));
    });

    writeRoutes(app, ingest);
    listRoutes(app, ingest);
    readRoutes(app, ingest);
  };
}

const ipOfIdentifier = (identifier: string) => identifier.replace(/^legacy:ip:/, "");
