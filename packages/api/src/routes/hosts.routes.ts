import { HOST_CSV_COLUMNS, type Host, type InventoryRow } from "@compliance/contract";
import { actorOf } from "../services/audit.service.ts";
import type { Services } from "../services/index.ts";
import { sendCsv, wantsCsv } from "./csv.ts";
import { pageOf } from "./query.ts";
import type { Handlers } from "./register.ts";

/** Hosts: the fleet list with its searches, one host, and the admin's actions. */
export function hostHandlers(services: Services) {
  return {
    listHosts: async (request, reply) => {
      const { q, os, ip, cpu, process, user, status, format, ...rest } = request.query;
      const filter = { q, os, ip, cpu, process, user, status };
      const page = pageOf("listHosts", rest);
      if (!wantsCsv(format, request.headers.accept)) return services.hosts.list(filter, page);
      const hosts = await services.hosts.listAll(filter, page.sort);
      return sendCsv(reply, "hosts", HOST_CSV_COLUMNS, hosts.map(hostRow), hosts.length);
    },
    getHost: async (request) => services.hosts.get(request.params.id),
    deleteHost: async (request, reply) => {
      await services.hosts.delete(request.params.id, actorOf(request.caller.principal));
      return reply.code(204).send(null);
    },
    revokeHostKey: async (request, reply) => {
      await services.hosts.revokeKey(request.params.id, actorOf(request.caller.principal));
      return reply.code(204).send(null);
    },
  } satisfies Pick<Handlers, "listHosts" | "getHost" | "deleteHost" | "revokeHostKey">;
}

/** A host as a CSV row (HOST_CSV_COLUMNS): what is unknown is an empty cell, not 0. */
function hostRow(h: Host): InventoryRow {
  return {
    id: h.id,
    identifier: h.identifier,
    hostname: h.hostname,
    source: h.source,
    primary_ip: h.primary_ip,
    ip_addresses: h.ip_addresses.join(" "),
    os_name: h.os.name,
    os_version: h.os.version,
    kernel: h.os.kernel,
    cpu_model: h.cpu.model,
    cpu_cores: h.cpu.cores,
    memory_total_bytes: h.memory_known === false ? null : h.memory_total_bytes,
    agent_version: h.agent_version,
    online: h.online ? "true" : "false",
    enrolled_at: h.enrolled_at,
    last_seen_at: h.last_seen_at,
    executions: h.executions,
    process_count: h.processes_known === false || !h.last_seen_at ? null : h.process_count,
    session_count: h.sessions_known && h.last_seen_at ? h.session_count : null,
    cpu_usage_percent: h.cpu_usage_known === false || !h.last_seen_at ? null : h.cpu_usage_percent,
  };
}
