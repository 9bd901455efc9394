import type { Report } from "@compliance/contract";
import { type BackoffPolicy, jittered, retryDelay } from "./backoff.ts";
import type { Clock } from "./clock.ts";
import { checkServerUrl } from "./config.ts";
import { Courier } from "./delivery.ts";
import { ConfigError, messageOf } from "./errors.ts";
import { createHttpClient, type HttpClient } from "./http.ts";
import { StateLock } from "./lock.ts";
import type { Logger } from "./log.ts";
import { type CollectOptions, CpuBaseline, collectReport } from "./report.ts";
import { logDelivery, openSpool } from "./run-once.ts";
import { StateDir } from "./state.ts";
import type { Pin } from "./tls.ts";
import { formatDuration } from "./units.ts";

/** How long a send in flight may go on after the stop signal; its report stays spooled anyway. */
export const STOP_GRACE_MS = 5_000;

export interface DaemonOptions {
  serverUrl: string;
  enrollSecret?: string;
  stateDir: string;
  timeoutMs: number;
  intervalMs: number;
  jitterMs: number;
  retry: BackoffPolicy;
  spool: { maxReports: number; maxBytes: number };
  ca?: string;
  pins?: readonly Pin[];
  collect?: Omit<CollectOptions, "stateDir" | "clock" | "cpuBaseline" | "agentStats">;
  log: Logger;
  /** Stops the daemon: the report being collected is spooled, a send in flight gets a grace. */
  signal: AbortSignal;
  http?: HttpClient;
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
  const { log, signal, clock } = options;
  const serverUrl = checkServerUrl(options.serverUrl, "the server URL");
  const state = new StateDir(options.stateDir);
  state.ensure();
  const lock = StateLock.acquire(state.path);
  const http = options.http ?? createHttpClient({ clock, ca: options.ca, pins: options.pins });
  // A send in flight is aborted a grace period after the stop signal. Once the daemon has
  // ended, the grace is called off: nothing is left to abort, and a pending wait would
  // keep the process alive.
  const sending = new AbortController();
  const ended = new AbortController();
  const onStop = () => {
    log.info("stopping");
    void clock.sleep(STOP_GRACE_MS, ended.signal).then(() => {
      if (!ended.signal.aborted) sending.abort();
    });
  };
  signal.addEventListener("abort", onStop, { once: true });
  try {
    const spool = openSpool(state.path, options.spool);
    const courier = new Courier({
      serverUrl,
      http,
      timeoutMs: options.timeoutMs,
      state,
      spool,
      enrollSecret: options.enrollSecret,
      clock,
    });
    if (!courier.canAuthenticate) {
      throw new ConfigError(
        `not enrolled yet (no node key in ${state.path}) and no enroll secret: set COMPLIANCE_ENROLL_SECRET or --enroll-secret`,
      );
    }
    log.info(
      `reporting to ${serverUrl} every ${formatDuration(options.intervalMs)} ` +
        `(±${formatDuration(options.jitterMs)}); ${spool.count} reports waiting in ${spool.dir}`,
    );

    const monotonic = () => clock.monotonic();
    const random = options.random ?? Math.random;
    const baseline = new CpuBaseline();
    let cpuMark: NodeJS.CpuUsage | undefined;
    let nextCollect = monotonic();
    let nextSend = 0;
    let failures = 0;

    const collectGarbage = (globalThis as { gc?: () => void }).gc;
    let collected = false;
    while (!signal.aborted) {
      if (monotonic() >= nextCollect) {
        collected = true;
        const collectStart = monotonic();
        nextCollect = collectStart + jittered(options.intervalMs, options.jitterMs, random);
        let report: Report | undefined;
        try {
          report = await collectReport({
            ...options.collect,
            stateDir: state.path,
            clock,
            cpuBaseline: baseline,
            // The CPU since the previous report was collected: one whole cycle.
            agentStats: cpuMark ? { cpuSince: cpuMark } : true,
          });
          cpuMark = process.cpuUsage();
          courier.identifier = report.host.identifier;
        } catch (error) {
          log.error(`collection failed: ${messageOf(error)}`);
        }
        if (report) {
          try {
            spool.put(report.report_id, JSON.stringify(report));
            options.onReport?.(report);
          } catch (error) {
            // A full or read-only disk: this report cannot be kept, and is lost.
            log.error(`report ${report.report_id} lost: ${messageOf(error)}`);
          }
        }
        // Never busier than every other moment: with an interval shorter than a
        // collection, the next one waits at least as long as this one took.
        const took = monotonic() - collectStart;
        nextCollect = Math.max(nextCollect, monotonic() + took);
      }

      if (spool.count > 0 && monotonic() >= nextSend && !signal.aborted) {
        const result = await courier.drain({
          signal: sending.signal,
          pause: () => signal.aborted || monotonic() >= nextCollect,
          // A failure is told once below, with what happens next.
          onDelivery: (entry, delivery) => {
            if (delivery.kind !== "failed") logDelivery(log, entry.reportId, delivery);
          },
        });
        if (result.kind === "empty") failures = 0;
        if (result.kind === "failed") {
          failures++;
          const { transient, retryAfterMs } = result.delivery;
          const wait = transient
            ? retryDelay(failures, options.retry, retryAfterMs, random)
            : options.retry.maxMs;
          nextSend = monotonic() + wait;
          log.warn(
            `delivery failed: ${result.delivery.error.message}; ${spool.count} reports waiting, next attempt in ${formatDuration(wait)}`,
          );
        }
      }

      if (collected) {
        collected = false;
        // Between two cycles the agent holds almost nothing: when the runtime lets it (the
        // unit runs node with --expose-gc), collect the cycle's garbage now rather than
        // letting the heap grow until V8 decides to, so the resident size stays flat.
        collectGarbage?.();
      }
      const sendDue = spool.count > 0 ? nextSend : Number.POSITIVE_INFINITY;
      const wait = Math.min(nextCollect, sendDue) - monotonic();
      // The stop signal ends the wait at once.
      if (wait > 0 && !signal.aborted) await clock.sleep(wait, signal);
    }
    log.info(`stopped; ${spool.count} reports waiting in ${spool.dir}`);
  } finally {
    ended.abort();
    signal.removeEventListener("abort", onStop);
    if (!options.http) (http as ReturnType<typeof createHttpClient>).close();
    lock.release();
  }
}
