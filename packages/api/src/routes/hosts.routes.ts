import { actorOf } from "../services/audit.service.ts";
import type { Services } from "../services/index.ts";
import { pageOf } from "./query.ts";
import type { Handlers } from "./register.ts";

/** Hosts: the fleet list with its searches, one host, and the admin's actions. */
export function hostHandlers(services: Services) {
  return {
    listHosts: async (request) => {
      const { q, os, ip, cpu, process, user, status, ...rest } = request.query;
      const filter = { q, os, ip, cpu, process, user, status };
      return services.hosts.list(filter, pageOf("listHosts", rest));
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
