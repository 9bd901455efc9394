import { join } from "node:path";
import type { Report } from "@compliance/contract";
import type { Clock } from "./clock.ts";
import { checkServerUrl, DEFAULT_SPOOL_MAX_BYTES, DEFAULT_SPOOL_MAX_REPORTS } from "./config.ts";
import { Courier, type Delivery, type DrainResult } from "./delivery.ts";
import { ConfigError } from "./errors.ts";
import { createHttpClient, type HttpClient } from "./http.ts";
import { StateLock } from "./lock.ts";
import type { Logger } from "./log.ts";
import { type CollectOptions, collectReport } from "./report.ts";
import { SET_ASIDE_KEPT, Spool, type SpoolEntry } from "./spool.ts";
import { StateDir } from "./state.ts";
import type { Pin } from "./tls.ts";
import { DEFAULT_TIMEOUT_MS } from "./transport.ts";

export const SPOOL_DIR = "spool";

/** Where the agent keeps its state and how it reaches the API. */
export interface SessionOptions {
  /** The API's base URL. */
  serverUrl: string;
  /** Needed when the state directory holds no node key yet, or the API forgot it. */
  enrollSecret?: string;
  /** Holds the node key, the spool, and a generated host id on hosts without a machine id. */
  stateDir: string;
  /** Per request (default 30 s). */
  timeoutMs?: number;
  /** Dates the reports, times the CPU window and each request. */
  clock: Clock;
  /** The HTTP client (default: node:http/https with `ca` and `pins`, closed with the session). */
  http?: HttpClient;
  /** Extra trusted CA certificates (PEM) for https://. */
  ca?: string;
  /** Certificate pins for https://. */
  pins?: readonly Pin[];
  /** Bounds of the spool (defaults: 1000 reports, 100 MiB). */
  spool?: { maxReports: number; maxBytes: number };
}

/** What the session's collections may be told: the state directory and clock are its own. */
export type SessionCollectOptions = Omit<CollectOptions, "stateDir" | "clock">;

export interface DeliverOptions {
  /** Aborts a send in flight; the report stays spooled. */
  signal?: AbortSignal;
  /** Asked between two reports: true leaves the rest for later (see Courier.drain). */
  pause?: () => boolean;
  /** What became of each report, as soon as it is known. */
  onDelivery?: (entry: SpoolEntry, delivery: Delivery) => void;
}

/** The spool of a state directory. */
function openSpool(stateDir: string, bounds: SessionOptions["spool"]): Spool {
  return new Spool({
    dir: join(stateDir, SPOOL_DIR),
    maxReports: bounds?.maxReports ?? DEFAULT_SPOOL_MAX_REPORTS,
    maxBytes: bounds?.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES,
  }).open();
}

/** The caller's HTTP client, which stays theirs, or one made here and closed with the session. */
function httpClientFor(options: SessionOptions): { http: HttpClient; close(): void } {
  if (options.http) return { http: options.http, close: () => {} };
  const made = createHttpClient({ clock: options.clock, ca: options.ca, pins: options.pins });
  return { http: made, close: () => made.close() };
}

interface SessionParts {
  serverUrl: string;
  clock: Clock;
  state: StateDir;
  lock: StateLock;
  spool: Spool;
  courier: Courier;
  closeHttp: () => void;
}

/**
 * The agent at work on one state directory, what `run --once` and the service have in
 * common: the directory held against a second agent, the spool, the connection to the
 * API and the node key. Reports are collected on its clock, kept in its spool, and
 * delivered oldest first, enrolling when there is no key (or the API forgot it).
 * Closing it lets go of the directory.
 */
export class AgentSession {
  /** The API's base URL, checked. */
  readonly serverUrl: string;
  readonly clock: Clock;

  private constructor(private readonly parts: SessionParts) {
    this.serverUrl = parts.serverUrl;
    this.clock = parts.clock;
  }

