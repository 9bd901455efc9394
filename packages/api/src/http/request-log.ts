import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

declare module "fastify" {
  interface FastifyRequest {
    /** The error code answered, when the answer is an error (for the log and metrics). */
    errorCode: string | null;
  }
}

const ERROR_CODE = /"code":"([a-z_]{1,64})"/;

/** Who called, by identity and never by secret: a host id, or a token's name. */
function callerOf(request: FastifyRequest): { host_id?: number; token?: string } {
  const caller = request.caller;
  if (!caller) return {};
  if (caller.node) return { host_id: caller.node.id };
  const p = caller.principal;
  if (!p) return {};
  return { token: p.tokenId === null ? "admin-token" : `${p.tokenName} (${p.tokenId})` };
}

/** Whether info lines are written (pino says; a logger that cannot say is assumed to). */
function infoEnabled(request: FastifyRequest): boolean {
  const log = request.log as { isLevelEnabled?: (level: string) => boolean };
  return log.isLevelEnabled?.("info") ?? true;
}

function line(request: FastifyRequest, reply: FastifyReply) {
  return {
    method: request.method,
    route: request.routeOptions.url ?? "(none)",
    status: reply.statusCode,
    ms: Math.round(reply.elapsedTime * 10) / 10,
    ip: request.ip,
    ...callerOf(request),
    ...(request.errorCode ? { code: request.errorCode } : {}),
  };
}

/**
 * One log line per request, at info: method, route pattern (never the path with its ids
 * or query), status, latency, client address and caller. A refused credential is a warn.
 * Agents check in at high rates, so the line is built from fields already at hand and
 * skipped altogether below info.
 */
export function requestLog(app: FastifyInstance): void {
  app.decorateRequest("errorCode", null);
  app.addHook("onSend", async (request, reply, payload) => {
    if (reply.statusCode >= 400 && typeof payload === "string") {
      request.errorCode = ERROR_CODE.exec(payload)?.[1] ?? null;
    }
    return payload;
  });
  app.addHook("onResponse", async (request, reply) => {
    const status = reply.statusCode;
    if (status === 401 || status === 403) {
      request.log.warn(line(request, reply), "authentication failed");
    } else if (infoEnabled(request)) {
      request.log.info(line(request, reply), "request");
    }
  });
}
