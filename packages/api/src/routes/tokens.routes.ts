import { actorOf } from "../services/audit.service.ts";
import type { Services } from "../services/index.ts";
import type { Handlers } from "./register.ts";

/** Tokens for people and scripts (admin), and which role a token has (anyone with one). */
export function tokenHandlers(services: Services) {
  const { tokens } = services;
  return {
    listTokens: async () => ({ items: await tokens.list() }),
    createToken: async (request, reply) => {
      reply.code(201);
      return tokens.create(request.body.name, request.body.role, actorOf(request.caller.principal));
    },
    revokeToken: async (request, reply) => {
      await tokens.revoke(request.params.id, actorOf(request.caller.principal));
      return reply.code(204).send(null);
    },
    whoAmI: async (request) => tokens.whoAmI(request.caller.principal!),
  } satisfies Pick<Handlers, "listTokens" | "createToken" | "revokeToken" | "whoAmI">;
}
