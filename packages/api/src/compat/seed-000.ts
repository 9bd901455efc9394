import { LIMITS, type Report } from "@compliance/contract";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type, { type Static } from "typebox";
import type { LegacyService } from "../services/legacy.service.ts";
import { type SeedOptions, storeLegacy } from "./legacy-ingest.ts";
import {
  ipsOf,
  legacyIps,
  legacyProcess,
  legacyReport,
  legacySessions,
  legacyUuid,
  receiveSecond,
  splitUname,
  toNumber,
  toPid,
  unameOf,
  uniqueProcesses,
  zonedToUtc,
} from "./legacy-report.ts";
import { IpField, legacyErrors, NumberLike, PidLike, Text } from "./seed-schemas.ts";

/**
 * Seed 000, compliance-api (Flask): a "signature" per check-in, read back by IP and second.
 * The original wrote one JSON file per report and read it back by the id in the URL; here
 * the id only selects a stored execution and never reaches the file system.
 */

export const Seed000Body = Type.Object(
  {
    processor: Type.Optional(Text("CPU model")),
    operative_system: Type.Optional(
      Type.Object({
        name: Type.Optional(Text("`uname -sn`, e.g. Linux debian")),
        version: Type.Optional(Text("`uname -v`")),
      }),
    ),
    server_ip: IpField("The host's address; several separated by spaces (hostname -I)"),
    active_processes: Type.Optional(
      Type.Array(
        Type.Object({
          pid: PidLike,
          name: Type.Optional(Text("Process name")),
          cpu_percent: Type.Optional(NumberLike("CPU use of the process")),
        }),
        { maxItems: LIMITS.processes },
      ),
    ),
    active_users: Type.Optional(
      Type.Array(Type.Object({ name: Type.Optional(Text("A logged-in user; empty: nobody")) }), {
        maxItems: LIMITS.sessions,
      }),
    ),
  },
  { description: "Seed 000's signature" },
);
export type Seed000Body = Static<typeof Seed000Body>;

/** The report of a seed 000 signature. It carries no time: it is collected when received. */
export function mapSeed000(body: Seed000Body, nowMs: number): Report {
  const ips = legacyIps(body.server_ip, "body/server_ip");
  const at = receiveSecond(nowMs);
  const uname = splitUname(body.operative_system?.name ?? "");
  const processes = body.active_processes
    ? uniqueProcesses(
        body.active_processes.map((p, i) => {
          const path = `body/active_processes/${i}`;
          return {
            path,
            process: legacyProcess(toPid(p.pid, `${path}/pid`), {
              name: p.name,
              cpu: toNumber(p.cpu_percent, `${path}/cpu_percent`, 100_000),
            }),
          };
        }),
      )
    : null;
  const sessions = body.active_users
    ? legacySessions(body.active_users.map((u) => ({ name: u.name })))
    : null;
  return legacyReport({
    seed: "000",
    reportId: legacyUuid("000", ips[0]!, at.iso, JSON.stringify(body)),
    collectedAt: at.iso,
    ips,
    hostname: uname.node,
    os: { name: uname.system, version: body.operative_system?.version ?? "" },
    cpu: { model: body.processor ?? "", usage: null },
    processes,
    sessions,
    notes: { cpu: "seed 000 sends the processor model only: use and cores unknown" },
  });
}

/** A stored report in seed 000's own JSON shape. */
export function seed000View(report: Report) {
  return {
    processor: report.cpu.model,
    operative_system: {
      name: unameOf(report.os.name, report.host.hostname),
      version: report.os.version,
    },
    server_ip: ipsOf(report).join(" "),
    active_processes: report.processes.map((p) => ({
      pid: p.pid,
      name: p.name,
      cpu_percent: p.cpu_percent,
    })),
    active_users: report.sessions.map((s) => ({ name: s.user })),
  };
}

const Seed000View = Type.Object({
  processor: Type.String(),
  operative_system: Type.Object({ name: Type.String(), version: Type.String() }),
  server_ip: Type.String(),
  active_processes: Type.Array(
    Type.Object({ pid: Type.Integer(), name: Type.String(), cpu_percent: Type.Number() }),
  ),
  active_users: Type.Array(Type.Object({ name: Type.String() })),
});

