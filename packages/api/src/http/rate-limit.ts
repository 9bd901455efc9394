import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { bearer } from "../auth.ts";
import { ApiError } from "../errors.ts";
import type { Rate, RateLimits } from "./settings.ts";

/** Monotonic seconds: a rate is about time elapsed, which the wall clock may jump over. */
const monotonicSeconds = () => performance.now() / 1000;

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, in the limiter's seconds. */
  at: number;
}

/**
 * Token buckets by key, in this process's memory: each key may spend `burst` at once and
 * regains `perSecond`. Several API replicas each count their own. The number of keys is
 * bounded: past `maxKeys`, full buckets (keys quiet long enough to have refilled) are
 * forgotten first, then the oldest.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly rate: Rate,
    private readonly now: () => number = monotonicSeconds,
    private readonly maxKeys = 100_000,
  ) {}

  private current(key: string): Bucket {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.evict(now);
      bucket = { tokens: this.rate.burst, at: now };
      this.buckets.set(key, bucket);
      return bucket;
    }
    const elapsed = Math.max(0, now - bucket.at);
    bucket.tokens = Math.min(this.rate.burst, bucket.tokens + elapsed * this.rate.perSecond);
    bucket.at = now;
    return bucket;
  }

  private evict(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.rate.perSecond >= this.rate.burst)
        this.buckets.delete(key);
    }
    const oldest = this.buckets.keys().next();
    if (this.buckets.size >= this.maxKeys && !oldest.done) this.buckets.delete(oldest.value);
  }

  /** Seconds until `key` may spend one, without spending: 0 when it may now. */
  wait(key: string): number {
    const bucket = this.current(key);
    return bucket.tokens >= 1 ? 0 : (1 - bucket.tokens) / this.rate.perSecond;
  }

  /** Spends one for `key`; returns 0 when it could, else the seconds until it can. */
  take(key: string): number {
    const bucket = this.current(key);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.rate.perSecond;
  }

  /** Spends one for `key` whatever is left (never below zero): a failure already happened. */
  spend(key: string): void {
    const bucket = this.current(key);
    bucket.tokens = Math.max(0, bucket.tokens - 1);
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** 429 with Retry-After in whole seconds (at least 1). */
export function tooManyRequests(waitSeconds: number, message: string): ApiError {
  const seconds = Math.max(1, Math.ceil(waitSeconds));
  // The connection closes after the answer: a client that ignores Retry-After and sends at
  // once must open a new one first, and the body it was sending is not read.
  return new ApiError(429, "rate_limited", `${message}; retry in ${seconds} s`, undefined, {
    headers: { "retry-after": String(seconds), connection: "close" },
  });
}

/**
 * Holds a refused report's answer for up to a second before sending it (and closing the
 * connection). A client that floods, sending again as soon as it is answered, then spends
 * its connections waiting instead of the API's time, so the hosts that keep to their pace
 * are served as fast as on a quiet API. At most `max` answers are held at once (each costs
 * a timer and an open connection, which the connection cap already bounds); past that they
 * are sent at once.
 */
export class Tarpit {
  private held = 0;

  constructor(
    private readonly max = 256,
    private readonly longestMs = 1000,
  ) {}

  async hold(waitSeconds: number): Promise<void> {
    if (this.held >= this.max) return;
    this.held++;
    try {
      const ms = Math.min(this.longestMs, Math.max(0, waitSeconds * 1000));
      await new Promise((done) => setTimeout(done, ms));
    } finally {
      this.held--;
    }
  }

  /** Answers held now. */
  get size(): number {
    return this.held;
  }
}

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** The per-route hooks of the rate limits: enrollments by address, reports by node key. */
export interface RouteRateHooks {
  enroll: Hook | null;
  /** Runs before the node key is looked up, by the key as sent. */
  report: Hook | null;
}

/**
 * The rate limits of one app. Failed authentications are counted for every route (any 401
 * spends from the address's bucket); once an address has spent its bucket, its requests
 * are answered 429 before any credential is checked, except /health.
 */
export function installRateLimits(
  app: FastifyInstance,
  limits: RateLimits,
  now?: () => number,
): RouteRateHooks {
  if (limits.authFailures) {
    const failures = new TokenBuckets(limits.authFailures, now);
    app.addHook("onRequest", async (request) => {
      if (request.url === "/health" || request.url.startsWith("/health?")) return;
      const wait = failures.wait(request.ip);
      if (wait > 0)
        throw tooManyRequests(wait, "too many failed authentications from this address");
    });
    app.addHook("onResponse", async (request, reply) => {
      if (reply.statusCode === 401) failures.spend(request.ip);
    });
  }
  const enroll = limits.enroll ? new TokenBuckets(limits.enroll, now) : null;
  const reports = limits.reports ? new TokenBuckets(limits.reports, now) : null;
  /** The node keys (hashed) whose report is being received or stored now. */
  const inFlight = new Set<string>();
  const tarpit = new Tarpit();
  return {
    enroll: enroll
      ? async (request) => {
          const wait = enroll.take(request.ip);
          if (wait > 0) throw tooManyRequests(wait, "too many enrollments from this address");
        }
      : null,
    // By the node key as sent (one per host), before it is looked up: a host flooding with
    // its own key costs the API no database read per request. A request without a key is
    // left to authentication (401, counted by address).
    report: reports
      ? async (request, reply) => {
          const key = bearer(request.headers.authorization);
          if (key === null) return;
          const id = createHash("sha256").update(key).digest("base64");
          // An agent sends one report at a time: a second one while the first is being
          // stored is a flood's, and waits its turn elsewhere.
          if (inFlight.has(id)) {
            await tarpit.hold(1);
            throw tooManyRequests(1, "a report from this host is already being stored");
          }
          const wait = reports.take(id);
          if (wait > 0) {
            await tarpit.hold(wait);
            throw tooManyRequests(wait, "too many reports from this host");
          }
          inFlight.add(id);
          reply.raw.once("close", () => inFlight.delete(id));
        }
      : null,
  };
}
