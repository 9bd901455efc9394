import { join } from "node:path";
import type { Report, ReportAccepted } from "@compliance/contract";
import type { Clock } from "./clock.ts";
import { checkServerUrl, DEFAULT_SPOOL_MAX_BYTES, DEFAULT_SPOOL_MAX_REPORTS } from "./config.ts";
import { Courier, type Delivery } from "./delivery.ts";
import { AgentError, ConfigError } from "./errors.ts";
import { createHttpClient, type HttpClient } from "./http.ts";
import { StateLock } from "./lock.ts";
import { type Logger, SILENT } from "./log.ts";
import { type CollectOptions, collectReport } from "./report.ts";
import { Spool } from "./spool.ts";
import { StateDir } from "./state.ts";
import type { Pin } from "./tls.ts";
import { DEFAULT_TIMEOUT_MS } from "./transport.ts";

export const SPOOL_DIR = "spool";

export interface RunOnceOptions {
  /** The API's base URL. */
  serverUrl: string;
  /** Needed when the state directory holds no node key yet, or the API forgot it. */
  enrollSecret?: string;
  /** Holds the node key, the spool, and a generated host id on hosts without a machine id. */
  stateDir: string;
  /** Per request (default 30 s). */
  timeoutMs?: number;
  /** Dates the report, times the CPU window and each request. */
  clock: Clock;
  /** How to collect (window, command lines, paths, ...). */
  collect?: Omit<CollectOptions, "stateDir" | "clock">;
  /** The HTTP client (default: node:http/https with `ca` and `pins`). */
  http?: HttpClient;
  /** Extra trusted CA certificates (PEM) for https://. */
  ca?: string;
  /** Certificate pins for https://. */
  pins?: readonly Pin[];
  /** Bounds of the spool (defaults: 1000 reports, 100 MiB). */
  spool?: { maxReports: number; maxBytes: number };
  /** What happened to older spooled reports sent along. */
  log?: Logger;
}

export interface RunOnceResult {
  /** The API's acknowledgement of this run's report. */
  accepted: ReportAccepted;
  /** True when this run enrolled (first run, or the API no longer knew the key). */
  enrolled: boolean;
  /** What was sent. */
  report: Report;
  /** Older spooled reports delivered before this one. */
  backlogDelivered: number;
}

/** The spool of a state directory. */
export function openSpool(stateDir: string, bounds?: RunOnceOptions["spool"]): Spool {
  return new Spool({
    dir: join(stateDir, SPOOL_DIR),
    maxReports: bounds?.maxReports ?? DEFAULT_SPOOL_MAX_REPORTS,
    maxBytes: bounds?.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES,
  }).open();
}

/** Logs what became of a spooled report; the daemon and `run --once` say the same things. */
export function logDelivery(log: Logger, reportId: string, delivery: Delivery): void {
  switch (delivery.kind) {
    case "stored":
      log.info(
        `stored report ${reportId} for host ${delivery.accepted.host_id}` +
          `${delivery.enrolled ? " (enrolled)" : ""}` +
          `${delivery.droppedTold > 0 ? ` (told the API about ${delivery.droppedTold} dropped reports)` : ""}`,
      );
      break;
    case "rejected":
      log.error(
        `report ${reportId} refused for good, moved to ${delivery.movedTo}: ${delivery.error.message}`,
      );
      break;
    case "failed":
      log.warn(`report ${reportId} not delivered, kept in the spool: ${delivery.error.message}`);
      break;
    case "gone":
      break;
  }
}

/**
 * One check-in: collect the report, put it in the spool, and deliver the spool oldest
 * first (reports an earlier run could not send go before this one). Enrolls when there is
 * no node key; a 401 for a saved key makes it enroll again and resend, once. When the API
 * cannot be reached the report stays spooled for the next run, and the error is thrown.
 */
export async function runOnce(options: RunOnceOptions): Promise<RunOnceResult> {
  const serverUrl = checkServerUrl(options.serverUrl, "the server URL");
  const state = new StateDir(options.stateDir);
  state.ensure();
  const lock = StateLock.acquire(state.path);
  const { clock } = options;
  const http = options.http ?? createHttpClient({ clock, ca: options.ca, pins: options.pins });
  try {
    const spool = openSpool(state.path, options.spool);
    const courier = new Courier({
      serverUrl,
      http,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
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
    const report = await collectReport({
      ...options.collect,
      stateDir: options.stateDir,
      clock,
    });
    courier.identifier = report.host.identifier;
    const entry = spool.put(report.report_id, JSON.stringify(report));

    const log = options.log ?? SILENT;
    let mine: Delivery | undefined;
    let backlogDelivered = 0;
    const result = await courier.drain({
      onDelivery: (delivered, delivery) => {
        if (delivered.seq === entry.seq) {
          mine = delivery;
          return;
        }
        if (delivery.kind === "stored") backlogDelivered++;
        logDelivery(log, delivered.reportId, delivery);
      },
    });
    const outcome = mine as Delivery | undefined;
    if (outcome?.kind === "stored") {
      return { accepted: outcome.accepted, enrolled: outcome.enrolled, report, backlogDelivered };
    }
    if (outcome?.kind === "rejected") throw outcome.error;
    const error = result.kind === "failed" ? result.delivery.error : undefined;
    const waiting = `${spool.count} report${spool.count === 1 ? "" : "s"} spooled in ${spool.dir} for the next run`;
    if (error instanceof AgentError) {
      error.message = `${error.message}; ${waiting}`;
      throw error;
    }
    throw new ConfigError(`the report was not sent; ${waiting}`);
  } finally {
    if (!options.http) (http as ReturnType<typeof createHttpClient>).close();
    lock.release();
  }
}
