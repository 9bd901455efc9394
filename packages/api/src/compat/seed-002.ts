import type { Report } from "@compliance/contract";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type, { type Static } from "typebox";
import { notFound } from "../errors.ts";
import type { LegacyService } from "../services/legacy.service.ts";
import { type SeedOptions, storeLegacy } from "./legacy-ingest.ts";
import {
  legacyIp,
  legacyIps,
  legacyReport,
  legacyTime,
  legacyUuid,
  noteOf,
  receiveSecond,
  seedTimeOf,
  toNumber,
} from "./legacy-report.ts";
import { IpField, legacyErrors, NumberLike, SeedTime, Text } from "./seed-schemas.ts";

/**
 * Seed 002, os_inspector (Flask + S3): `POST /report` with the CPU, the OS, the user that
 * ran the agent and the share of memory in use; `GET /report?ip=` reads one back.
 *
 * It sends no process list and no logged-in users: `os_username` is the account its agent
 * ran as, not a session. Both lists are therefore unknown, and the two values our report
 * has no field for (that user, the memory share) are kept in the `errors` notes, where the
 * console shows them and the read route finds them again.
 */

export const Seed002Body = Type.Object(
  {
    cpu: Type.Optional(Text("Processor")),
    os_username: Type.Optional(Text("The user the agent ran as")),
    os_name: Type.Optional(Text("platform.system()")),
    server_ip: IpField("The host's address"),
    timestamp: Type.Optional(SeedTime("Local time, YYYY-MM-DD HH:MM:SS")),
    os_version: Type.Optional(Text("OS version")),
    mem: Type.Optional(NumberLike("Memory in use, percent")),
  },
  { description: "Seed 002's report" },
);
export type Seed002Body = Static<typeof Seed002Body>;

const USER_NOTE = "seed 002 sends only the user its agent ran as, not who is logged in: ";
const MEMORY_NOTE = "seed 002 sends only the share of memory in use: ";

export function mapSeed002(body: Seed002Body, nowMs: number, timeZone = "UTC"): Report {
  const ips = legacyIps(body.server_ip, "body/server_ip");
  const at = body.timestamp
    ? legacyTime(body.timestamp, "body/timestamp", nowMs, timeZone)
    : receiveSecond(nowMs);
  const mem = toNumber(body.mem, "body/mem", 100);
  const user = body.os_username?.trim() ?? "";
  return legacyReport({
    seed: "002",
    reportId: legacyUuid("002", ips[0]!, at.iso, JSON.stringify(body)),
    collectedAt: at.iso,
    ips,
    hostname: null,
    os: { name: body.os_name ?? "", version: body.os_version ?? "" },
    cpu: { model: body.cpu ?? "", usage: null },
    processes: null,
    sessions: null,
    notes: {
      cpu: "seed 002 sends the processor name only: use and cores unknown",
      ...(user ? { sessions: `${USER_NOTE}${user}` } : {}),
      ...(mem !== null ? { memory: `${MEMORY_NOTE}${mem}%` } : {}),
    },
  });
}

/** A stored report in seed 002's shape. */
export function seed002View(report: Report) {
  const user = noteOf(report, "sessions");
  const memory = noteOf(report, "memory");
  const view: {
    cpu: string;
    os_username: string;
    os_name: string;
    server_ip: string;
    timestamp: string;
    os_version: string;
    mem?: number;
  } = {
    cpu: report.cpu.model,
    os_username: user?.startsWith(USER_NOTE) ? user.slice(USER_NOTE.length) : "",
    os_name: report.os.name,
    server_ip: report.host.primary_ip ?? "",
    timestamp: seedTimeOf(report.collected_at).slice(0, 19),
    os_version: report.os.version,
  };
  const mem = memory?.startsWith(MEMORY_NOTE)
    ? Number(memory.slice(MEMORY_NOTE.length).replace(/%$/, ""))
    : Number.NaN;
  if (Number.isFinite(mem)) view.mem = mem;
  return view;
}

const Seed002View = Type.Object({
  cpu: Type.String(),
  os_username: Type.String(),
  os_name: Type.String(),
  server_ip: Type.String(),
  timestamp: Type.String(),
  os_version: Type.String(),
  mem: Type.Optional(Type.Number()),
});

export function seed002Routes(
  ingest: LegacyService,
  { rawOf, timeZone }: SeedOptions,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      "/report",
      {
        schema: {
          tags: ["legacy"],
          summary: "Seed 002: send a report",
          description:
            'Stored as an execution of the legacy host of its address; 200 {"status":"success"} as the original answered.',
          body: Seed002Body,
          response: { 200: Type.Object({ status: Type.Literal("success") }), ...legacyErrors },
        },
      },
      async (request, reply) => {
        const report = mapSeed002(request.body, ingest.now, timeZone);
        const ip = report.host.primary_ip ?? "";
        const { stored } = await storeLegacy(
          ingest,
          { seed: "002", kind: "report", ip, raw: rawOf(request) },
          () => report,
        );
        if (stored.duplicate) reply.header("idempotent-replayed", "true");
        return { status: "success" as const };
      },
    );

    app.get(
      "/report",
      {
        schema: {
          tags: ["legacy"],
          summary: "Seed 002: the latest report of an address",
          description:
            "The latest report of that address exactly as sent (a host only other seeds report: in seed 002's shape); 404 when there is none.",
          querystring: Type.Object({ ip: Type.String({ minLength: 1, maxLength: 64 }) }),
          response: {
            200: Type.Object({ report: Seed002View }),
            404: legacyErrors[400],
            ...legacyErrors,
          },
        },
      },
      async (request, reply) => {
        // curl examples of the seed quote the address: ?ip='10.10.10.1'
        const ip = legacyIp(request.query.ip.replace(/^['"]|['"]$/g, ""), "querystring/ip");
        const hostId = await ingest.hostOf(ip);
        const report = hostId === null ? null : await ingest.latest(hostId);
        if (!report) throw notFound(`a report of ${ip}`);
        // The original kept each report as sent (in S3): the latest seed 002 body of the
        // host is served as sent; a host only other seeds report, in seed 002's shape.
        const sent = await ingest.requestOf(report.report_id);
        if (sent?.seed === "002") {
          const text = `{"report":${sent.body}}`;
          return reply
            .type("application/json; charset=utf-8")
            .serializer(String)
            .send(text as never);
        }
        return { report: seed002View(report) };
      },
    );
  };
}
