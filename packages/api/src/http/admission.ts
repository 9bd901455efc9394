import type { FastifyReply, FastifyRequest } from "fastify";
import { ApiError } from "../errors.ts";

/** Why a request was answered "overloaded": the process's reports queue, or its database pool. */
export type OverloadReason = "queue_full" | "pool_busy" | "rows_busy";

/** Seconds an overloaded answer asks the client to wait: spread, so a burst comes back spread. */
const RETRY_AFTER_MIN = 1;
const RETRY_AFTER_MAX = 5;

/**
 * 503 "overloaded" with Retry-After: this API process has more work than it takes on now,
 * while the database answers. Not a client's fault (429 is for one client asking too often),
 * and not "unavailable" (the database does not answer): retry after the pause, as agents do.
 */
export function overloaded(reason: OverloadReason): ApiError {
  const seconds =
    RETRY_AFTER_MIN + Math.floor(Math.random() * (RETRY_AFTER_MAX - RETRY_AFTER_MIN + 1));
  const why = {
    queue_full: "this API process has as many reports in hand as it takes at once",
    pool_busy: "every database connection of this API process is busy",
    rows_busy: "the host's rows are busy with other writers",
  }[reason];
  // The connection stays open: the refused body is read past and dropped, never parsed,
  // so the client surely reads the answer (a connection closed on unread bytes can reset
  // before it does).
  return new ApiError(503, "overloaded", `${why}; retry in ${seconds} s`, undefined, {
    headers: { "retry-after": String(seconds) },
  });
}

const ADMITTED = Symbol("admitted");

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Admission control of one API process: at most `limit` reports in hand at once, from
 * their headers to their answer (reading the body, authentication, waiting for and taking
 * part in a commit). One more is answered at once, before its body is read, with 503
 * "overloaded" and Retry-After. Each process counts its own.
 */
export class Admission {
  private pending = 0;
  /** Told each refusal (metrics). */
  onOverloaded: ((reason: OverloadReason) => void) | null = null;

  constructor(readonly limit: number) {}

  /** Reports in hand now. */
  get depth(): number {
    return this.pending;
  }

  /** The route hook: admits the request or refuses it. */
  readonly admit: Hook = async (request) => {
    if (this.pending >= this.limit) throw this.refuse("queue_full");
    this.pending++;
    (request as unknown as Record<symbol, boolean>)[ADMITTED] = true;
  };

  /** An overloaded answer, counted. */
  refuse(reason: OverloadReason): ApiError {
    this.onOverloaded?.(reason);
    return overloaded(reason);
  }

  /**
   * Frees a request's place: once answered, or when its client went away (its work may
   * still finish; its answer has nobody to go to). Called from both; frees once.
   */
  release(request: FastifyRequest): void {
    const r = request as unknown as Record<symbol, boolean>;
    if (!r[ADMITTED]) return;
    r[ADMITTED] = false;
    this.pending--;
  }
}
