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
import type { Spool, SpoolEntry } from "./spool.ts";
import { withDroppedCount } from "./spool.ts";
import type { StateDir } from "./state.ts";
import { enroll, sendReport } from "./transport.ts";

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
      /** Dropped reports this one told the API about. */
      droppedTold: number;
    }
  /** Refused for good (400, 403, 409, 413, 422): moved out of the way to `movedTo`. */
  | { kind: "rejected"; error: AgentError; movedTo: string }
  /**
   * Not delivered, still spooled. `transient`: the API is down, failing or busy; retry
   * with backoff. Otherwise the credentials or the configuration are wrong (the enroll
   * secret, a key refused right after enrolling, a wrong URL): retry at the slowest pace.
   */
  | { kind: "failed"; error: AgentError; transient: boolean; retryAfterMs: number | undefined }
  /** Its file was already gone (another run delivered it). */
  | { kind: "gone" };

export type DrainResult =
  | { kind: "empty" }
  | { kind: "paused" }
  | { kind: "failed"; delivery: Extract<Delivery, { kind: "failed" }> };

/** Refusals that are about the report itself: sending it again would be refused again. */
const REPORT_REFUSALS = new Set([400, 403, 409, 413, 422]);

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

  constructor(private readonly options: CourierOptions) {
    this.nodeKey = options.state.readNodeKey();
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

  private async enrollFor(text: string, signal: AbortSignal | undefined): Promise<void> {
    const secret = this.options.enrollSecret;
    if (!secret) throw new StateError("no enroll secret");
    const host = hostOf(text);
    if (!host) throw new StateError("the spooled report names no host");
    const answer = await enroll({
      ...this.transport(signal),
      enrollSecret: secret,
      hostIdentifier: host.identifier,
      hostname: host.hostname,
    });
    this.options.state.saveNodeKey(answer.node_key);
    this.nodeKey = answer.node_key;
    this.keyUnproven = true;
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
    const dropped = this.options.spool.dropped;
    let body: string;
    try {
      body = withDroppedCount(text, dropped);
    } catch (error) {
      const movedTo = this.options.spool.reject(entry);
      return {
        kind: "rejected",
        error: new StateError(`spooled report ${entry.reportId} is not JSON`, { cause: error }),
        movedTo,
      };
    }

    let enrolled = false;
    const attempt = async (): Promise<ReportAccepted> => {
      if (this.nodeKey === undefined) {
        try {
          await this.enrollFor(text, signal);
        } catch (error) {
          throw new EnrollFailure(error);
        }
        enrolled = true;
      }
      return sendReport({
        ...this.transport(signal),
        nodeKey: this.nodeKey!,
        body,
        reportId: entry.reportId,
      });
    };

    let accepted: ReportAccepted;
    try {
      try {
        accepted = await attempt();
      } catch (error) {
        if (!this.mayEnrollAgain(error, text, enrolled)) throw error;
        this.options.state.deleteNodeKey();
        this.nodeKey = undefined;
        accepted = await attempt();
      }
    } catch (error) {
      return this.failed(entry, error);
    }
    this.keyUnproven = false;
    this.options.spool.acknowledge(entry, dropped);
    return { kind: "stored", accepted, enrolled, droppedTold: dropped };
  }

  private failed(entry: SpoolEntry, thrown: unknown): Delivery {
    const enrolling = thrown instanceof EnrollFailure;
    const error = asAgentError(enrolling ? thrown.error : thrown);
    if (isTransient(error)) {
      return { kind: "failed", error, transient: true, retryAfterMs: retryAfterOf(error) };
    }
    if (!enrolling && error instanceof RejectedError && REPORT_REFUSALS.has(error.status)) {
      // The key got past authentication: it is good, the report is not.
      this.keyUnproven = false;
      return { kind: "rejected", error, movedTo: this.options.spool.reject(entry) };
    }
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
