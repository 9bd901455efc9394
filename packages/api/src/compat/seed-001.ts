import { LIMITS, type Report } from "@compliance/contract";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type, { type Static } from "typebox";
import type { LegacyService } from "../services/legacy.service.ts";
import { type SeedOptions, storeLegacy } from "./legacy-ingest.ts";
import {
  legacyIps,
  legacyProcess,
  legacyReport,
  legacySessions,
  legacyTime,
  legacyUuid,
  toPid,
  uniqueProcesses,
} from "./legacy-report.ts";
import { IpField, legacyErrors, PidLike, Text } from "./seed-schemas.ts";

/**
 * Seed 001, Compliance continuo de servidores (Flask + SQLite): one `POST /servers` per
 * check-in with the processor, the OS, the processes and the active users. Its API stored
 * every field of its model in its tables and answered 400 to a body without one of them:
 * so does this route (a text may be null, as Python's None was stored).
 */

export const Seed001Body = Type.Object(
  {
    arquitectura_proc: Text("Processor architecture, e.g. X86_64"),
    marca_proc: Text("Processor brand"),
    nombre_so: Text("platform.system(), e.g. Linux"),
    version_so: Text("platform.version()"),
    ipaddress: IpField("The host's address"),
    usuarios_activos: Type.Array(
      Type.Object({
        name: Type.Optional(Text("User with an open session")),
        pid: Type.Optional(Type.Union([PidLike, Type.Null()])),
      }),
      { maxItems: LIMITS.sessions },
    ),
    procesos: Type.Array(
      Type.Object({
        name: Type.Optional(Text("Process name")),
        pid: PidLike,
        username: Type.Optional(Text("User running it")),
      }),
      { maxItems: LIMITS.processes },
    ),
    fecha_hora: Type.String({
      maxLength: 64,
      description: "Local time of the check-in, microseconds optional",
    }),
  },
  { description: "Seed 001's server check-in" },
);
export type Seed001Body = Static<typeof Seed001Body>;

export function mapSeed001(body: Seed001Body, nowMs: number, timeZone = "UTC"): Report {
  const ips = legacyIps(body.ipaddress, "body/ipaddress");
  const at = legacyTime(body.fecha_hora, "body/fecha_hora", nowMs, timeZone);
  const processes = uniqueProcesses(
    body.procesos.map((p, i) => {
      const path = `body/procesos/${i}`;
      return {
        path,
        process: legacyProcess(toPid(p.pid, `${path}/pid`), { name: p.name, user: p.username }),
      };
    }),
  );
  const sessions = legacySessions(
    body.usuarios_activos.map((u, i) => ({
      name: u.name,
      pid:
        u.pid === null || u.pid === undefined
          ? null
          : toPid(u.pid, `body/usuarios_activos/${i}/pid`),
    })),
  );
  return legacyReport({
    seed: "001",
    reportId: legacyUuid("001", ips[0]!, at.iso, JSON.stringify(body)),
    collectedAt: at.iso,
    ips,
    hostname: null,
    os: {
      name: body.nombre_so ?? "",
      version: body.version_so ?? "",
      arch: body.arquitectura_proc ?? "",
    },
    cpu: { model: body.marca_proc ?? "", usage: null },
    processes,
    sessions,
    notes: {
      cpu: "seed 001 sends the processor brand and architecture only: use and cores unknown",
    },
  });
}

const Seed001Server = Type.Object({
  ipaddress: Type.String(),
  fecha_hora: Type.String(),
  arquitectura_proc: Type.String(),
  marca_proc: Type.String(),
  nombre_so: Type.String(),
  version_so: Type.String(),
  usuarios_activos: Type.Array(Type.Unknown()),
  procesos: Type.Array(Type.Unknown()),
  host_id: Type.Integer(),
  report_id: Type.String(),
});

export function seed001Routes(
  ingest: LegacyService,
  { rawOf, timeZone }: SeedOptions,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      "/servers",
      {
        schema: {
          tags: ["legacy"],
          summary: "Seed 001: a server check-in",
          description:
            "201 echoes the stored server with its processes and users as sent; a body without a field of the model is a 400 naming it.",
          body: Seed001Body,
          response: { 201: Seed001Server, ...legacyErrors },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const report = mapSeed001(body, ingest.now, timeZone);
        const ip = report.host.primary_ip ?? "";
        const { stored } = await storeLegacy(
          ingest,
          { seed: "001", kind: "report", ip, raw: rawOf(request) },
          () => report,
        );
        if (stored.duplicate) reply.header("idempotent-replayed", "true");
        reply.code(201);
        return {
          ipaddress: ip,
          fecha_hora: body.fecha_hora,
          arquitectura_proc: body.arquitectura_proc ?? "",
          marca_proc: body.marca_proc ?? "",
          nombre_so: body.nombre_so ?? "",
          version_so: body.version_so ?? "",
          usuarios_activos: body.usuarios_activos,
          procesos: body.procesos,
          host_id: stored.hostId,
          report_id: stored.reportId,
        };
      },
    );
  };
}