  /**
   * Takes the state directory (creating it) and opens its spool. Fails, holding nothing,
   * on a bad URL, a directory another agent holds, or when the agent has no node key and
   * no secret to enroll with: nothing it collected could ever be sent.
   */
  static open(options: SessionOptions): AgentSession {
    const serverUrl = checkServerUrl(options.serverUrl, "the server URL");
    const state = new StateDir(options.stateDir);
    state.ensure();
    const lock = StateLock.acquire(state.path);
    const { http, close: closeHttp } = httpClientFor(options);
    try {
      const spool = openSpool(state.path, options.spool);
      const courier = new Courier({
        serverUrl,
        http,
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        state,
        spool,
        enrollSecret: options.enrollSecret,
        clock: options.clock,
      });
      if (!courier.canAuthenticate) {
        throw new ConfigError(
          `not enrolled yet (no node key in ${state.path}) and no enroll secret: set COMPLIANCE_ENROLL_SECRET or --enroll-secret`,
        );
      }
      return new AgentSession({
        serverUrl,
        clock: options.clock,
        state,
        lock,
        spool,
        courier,
        closeHttp,
      });
    } catch (error) {
      closeHttp();
      lock.release();
      throw error;
    }
  }

  /** The state directory. */
  get stateDir(): string {
    return this.parts.state.path;
  }

  /** Where spooled reports wait. */
  get spoolDir(): string {
    return this.parts.spool.dir;
  }

  /** Reports waiting in the spool. */
  get waiting(): number {
    return this.parts.spool.count;
  }

  /**
   * This host's report, on the session's clock, with the state directory's generated host
   * id where there is no machine id. The identifier it carries becomes the host's current
   * one, which decides whether a 403 host_mismatch is worth enrolling again.
   */
  async collect(options: SessionCollectOptions = {}): Promise<Report> {
    const report = await collectReport({ ...options, stateDir: this.stateDir, clock: this.clock });
    this.parts.courier.identifier = report.host.identifier;
    return report;
  }

  /** Writes a report to the spool, durably, before anything tries to send it. */
  keep(report: Report): SpoolEntry {
    return this.parts.spool.put(report.report_id, JSON.stringify(report));
  }

  /**
   * Sends the spool oldest first, enrolling first when there is no node key, until it is
   * empty, a delivery fails (the rest waits for a retry) or `pause()` says other work is due.
   */
  deliver(options: DeliverOptions = {}): Promise<DrainResult> {
    return this.parts.courier.drain(options);
  }

  /** Closes the HTTP client the session made and lets go of the state directory. */
  close(): void {
    this.parts.closeHttp();
    this.parts.lock.release();
  }
}

/** Logs what became of a spooled report; the daemon and `run --once` say the same things. */
export function logDelivery(log: Logger, reportId: string, delivery: Delivery): void {
  switch (delivery.kind) {
    case "stored":
      log.info(
        `stored report ${reportId} for host ${delivery.accepted.host_id}${toldOf(delivery)}`,
      );
      break;
    case "set-aside":
      log.error(`report ${reportId} set aside in ${delivery.movedTo}: ${delivery.error.message}`);
      for (const file of delivery.removed) {
        log.warn(`removed ${file}: only the last ${SET_ASIDE_KEPT} reports set aside are kept`);
      }
      break;
    case "failed":
      log.warn(`report ${reportId} not delivered, kept in the spool: ${delivery.error.message}`);
      break;
    case "gone":
      break;
  }
}

/** What a stored report told the API beyond itself, for the log line. */
function toldOf(delivery: Extract<Delivery, { kind: "stored" }>): string {
  const { dropped, setAside } = delivery.told;
  return (
    `${delivery.enrolled ? " (enrolled)" : ""}` +
    `${dropped > 0 ? ` (told the API about ${dropped} dropped reports)` : ""}` +
    `${setAside ? ` (told the API about ${setAside.count} reports set aside)` : ""}`
  );
}
