import type { Server } from "node:http";
import type { RouteName } from "@compliance/contract";
import type { FastifyHttpOptions, FastifyReply, FastifyRequest } from "fastify";
import type { Admission } from "./admission.ts";
import type { RouteRateHooks } from "./rate-limit.ts";
import { ENROLL_BODY_LIMIT_BYTES, type HttpLimits, OTHER_BODY_LIMIT_BYTES } from "./settings.ts";

/**
 * Fastify's and Node's server options from the limits: bodies no bigger than a report
 * (routes lower it further), a whole request within the request timeout, its headers
 * within the headers timeout, idle keep-alive connections closed.
 */
export function serverOptions(
  limits: HttpLimits & { bodyLimitBytes: number },
): Partial<FastifyHttpOptions<Server>> {
  const headersMs = limits.headersTimeoutSeconds * 1000;
  return {
    bodyLimit: Math.min(limits.bodyLimitBytes, limits.reportBodyLimitBytes),
    requestTimeout: limits.requestTimeoutSeconds * 1000,
    keepAliveTimeout: limits.keepAliveTimeoutSeconds * 1000,
    ...(limits.trustProxy ? { trustProxy: limits.trustProxy } : {}),
    http: {
      headersTimeout: headersMs,
      // Node looks for requests past their timeout this often (30 s unless told).
      connectionsCheckingInterval: Math.min(5000, Math.max(250, headersMs / 4)),
    },
  };
}

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** What the API's routes add to their own definition: a body limit and rate-limit hooks. */
export interface RouteGuards {
  bodyLimit(name: RouteName): number;
  /**
   * Hooks run before the route's authentication and before its body is read, so a flood
   * is refused without a lookup of its credential.
   */
  beforeAuth(name: RouteName): Hook[];
}

/**
 * Each route's body limit fitted to what it receives, never above COMPLIANCE_BODY_LIMIT;
 * reports pass the rate limit of their node key, then admission control.
 */
export function routeGuards(
  limits: Pick<HttpLimits, "reportBodyLimitBytes"> & { bodyLimitBytes: number },
  rate: RouteRateHooks,
  admission: Admission,
): RouteGuards {
  const own: Partial<Record<RouteName, number>> = {
    enroll: ENROLL_BODY_LIMIT_BYTES,
    sendReport: limits.reportBodyLimitBytes,
    sendDelta: limits.reportBodyLimitBytes,
  };
  const hooks: Partial<Record<RouteName, (Hook | null)[]>> = {
    enroll: [rate.enroll],
    sendReport: [rate.report, admission.admit],
    sendDelta: [rate.report, admission.admit],
  };
  return {
    bodyLimit: (name) => Math.min(limits.bodyLimitBytes, own[name] ?? OTHER_BODY_LIMIT_BYTES),
    beforeAuth: (name) => (hooks[name] ?? []).filter((hook) => hook !== null),
  };
}
