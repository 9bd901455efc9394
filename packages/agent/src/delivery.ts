import type { ReportAccepted } from "@compliance/contract";
import type { Clock } from "./clock.ts";
import {
  AgentError,
  isTransient,
  messageOf,
  RejectedError,
  retryAfterOf,
  StateError,
} from "./errors.ts";
import type { HttpClient } from "./http.ts";
import { LastReport } from "./last-report.ts";
import type { SetAsideReason, Spool, SpoolEntry, SpoolNews } from "./spool.ts";
import { withSpoolNews } from "./spool.ts";
import type { StateDir } from "./state.ts";
import { enroll, sendDelta, sendReport } from "./transport.ts";

export interface CourierOptions {
  serverUrl: string;
  http: HttpClient;
  timeoutMs: number;
  state: StateDir;
  spool: Spool;
  /** Needed to enroll: first run, or after the API stopped accepting the key. */
  enrollSecret: string | undefined;
  clock: Clock;
}

/** What became of one spooled report. */
export type Delivery =
  /** Acknowledged by the API and removed from the spool. */
  | {
      kind: "stored";
      accepted: ReportAccepted;
      /** The agent enrolled (or enrolled again) to send it. */
      enrolled: boolean;
      /** What this one told the API of dropped reports and reports set aside. */
      told: SpoolNews;
    }
  /**
   * Refused SET_ASIDE_AFTER times (or not JSON at all): moved out of the way to `movedTo`,
   * and older reports set aside removed to keep their bound (`removed`).
   */
  | { kind: "set-aside"; error: AgentError; movedTo: string; removed: string[] }
  /**
   * Not delivered, still spooled. `transient`: the API is down, failing or busy; retry
   * with backoff. `refusals`: the API refused this report that many times (it is set aside
   * at SET_ASIDE_AFTER); retry with backoff too. Otherwise the credentials or the
   * configuration are wrong (the enroll secret, a key refused right after enrolling):
   * retry at the slowest pace.
   */
  | {
      kind: "failed";
      error: AgentError;
      transient: boolean;
      retryAfterMs: number | undefined;
      refusals?: number;
    }
  /** Its file was already gone (another run delivered it). */
  | { kind: "gone" };

export type DrainResult =
  | { kind: "empty" }
  | { kind: "paused" }
  | { kind: "failed"; delivery: Extract<Delivery, { kind: "failed" }> };

/**
 * How many times the API may refuse a report before the agent sets it aside. A refusal is
 * a 4xx answer that neither asks to retry later (408, 425, 429) nor is about the node key
 * (401, 403 host_mismatch: the agent enrolls again instead); no answer at all and 5xx are
 * never counted. More than one try lets an API that refused for a moment (a rolling
 * upgrade) take the report after all; a bound keeps one bad report from holding back
 * every report behind it.
 */
export const SET_ASIDE_AFTER = 5;

/**
 * Answers to a delta report after which the report goes whole: the API does not hold its
 * base or it does not fit (409), finds it invalid (400: the whole report gets the real
 * reason), or has no delta route (404, 405: an older API).
 */
const SEND_WHOLE = new Set([400, 404, 405, 409, 413, 422]);

/** Refusals that prove the node key was good: the API authenticated the request first. */
const REPORT_REFUSALS = new Set([400, 403, 409, 413, 422]);

/** A 4xx answer that counts towards setting the report aside. */
function isRefusal(error: AgentError): error is RejectedError {
  return (
    error instanceof RejectedError &&
    error.status >= 400 &&
    error.status < 500 &&
    error.status !== 401 &&
    !(error.status === 403 && error.apiCode === "host_mismatch") &&
    !isTransient(error)
  );
}

function hostOf(text: string): { identifier: string; hostname: string } | undefined {
  try {
    const host = (JSON.parse(text) as { host?: { identifier?: unknown; hostname?: unknown } }).host;
    if (typeof host?.identifier !== "string" || host.identifier === "") return undefined;
    return {
      identifier: host.identifier,
      hostname: typeof host.hostname === "string" ? host.hostname : "",
    };
  } catch {
    return undefined;
  }
}

