import { LIMITS, type Report } from "@compliance/contract";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type, { type Static } from "typebox";
import type { LegacyService } from "../services/legacy.service.ts";
import {
  legacyIps,
  legacyProcess,
  legacyReport,
  legacySessions,
  legacyTime,
  legacyUuid,
  receiveSecond,
  seedTimeOf,
  toPid,
  uniqueProcesses,
} from "./legacy-report.ts";
import { IpField, legacyErrors, PidLike, SeedTime, Text } from "./seed-schemas.ts";

/**
 * Seed 001, Compliance continuo de servidores (Flask + SQLite): one `POST /servers` per
 * check-in with the processor, the OS, the processes and the active users.
 */

export const Seed001Body = Type.Object(
  {
    arquitectura_proc: Type.Optional(Text("Processor architecture, e.g. X86_64")),
    marca_proc: Type.Optional(Text("Processor brand")),
    nombre_so: Type.Optional(Text("platform.system(), e.g. Linux")),
    version_so: Type.Optional(Text("platform.version()")),
    ipaddress: IpField("The host's address"),
    usuarios_activos: Type.Optional(
      Type.Array(
        Type.Object({
          name: Type.Optional(Text("User with an open session")),
          pid: Type.Optional(Type.Union([PidLike, Type.Null()])),
        }),
        { maxItems: LIMITS.sessions },
      ),
    ),
    procesos: Type.Optional(
      Type.Array(
        Type.Object({
          name: Type.Optional(Text("Process name")),
          pid: PidLike,
          username: Type.Optional(Text("User running it")),
        }),
        { maxItems: LIMITS.processes },
      ),
    ),
    fecha_hora: Type.Optional(SeedTime("Local time of the check-in, microseconds optional")),
  },
  { description: "Seed 001's server check-in" },
);
export type Seed001Body = Static<typeof Seed001Body>;

export function mapSeed001(body: Seed001Body, nowMs: number): Report {
  const ips = legacyIps(body.ipaddress, "body/ipaddress");
  const at = body.fecha_hora
    ? legacyTime(body.fecha_hora, "body/fecha_hora", nowMs)
    : receiveSecond(nowMs);
  const processes = body.procesos
    ? uniqueProcesses(
        body.procesos.map((p, i) => {
          const path = `body/procesos/${i}`;
          return {
            path,
            process: legacyProcess(toPid(p.pid, `${path}/pid`), {
              name: p.name,
              user: p.username,
            }),
          };
        }),
      )
    : null;
  const sessions = body.usuarios_activos
    ? legacySessions(
        body.usuarios_activos.map((u, i) => ({
          name: u.name,
          pid:
            u.pid === null || u.pid === undefined
              ? null
              : toPid(u.pid, `body/usuarios_activos/${i}/pid`),
        })),
      )
    : null;
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
  host_id: Type.Integer(),
  report_id: Type.String(),
});

export function seed001Routes(ingest: LegacyService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      "/servers",
      {
        schema: {
          tags: ["legacy"],
          summary: "Seed 001: a server check-in",
          description: "201 echoes the stored server; a bad body is a 400 naming the field.",
          body: Seed001Body,
          response: { 201: Seed001Server, ...legacyErrors },
        },
      },
      async (request, reply) => {
        const report = mapSeed001(request.body, ingest.now);
        const stored = await ingest.store(report);
        if (stored.duplicate) reply.header("idempotent-replayed", "true");
        reply.code(201);
        return {
          ipaddress: report.host.primary_ip ?? "",
          fecha_hora: seedTimeOf(report.collected_at),
          arquitectura_proc: report.os.arch,
          marca_proc: report.cpu.model,
          nombre_so: report.os.name,
          version_so: report.os.version,
          host_id: stored.hostId,
          report_id: stored.reportId,
        };
      },
    );
  };
}
