import { exportBaseName, reportBody } from "../export.ts";
import type { ArchiveEntry, ArchiveLag, Store } from "../store/store.ts";
import type { ArchiveTarget } from "./location.ts";

export interface ArchiverOptions {
  now: () => number;
  log: {
    info(o: object, m: string): void;
    warn(o: object, m: string): void;
  };
  /** Entries read per query. */
  batch?: number;
}

export interface PassResult {
  archived: number;
  failed: number;
}

const BATCH = 100;
/** An entry taken but neither written nor deferred (the process died) is due again after this. */
const LEASE_MS = 5 * 60_000;
/** The first retry of a failed write; each further one waits twice as long, up to MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 15 * 60_000;
/** At most one warning about a failing archive in this long. */
const WARN_EVERY_MS = 60_000;

/** The wait before attempt `attempts + 1` of an entry that failed `attempts` times. */
export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.min(20, Math.max(0, attempts - 1)));
}

/**
 * Writes every stored report to the archive: executions queued in the outbox (in the
 * transaction that stored them) are taken one at a time, their report rebuilt and written
 * under seed 000's file name, then taken off the queue. A failed write is retried with
 * backoff and never given up; several API processes share the queue (each entry is taken
 * by one of them; writing one twice leaves one object). Its lag is logged.
 */
export class Archiver {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private readonly stopping = new AbortController();
  private lastWarnAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: Store,
    private readonly target: ArchiveTarget,
    private readonly options: ArchiverOptions,
  ) {}

  /** Passes every `intervalMs` until stop(). */
  start(intervalMs: number): void {
    const pass = () => {
      this.running = this.pass().finally(() => {
        if (!this.stopping.signal.aborted) this.timer = setTimeout(pass, intervalMs).unref();
      });
    };
    this.timer = setTimeout(pass, 0).unref();
  }

  /** Stops after the write under way. */
  async stop(): Promise<void> {
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  lag(): Promise<ArchiveLag> {
    return this.store.archiveLag();
  }

  /**
   * Writes the entries due, until none is or a write fails (the archive is likely down:
   * the rest waits for the next pass rather than each failing in turn).
   */
  async pass(): Promise<PassResult> {
    const result: PassResult = { archived: 0, failed: 0 };
    try {
      await this.drain(result);
    } catch (e) {
      // The database is down: the next pass tries again.
      result.failed++;
      this.warn({ err: e }, "archive: cannot read the queue; will retry");
    }
    if (result.archived > 0 || result.failed > 0) await this.report(result);
    return result;
  }

  private async drain(result: PassResult): Promise<void> {
    const limit = this.options.batch ?? BATCH;
    for (;;) {
      const due = await this.store.dueArchive(this.options.now(), limit);
      for (const entry of due) {
        if (this.stopping.signal.aborted) return;
        const outcome = await this.attempt(entry);
        if (outcome === "failed") {
          result.failed++;
          return;
        }
        if (outcome === "archived") result.archived++;
      }
      if (due.length < limit) return;
    }
  }

  /** One attempt at one entry. */
  private async attempt(entry: ArchiveEntry): Promise<"archived" | "taken" | "failed"> {
    const now = this.options.now();
    if (!(await this.store.takeArchive(entry, now + LEASE_MS))) return "taken";
    try {
      const [execution] = await this.store.executionsByIds([entry.execution_id]);
      if (execution) {
        const report = await this.store.reportOf(execution);
        await this.target.putNew(exportBaseName(report), reportBody(report));
      } else {
        this.options.log.warn(
          { execution_id: entry.execution_id },
          "archive: the execution was pruned before its report was archived",
        );
      }
      await this.store.archived(entry.id);
      return "archived";
    } catch (e) {
      const attempts = entry.attempts + 1;
      const message = (e as Error).message ?? String(e);
      await this.store
        .deferArchive(entry.id, now + backoffMs(attempts), message)
        .catch(() => undefined);
      this.warn(
        { err: e, execution_id: entry.execution_id, attempts },
        `archive: cannot write to ${this.target.where}; will retry`,
      );
      return "failed";
    }
  }

  /** The lag after a pass that did something: reports still to write, age of the oldest. */
  private async report(result: PassResult): Promise<void> {
    const lag = await this.store.archiveLag().catch(() => null);
    if (!lag) return;
    const archive = {
      ...result,
      pending: lag.pending,
      lag_seconds:
        lag.oldestCreatedAt === null
          ? 0
          : Math.max(0, Math.round((this.options.now() - lag.oldestCreatedAt) / 1000)),
    };
    if (result.archived > 0) this.options.log.info({ archive }, "archive: reports written");
    else this.warn({ archive }, "archive: behind");
  }

  private warn(o: object, message: string): void {
    const now = this.options.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    this.options.log.warn(o, message);
  }
}