const NotFound000 = Type.Object({ status_code: Type.Literal(404), message: Type.String() });

/**
 * The id of a report in the URL: the IP followed by `YYYY_MM_DD_H_M_S`, directly or with an
 * underscore between. The IP may be the whole `server_ip` as sent, several addresses
 * separated by spaces: the original named its file so. Anything else is no report (404).
 */
const REPORT_ID =
  /^([0-9A-Fa-f.:\s,]{2,4096}?)_?([0-9]{4})_([0-9]{1,2})_([0-9]{1,2})_([0-9]{1,2})_([0-9]{1,2})_([0-9]{1,2})$/;

export function parseSeed000Id(id: string, timeZone = "UTC"): { ip: string; ms: number } | null {
  const m = REPORT_ID.exec(id);
  if (!m) return null;
  let ip: string;
  try {
    ip = legacyIps(m[1]!, "id")[0]!;
  } catch {
    return null;
  }
  const [y, mo, d, h, mi, s] = m.slice(2).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const t = new Date(ms);
  if (t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d || t.getUTCHours() !== h) return null;
  if (t.getUTCMinutes() !== mi || t.getUTCSeconds() !== s) return null;
  // The original named a file by its own local time.
  return { ip, ms: zonedToUtc(ms, timeZone) };
}

/** `<ip>_YYYY_MM_DD_H_M_S` (UTC, zero-padded): seed 000's name of a report. */
export function seed000Name(ip: string, collectedAt: string): string {
  const t = new Date(Date.parse(collectedAt));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${ip}_${t.getUTCFullYear()}_${pad(t.getUTCMonth() + 1)}_${pad(t.getUTCDate())}_${pad(t.getUTCHours())}_${pad(t.getUTCMinutes())}_${pad(t.getUTCSeconds())}`;
}

export function seed000Routes(
  ingest: LegacyService,
  { rawOf, timeZone }: SeedOptions,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    // The code says system_info, the seed's document systeminfo: both are served.
    for (const path of ["/api/v1/compliance/system_info", "/api/v1/compliance/systeminfo"]) {
      app.post(
        path,
        {
          schema: {
            tags: ["legacy"],
            summary: "Seed 000: send a signature",
            description:
              'The older agent\'s signature, stored as an execution of the legacy host of its first server_ip; 201 {"status":"OK"} as the original answered.',
            body: Seed000Body,
            response: { 201: Type.Object({ status: Type.Literal("OK") }), ...legacyErrors },
          },
        },
        async (request, reply) => {
          const report = mapSeed000(request.body, ingest.now);
          const call = { seed: "000" as const, kind: "report", ip: report.host.primary_ip ?? "" };
          const { stored } = await storeLegacy(
            ingest,
            { ...call, raw: rawOf(request) },
            () => report,
          );
          if (stored.duplicate) reply.header("idempotent-replayed", "true");
          reply.code(201);
          return { status: "OK" as const };
        },
      );

      app.get(
        `${path}/:id`,
        {
          schema: {
            tags: ["legacy"],
            summary: "Seed 000: a signature by IP and second (COMPLIANCE_LEGACY_TZ)",
            description:
              "id = the IP (or the whole server_ip sent) followed by YYYY_MM_DD_H_M_S, directly or with an underscore between; served exactly as sent.",
            params: Type.Object({ id: Type.String() }),
            response: { 200: Seed000View, 404: NotFound000, ...legacyErrors },
          },
        },
        async (request, reply) => {
          const id = parseSeed000Id(request.params.id, timeZone);
          const report = id ? await ingest.inSecond(id.ip, id.ms) : null;
          if (!report) {
            return reply.code(404).send({ status_code: 404 as const, message: "Event not found" });
          }
          // A signature is served exactly as its agent sent it, as the original served its
          // file; an execution of another seed in seed 000's shape.
          const sent = await ingest.requestOf(report.report_id);
          if (sent?.seed === "000") {
            return reply
              .type("application/json; charset=utf-8")
              .serializer(String)
              .send(sent.body as never);
          }
          return seed000View(report);
        },
      );
    }
  };
}
