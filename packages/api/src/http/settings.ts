import { isIP } from "node:net";

/**
 * What one HTTP request may cost: how big its body is, how deep and wide its JSON, how long
 * it may take to arrive, how many connections are open at once, and how often a caller may
 * ask. Read from the environment by config.ts; buildApp takes them (defaults below).
 */
export interface HttpLimits {
  /** Largest body of a report (POST /api/v1/reports and the legacy ingest routes), in bytes. */
  reportBodyLimitBytes: number;
  /** Deepest nesting of arrays and objects in a JSON body. */
  jsonMaxDepth: number;
  /** Most items in one JSON array (or members in one object). */
  jsonMaxItems: number;
  /** Seconds a client has to send a whole request, headers and body. */
  requestTimeoutSeconds: number;
  /** Seconds a client has to send the request's headers. */
  headersTimeoutSeconds: number;
  /** Seconds an idle keep-alive connection stays open. */
  keepAliveTimeoutSeconds: number;
  /** Open connections at once; more are closed as they arrive. */
  maxConnections: number;
  /** The proxies whose X-Forwarded-For names the client (comma-separated addresses or CIDRs); null: none. */
  trustProxy: string | null;
  /**
   * Reports one API process has in hand at once (admission.ts); one more is answered 503
   * "overloaded" with Retry-After before its body is read.
   */
  maxPendingReports: number;
}

/** A token bucket: `burst` requests at once, then `perSecond` on average; null is no limit. */
export interface Rate {
  burst: number;
  perSecond: number;
}

export interface RateLimits {
  /** Reports per node key. */
  reports: Rate | null;
  /** Enrollments per source address. */
  enroll: Rate | null;
  /** Failed authentications (401) per source address; past it the address gets 429. */
  authFailures: Rate | null;
}

export const HTTP_DEFAULTS: Readonly<HttpLimits> = Object.freeze({
  // The largest real report (1,300 processes and 2,000 packages) is about 200 KB.
  reportBodyLimitBytes: 8 * 1024 * 1024,
  jsonMaxDepth: 64,
  // The contract's longest list (packages) holds 50,000 items.
  jsonMaxItems: 50_000,
  requestTimeoutSeconds: 60,
  headersTimeoutSeconds: 20,
  // Longer than the usual load balancer's idle timeout (60 s), so the balancer closes first.
  keepAliveTimeoutSeconds: 72,
  maxConnections: 1000,
  trustProxy: null,
  // A few seconds of a busy process's ingest: past it a report waits longer for its commit
  // than it takes the agent to come back after Retry-After.
  maxPendingReports: 256,
});

export const RATE_DEFAULTS: Readonly<RateLimits> = Object.freeze({
  // One report per interval, and a spool's catch-up after an outage: 60 at once, then 1/s.
  reports: { burst: 60, perSecond: 1 },
  // A rollout behind one NAT address enrolls many hosts at once.
  enroll: { burst: 120, perSecond: 2 },
  authFailures: { burst: 30, perSecond: 0.5 },
});

/** Largest body of an enrollment: a secret, an identifier and a hostname. */
export const ENROLL_BODY_LIMIT_BYTES = 16 * 1024;
/** Largest body of the other writes (policies, tokens, webhooks). */
export const OTHER_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Reads a rate written `<burst>,<per second>` ("60,1": 60 at once, then one a second;
 * "30,0.5": 30 at once, then one every two seconds); "0" or "off" switches it off.
 * Returns a message when the text is not one.
 */
export function parseRate(text: string): Rate | null | string {
  const raw = text.trim().toLowerCase();
  if (raw === "0" || raw === "off") return null;
  const match = /^(\d+)\s*,\s*(\d+(?:\.\d+)?)$/.exec(raw);
  if (!match) return `must be <burst>,<per second> such as "60,1", or 0 to switch it off`;
  const burst = Number(match[1]);
  const perSecond = Number(match[2]);
  if (burst < 1 || burst > 1_000_000) return "the burst must be from 1 to 1000000";
  if (perSecond <= 0 || perSecond > 1_000_000)
    return "the rate must be above 0 and at most 1000000";
  return { burst, perSecond };
}

/** The names proxy-addr knows for address ranges. */
const RANGE_NAMES = new Set(["loopback", "linklocal", "uniquelocal"]);

/**
 * Checks a list of trusted proxies: addresses, CIDRs (10.0.0.0/8) or the names loopback,
 * linklocal and uniquelocal, separated by commas. Returns a message naming the bad entry.
 */
export function trustProxyProblem(text: string): string | null {
  for (const entry of text.split(",").map((s) => s.trim())) {
    if (RANGE_NAMES.has(entry)) continue;
    const [address = "", prefix, extra] = entry.split("/");
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || extra !== undefined) {
      return `"${entry}" is not an address, a CIDR or one of loopback, linklocal, uniquelocal`;
    }
  }
  return null;
}
