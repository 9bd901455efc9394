import type { Report } from "@compliance/contract";
import { type BackoffPolicy, jittered, retryDelay } from "./backoff.ts";
import type { Clock } from "./clock.ts";
import { messageOf } from "./errors.ts";
import type { Logger } from "./log.ts";
import { CpuBaseline } from "./report.ts";
import {
  AgentSession,
  logDelivery,
  type SessionCollectOptions,
  type SessionOptions,
} from "./session.ts";
import { formatDuration } from "./units.ts";

/** How long a send in flight may go on after the stop signal; its report stays spooled anyway. */
export const STOP_GRACE_MS = 5_000;

export interface DaemonOptions extends SessionOptions {
  timeoutMs: number;
  intervalMs: number;
  jitterMs: number;
  retry: BackoffPolicy;
  spool: { maxReports: number; maxBytes: number };
  collect?: Omit<SessionCollectOptions, "cpuBaseline" | "agentStats">;
  log: Logger;
  /** Stops the daemon: the report being collected is spooled, a send in flight gets a grace. */
  signal: AbortSignal;
  /** Paces the cycles, the retries and the stop's grace; dates the reports. */
  clock: Clock;
  random?: () => number;
  /** Each report once it is safely in the spool. */
  onReport?: (report: Report) => void;
}

/**
 * `compliance-agent run`: a report at start, then one every interval (plus or minus the
 * jitter), each put in the spool before it is sent. Delivery drains the spool oldest
 * first; after a failure it waits with exponential backoff and jitter (at least the API's
 * Retry-After) while collection goes on at its own pace. Per-process and machine CPU are
 * measured from one collection to the next, so no collection but the first waits a window.
 * Resolves once stopped by `signal`.
 */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const { log } = options;
  const session = AgentSession.open(options);
  const stop = graceAfterStop(options);
  try {
    log.info(
      `reporting to ${session.serverUrl} every ${formatDuration(options.intervalMs)} ` +
        `(±${formatDuration(options.jitterMs)}); ${session.waiting} reports waiting in ${session.spoolDir}`,
    );
    await new ServiceCycles(session, options, stop.sending).run();
    log.info(`stopped; ${session.waiting} reports waiting in ${session.spoolDir}`);
  } finally {
    stop.end();
    session.close();
  }
}

/**
 * A send in flight is aborted a grace period after the stop signal. Once the daemon has
 * ended, the grace is called off: nothing is left to abort, and a pending wait would keep
 * the process alive.
 */
function graceAfterStop({ signal, clock, log }: DaemonOptions) {
  const sending = new AbortController();
  const ended = new AbortController();
  const onStop = () => {
    log.info("stopping");
    void clock.sleep(STOP_GRACE_MS, ended.signal).then(() => {
      if (!ended.signal.aborted) sending.abort();
    });
  };
  signal.addEventListener("abort", onStop, { once: true });
  return {
    sending: sending.signal,
    end: () => {
      ended.abort();
      signal.removeEventListener("abort", onStop);
    },
  };
}

/** The service's pace: when the next collection and the next delivery are due. */
class ServiceCycles {
  private readonly random: () => number;
  private readonly baseline = new CpuBaseline();
  private cpuMark: NodeJS.CpuUsage | undefined;
  private nextCollect: number;
  private nextSend = 0;
  private failures = 0;

  constructor(
    private readonly session: AgentSession,
    private readonly options: DaemonOptions,
    /** Aborted a grace period after the stop signal. */
    private readonly sending: AbortSignal,
  ) {
    this.random = options.random ?? Math.random;
    this.nextCollect = this.monotonic();
  }

  private monotonic(): number {
    return this.options.clock.monotonic();
  }

  async run(): Promise<void> {
    const { signal } = this.options;
    const collectGarbage = (globalThis as { gc?: () => void }).gc;
    while (!signal.aborted) {
      const collected = this.monotonic() >= this.nextCollect;
      if (collected) await this.collect();
      if (this.session.waiting > 0 && this.monotonic() >= this.nextSend && !signal.aborted) {
        await this.send();
      }
      // Between two cycles the agent holds almost nothing: when the runtime lets it (the
      // unit runs node with --expose-gc), collect the cycle's garbage now rather than
      // letting the heap grow until V8 decides to, so the resident size stays flat.
      if (collected) collectGarbage?.();
      await this.idle();
    }
  }

  /** Collects a report and spools it; a failure is logged, and the service goes on. */
  private async collect(): Promise<void> {
    const { log, intervalMs, jitterMs } = this.options;
    const collectStart = this.monotonic();
    this.nextCollect = collectStart + jittered(intervalMs, jitterMs, this.random);
    let report: Report | undefined;
    try {
      report = await this.session.collect({
        ...this.options.collect,
        cpuBaseline: this.baseline,
        // The CPU since the previous report was collected: one whole cycle.
        agentStats: this.cpuMark ? { cpuSince: this.cpuMark } : true,
      });
      this.cpuMark = process.cpuUsage();
    } catch (error) {
      log.error(`collection failed: ${messageOf(error)}`);
    }
    if (report) {
      try {
        this.session.keep(report);
        this.options.onReport?.(report);
      } catch (error) {
        // A full or read-only disk: this report cannot be kept, and is lost.
        log.error(`report ${report.report_id} lost: ${messageOf(error)}`);
      }
    }
    // Never busier than every other moment: with an interval shorter than a collection,
    // the next one waits at least as long as this one took.
    const took = this.monotonic() - collectStart;
    this.nextCollect = Math.max(this.nextCollect, this.monotonic() + took);
  }

  /** Drains the spool until it is empty, a delivery fails, or the next collection is due. */
  private async send(): Promise<void> {
    const { log, signal, retry } = this.options;
    const result = await this.session.deliver({
      signal: this.sending,
      pause: () => signal.aborted || this.monotonic() >= this.nextCollect,
      // A failure is told once below, with what happens next.
      onDelivery: (entry, delivery) => {
        if (delivery.kind !== "failed") logDelivery(log, entry.reportId, delivery);
      },
    });
    if (result.kind === "empty") this.failures = 0;
    if (result.kind === "failed") {
      this.failures++;
      // A refused report is tried again soon: it is set aside after a few refusals, and
      // the reports behind it should not wait long for that.
      const { transient, retryAfterMs, refusals } = result.delivery;
      const wait =
        transient || refusals !== undefined
          ? retryDelay(this.failures, retry, retryAfterMs, this.random)
          : retry.maxMs;
      this.nextSend = this.monotonic() + wait;
      log.warn(
        `delivery failed: ${result.delivery.error.message}; ${this.session.waiting} reports waiting, next attempt in ${formatDuration(wait)}`,
      );
    }
  }

  /** Sleeps until the next collection or delivery is due; the stop signal ends it at once. */
  private async idle(): Promise<void> {
    const { signal, clock } = this.options;
    const sendDue = this.session.waiting > 0 ? this.nextSend : Number.POSITIVE_INFINITY;
    const wait = Math.min(this.nextCollect, sendDue) - this.monotonic();
    if (wait > 0 && !signal.aborted) await clock.sleep(wait, signal);
  }
}
