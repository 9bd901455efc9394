import { LIMITS, type Report } from "@compliance/contract";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type, { type Static } from "typebox";
import type { LegacyService } from "../services/legacy.service.ts";
import { type SeedOptions, storeLegacy } from "./legacy-ingest.ts";
import {
  invalid,
  legacyIps,
  legacyProcess,
  legacyReport,
  legacySessions,
  legacyTime,
  legacyUuid,
  receiveSecond,
  toPid,
  uniqueProcesses,
} from "./legacy-report.ts";
import { IpField, legacyErrors, SeedTime, ShortText, Text } from "./seed-schemas.ts";

/**
 * Seed 004, challengeMeli (Flask + MySQL): `POST /` with the OS, the processor, the server
 * and its users and processes (pid → name). Its agent sends no Content-Type header; the
 * compatibility plugin reads such bodies as JSON.
 */

const Processor = Type.Object({
  Brand: Type.Optional(Text("CPU brand")),
  Vendor_ID: Type.Optional(Text("CPU vendor")),
});

export const Seed004Body = Type.Object(
  {
    OS: Type.Optional(
      Type.Object({
        System_Name: Type.Optional(Text("platform.system()")),
        Node: Type.Optional(Text("Host name")),
        Version: Type.Optional(Text("platform.version()")),
      }),
    ),
    // The seed's code spells it Proccesor; the correct spelling is accepted too.
    Proccesor: Type.Optional(Processor),
    Processor: Type.Optional(Processor),
    Server: Type.Object({
      IP: IpField("The host's address"),
      Date: Type.Optional(SeedTime("Local time of the execution")),
    }),
    Users: Type.Optional(
      Type.Array(Type.Union([ShortText(), Type.Null()]), {
        maxItems: LIMITS.sessions,
      }),
    ),
    Processes: Type.Optional(
      Type.Record(Type.String(), Text("Process name"), {
        maxProperties: LIMITS.processes,
        description: "pid → process name",
      }),
    ),
  },
  { description: "Seed 004's execution" },
);
export type Seed004Body = Static<typeof Seed004Body>;

export function mapSeed004(body: Seed004Body, nowMs: number, timeZone = "UTC"): Report {
  const ips = legacyIps(body.Server.IP, "body/Server/IP");
  const at = body.Server.Date
    ? legacyTime(body.Server.Date, "body/Server/Date", nowMs, timeZone)
    : receiveSecond(nowMs);
  const processor = body.Proccesor ?? body.Processor;
  const processes = body.Processes
    ? uniqueProcesses(
        Object.entries(body.Processes).map(([pid, name]) => {
          const path = `body/Processes/${pid}`;
          if (!/^\s*\d{1,10}\s*$/.test(pid)) throw invalid(path, "must be keyed by a pid");
          return { path, process: legacyProcess(toPid(pid, path), { name }) };
        }),
      )
    : null;
  const sessions = body.Users ? legacySessions(body.Users.map((name) => ({ name }))) : null;
  const node = body.OS?.Node?.trim();
  return legacyReport({
    seed: "004",
    reportId: legacyUuid("004", ips[0]!, at.iso, JSON.stringify(body)),
    collectedAt: at.iso,
    ips,
    hostname: node ? node : null,
    os: { name: body.OS?.System_Name ?? "", version: body.OS?.Version ?? "" },
    cpu: { model: processor?.Brand ?? "", vendor: processor?.Vendor_ID ?? "", usage: null },
    processes,
    sessions,
    notes: { cpu: "seed 004 sends the processor brand and vendor only: use and cores unknown" },
  });
}

export function seed004Routes(
  ingest: LegacyService,
  { rawOf, timeZone }: SeedOptions,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      "/",
      {
        schema: {
          tags: ["legacy"],
          summary: "Seed 004: an execution (read as JSON whatever its Content-Type)",
          description:
            "The older agent sends no Content-Type: its body is read as JSON whatever it says, with the usual limits. Stored as an execution of the legacy host of its address.",
          body: Seed004Body,
          response: {
            200: Type.Object({ "Status API Challenge Meli": Type.String() }),
            ...legacyErrors,
          },
        },
      },
      async (request, reply) => {
        const report = mapSeed004(request.body, ingest.now, timeZone);
        const ip = report.host.primary_ip ?? "";
        const { stored } = await storeLegacy(
          ingest,
          { seed: "004", kind: "report", ip, raw: rawOf(request) },
          () => report,
        );
        if (stored.duplicate) reply.header("idempotent-replayed", "true");
        return { "Status API Challenge Meli": "Informacion recibida correctamente" };
      },
    );
  };
}