function asAgentError(error: unknown): AgentError {
  if (error instanceof AgentError) return error;
  return new StateError(messageOf(error), { cause: error });
}

/**
 * Takes spooled reports to the API, oldest first, and keeps the node key.
 *
 * The key rule: a report refused with 401 (the API no longer knows the key: host deleted,
 * key revoked, database reset) makes the agent enroll again and resend, once. A key that
 * came from enrolling and was refused before any report got through is not worth another
 * enrollment: the agent waits instead of enrolling in a loop. 403 host_mismatch for a
 * report of this host's current identity (a state directory copied from another host)
 * counts like 401.
 */
export class Courier {
  private nodeKey: string | undefined;
  /** The key was obtained by enrolling and no report has been accepted with it yet. */
  private keyUnproven = false;
  /** This host's identifier now (the latest collection's). */
  identifier: string | undefined;
  private readonly lastReport: LastReport;
  /** False once the API showed it has no delta route. */
  private deltas = true;

  constructor(private readonly options: CourierOptions) {
    this.nodeKey = options.state.readNodeKey();
    this.lastReport = new LastReport(options.state);
  }

  /** Whether the agent can send at all: a saved key, or a secret to get one. */
  get canAuthenticate(): boolean {
    return this.nodeKey !== undefined || Boolean(this.options.enrollSecret);
  }

  private transport(signal: AbortSignal | undefined) {
    return {
      serverUrl: this.options.serverUrl,
      http: this.options.http,
      timeoutMs: this.options.timeoutMs,
      signal,
      clock: this.options.clock,
    };
  }

  private async enrollFor(
    text: string,
    signal: AbortSignal | undefined,
    currentKey?: string,
  ): Promise<void> {
    const secret = this.options.enrollSecret;
    if (!secret) throw new StateError("no enroll secret");
    const host = hostOf(text);
    if (!host) throw new StateError("the spooled report names no host");
    const answer = await enroll({
      ...this.transport(signal),
      enrollSecret: secret,
      hostIdentifier: host.identifier,
      hostname: host.hostname,
      currentKey,
    });
    this.options.state.saveNodeKey(answer.node_key);
    this.nodeKey = answer.node_key;
    this.keyUnproven = true;
    // The reports of the key before are not this key's host's: the next goes whole.
    this.lastReport.forget();
  }

  private mayEnrollAgain(error: unknown, text: string, justEnrolled: boolean): boolean {
    if (!(error instanceof RejectedError) || justEnrolled || this.keyUnproven) return false;
    if (!this.options.enrollSecret) return false;
    if (error.status === 401) return true;
    return (
      error.status === 403 &&
      error.apiCode === "host_mismatch" &&
      this.identifier !== undefined &&
      hostOf(text)?.identifier === this.identifier
    );
  }

  /** Sends one spooled report (enrolling when needed) and settles its fate in the spool. */
  async deliver(entry: SpoolEntry, signal?: AbortSignal): Promise<Delivery> {
    const text = this.options.spool.read(entry);
    if (text === undefined) return { kind: "gone" };
    const news = this.options.spool.news;
    let body: string;
    try {
      body = withSpoolNews(text, news);
    } catch (error) {
      const notJson = new StateError(`spooled report ${entry.reportId} is not JSON`, {
        cause: error,
      });
      return this.setAside(entry, notJson, { error: notJson.message });
    }

    let enrolled = false;
    let refusedKey: string | undefined;
    const attempt = async (): Promise<ReportAccepted> => {
      if (this.nodeKey === undefined) {
        try {
          await this.enrollFor(text, signal, refusedKey);
        } catch (error) {
          throw new EnrollFailure(error);
        }
        enrolled = true;
      }
      const send = { ...this.transport(signal), nodeKey: this.nodeKey!, reportId: entry.reportId };
      const delta = this.deltas ? this.lastReport.deltaOf(body) : undefined;
      if (delta !== undefined) {
        try {
          return await sendDelta({ ...send, body: delta });
        } catch (error) {
          if (!(error instanceof RejectedError) || !SEND_WHOLE.has(error.status)) throw error;
          if (error.status === 404 || error.status === 405) this.deltas = false;
        }
      }
      return sendReport({ ...send, body });
    };

    let accepted: ReportAccepted;
    try {
      try {
        accepted = await attempt();
      } catch (error) {
        if (!this.mayEnrollAgain(error, text, enrolled)) throw error;
        refusedKey = this.nodeKey;
        this.options.state.deleteNodeKey();
        this.nodeKey = undefined;
        accepted = await attempt();
      }
    } catch (error) {
      return this.failed(entry, error);
    }
    this.keyUnproven = false;
    this.options.spool.acknowledge(entry, news);
    try {
      this.lastReport.acknowledged(body);
    } catch {
      // Without it the next report goes whole: nothing is lost.
    }
    return { kind: "stored", accepted, enrolled, told: news };
  }

  private setAside(entry: SpoolEntry, error: AgentError, reason: SetAsideReason): Delivery {
    const { movedTo, removed } = this.options.spool.setAside(entry, reason);
    return { kind: "set-aside", error, movedTo, removed };
  }

  /** Counts a refusal of the report; at SET_ASIDE_AFTER the report is set aside. */
  private refused(entry: SpoolEntry, error: RejectedError): Delivery {
    // A refusal past authentication shows the key is good, even when the report is not.
    if (REPORT_REFUSALS.has(error.status)) this.keyUnproven = false;
    const refusals = this.options.spool.countRefusal(entry);
    if (refusals >= SET_ASIDE_AFTER) {
      const why = new RejectedError(
        `${error.message} (refused ${refusals} times)`,
        error.status,
        error.apiCode,
        { cause: error },
      );
      return this.setAside(entry, why, { status: error.status, error: error.message });
    }
    const counted = new RejectedError(
      `${error.message} (refusal ${refusals} of ${SET_ASIDE_AFTER} before it is set aside)`,
      error.status,
      error.apiCode,
      { cause: error, retryAfterMs: error.retryAfterMs },
    );
    return { kind: "failed", error: counted, transient: false, retryAfterMs: undefined, refusals };
  }

  private failed(entry: SpoolEntry, thrown: unknown): Delivery {
    const enrolling = thrown instanceof EnrollFailure;
    const error = asAgentError(enrolling ? thrown.error : thrown);
    if (isTransient(error)) {
      return { kind: "failed", error, transient: true, retryAfterMs: retryAfterOf(error) };
    }
    if (!enrolling && isRefusal(error)) return this.refused(entry, error);
    let reported = error;
    if (error instanceof RejectedError && error.status === 401 && !enrolling) {
      const why = !this.options.enrollSecret
        ? "the API no longer accepts the saved node key; set COMPLIANCE_ENROLL_SECRET or --enroll-secret to enroll again"
        : "refused right after enrolling; not enrolling again until a report gets through";
      reported = new RejectedError(`${error.message} (${why})`, error.status, error.apiCode, {
        cause: error,
      });
    }
    return { kind: "failed", error: reported, transient: false, retryAfterMs: undefined };
  }

  /**
   * Delivers the spool oldest first until it is empty, a delivery fails (the rest waits
   * for the retry), or `pause()` says other work is due. At least one report is tried
   * whatever `pause()` says, so delivery keeps up even when collecting takes longer than
   * the interval.
   */
  async drain(
    options: {
      signal?: AbortSignal;
      pause?: () => boolean;
      onDelivery?: (entry: SpoolEntry, delivery: Delivery) => void;
    } = {},
  ): Promise<DrainResult> {
    for (let tried = 0; ; tried++) {
      const entry = this.options.spool.oldest();
      if (entry === undefined) return { kind: "empty" };
      if (options.signal?.aborted || (tried > 0 && options.pause?.())) return { kind: "paused" };
      const delivery = await this.deliver(entry, options.signal);
      options.onDelivery?.(entry, delivery);
      if (delivery.kind === "failed") return { kind: "failed", delivery };
    }
  }
}

/** A failure while enrolling, told apart from the report's own. */
class EnrollFailure extends Error {
  constructor(readonly error: unknown) {
    super(messageOf(error));
  }
}
