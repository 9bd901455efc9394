import type { ControlledTransaction, Transaction } from "kysely";
import type { Database } from "./schema.ts";
import { isLockTimeout, RowsBusyError } from "./unavailable.ts";

interface Pending {
  work: (trx: Transaction<Database>) => Promise<unknown>;
  /** The row it locks first (a host's id): a batch takes its locks in this order; null: none. */
  key: number | null;
  /** Tries so far that lost to a concurrent write. */
  attempts: number;
  /** Batches it was left out of because another transaction held its row. */
  deferrals: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface GroupCommitOptions {
  /** Pieces of work per commit at most. */
  maxBatch: number;
  /**
   * Commits under way at once, each on a connection of its own: SQLite has one writer (1);
   * PostgreSQL and MySQL take a few, so a burst uses a few connections rather than one each.
   */
  writers: number;
  /** Begins the transaction of one batch. */
  begin: () => Promise<ControlledTransaction<Database>>;
  /**
   * Whether an error is a write that lost to a concurrent one (a deadlock, a serialization
   * failure, a unique key taken meanwhile): the work is tried again, not answered with it.
   */
  isConflict: (error: unknown) => boolean;
  /** Tries of one piece before the conflict is its answer. */
  maxAttempts?: number;
  /**
   * Locks the rows of the batch's keys, in key order, at the start of its transaction;
   * returns the keys it locked. Without `wait`, rows another transaction holds are skipped
   * (their pieces wait for a later batch) so that a batch never waits while holding locks
   * of its own; with `wait`, it waits for each. Absent (SQLite, one writer): nothing to lock.
   */
  lock?: (trx: Transaction<Database>, keys: number[], wait: boolean) => Promise<Set<number>>;
}

/** Key order (a stable sort keeps arrival order within a key), pieces without one last. */
const byKey = (a: Pending, b: Pending) =>
  a.key === null ? (b.key === null ? 0 : 1) : b.key === null ? -1 : a.key - b.key;

/** Batches a piece may be left out of before its batch waits for the rows it needs. */
const MAX_DEFERRALS = 3;

/** Reports waiting for a commit and commits under way (metrics). */
export interface CommitQueueUse {
  waiting: number;
  writing: number;
}

/**
 * Group commit. Work that arrives while a commit is under way waits and then runs
 * together, each piece in its own savepoint (one failing piece rolls back alone), under
 * one commit. Nobody is answered before the commit that holds their work is durable.
 *
 * On SQLite (one writer, one fsync per commit) it is what lets ingest go past the disk's
 * fsync rate. On PostgreSQL and MySQL it saves a connection and two round trips per
 * report: a burst of check-ins shares a few transactions instead of waiting for one pool
 * connection each. Replicas writing the same hosts stay correct because every piece locks
 * its host's row first and a batch runs its pieces in host order, so two batches never
 * wait for each other in a cycle; a piece that still loses (a deadlock through a unique
 * key, a duplicate key) is tried again, alone in its savepoint, or with its whole batch
 * when the engine ended the transaction (MySQL does on a deadlock).
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private writing = 0;
  /** Told the size of each batch committed (metrics). */
  onCommit: ((size: number) => void) | null = null;
  private readonly maxAttempts: number;
  /** The rows each batch's transaction (and each piece's savepoint in it) has locked. */
  private readonly held = new WeakMap<Transaction<Database>, Set<number>>();

  constructor(private readonly options: GroupCommitOptions) {
    this.maxAttempts = options.maxAttempts ?? 5;
  }

  /** Runs `work` in a shared transaction; `key` orders it in its batch (a host's id). */
  run<T>(work: (trx: Transaction<Database>) => Promise<T>, key?: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        work,
        key: key ?? null,
        attempts: 0,
        deferrals: 0,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      this.startWriter();
    });
  }

  /** Whether `trx` is a batch's (or one of its pieces') that has locked the row of `key`. */
  holds(trx: Transaction<Database>, key: number): boolean {
    return this.held.get(trx)?.has(key) ?? false;
  }

  use(): CommitQueueUse {
    return { waiting: this.queue.length, writing: this.writing };
  }

  private startWriter(): void {
    if (this.writing >= this.options.writers) return;
    // Start on the next turn of the event loop, after the other requests that arrived with
    // this one have been read: they join the same commit.
    this.writing++;
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const starving = new Set(
          this.queue.filter((p) => p.deferrals >= MAX_DEFERRALS).map((p) => p.key),
        );
        if (starving.size > 0) {
          // Left out of several batches: the pieces of those hosts, waiting for their rows
          // in host order. Other batches never wait holding locks, so this one waits for
          // one batch of another writer at most.
          const own = this.queue.filter((p) => starving.has(p.key)).slice(0, this.options.maxBatch);
          this.queue = this.queue.filter((p) => !own.includes(p));
          await this.commit(own.sort(byKey), true);
          continue;
        }
        // A stable sort: two reports of one host keep the order they arrived in.
        const batch = this.queue.splice(0, this.options.maxBatch).sort(byKey);
        await this.commit(batch, false);
      }
    } finally {
      this.writing--;
    }
  }

  private async commit(pieces: Pending[], wait: boolean): Promise<void> {
    const outcomes: Outcome[] = [];
    let batch = pieces;
    let trx: ControlledTransaction<Database> | null = null;
    let locked = new Set<number>();
    try {
      trx = await this.options.begin();
      if (this.options.lock) {
        // Rows held by another writer (another replica's batch) are not waited for while
        // this batch holds others: their pieces go to a later batch; those left out a few
        // times go in a batch that waits.
        const keys = [...new Set(pieces.flatMap((p) => (p.key === null ? [] : [p.key])))];
        locked =
          keys.length === 0
            ? new Set()
            : await this.options.lock(trx, keys, wait).catch((error: unknown) => {
                throw wait && isLockTimeout(error) ? new RowsBusyError(error) : error;
              });
        if (!wait) {
          const now = (p: Pending) => p.key === null || locked.has(p.key);
          batch = pieces.filter(now);
          const later = pieces.filter((p) => !now(p));
          for (const p of later) p.deferrals++;
          // Long enough for the other writer's batch to commit, most of the time.
          if (later.length > 0) this.requeue(later, 10 * later[0]!.deferrals);
        }
      }
      if (batch.length === 0) {
        await trx.rollback().execute();
        return;
      }
      this.held.set(trx, locked);
      if (batch.length === 1) {
        // Alone in its commit: no savepoint needed, a failure rolls the whole back.
        try {
          outcomes.push({ ok: true, value: await batch[0]!.work(trx) });
        } catch (error) {
          const open = trx;
          trx = null;
          await open.rollback().execute();
          outcomes.push({ ok: false, error });
        }
      } else
        for (const item of batch) {
          const inner = await trx.savepoint("report").execute();
          this.held.set(inner, locked);
          try {
            const value = await item.work(inner);
            await inner.releaseSavepoint("report").execute();
            outcomes.push({ ok: true, value });
          } catch (error) {
            try {
              await inner.rollbackToSavepoint("report").execute();
              await inner.releaseSavepoint("report").execute();
            } catch {
              // The engine ended the whole transaction (MySQL does on a deadlock): the
              // batch is lost, and the piece's own error says why.
              throw error;
            }
            outcomes.push({ ok: false, error });
          }
        }
      if (trx) await trx.commit().execute();
      this.onCommit?.(batch.length);
    } catch (error) {
      // The commit itself failed (or the database did): nothing of the batch is stored.
      if (trx)
        await trx
          .rollback()
          .execute()
          .catch(() => {});
      const again = this.options.isConflict(error);
      for (const item of batch) this.settle(item, { ok: false, error }, again);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      this.settle(item, outcome, !outcome.ok && this.options.isConflict(outcome.error));
    });
  }

  /** Answers a piece, or queues it again when it lost to a concurrent write. */
  private settle(item: Pending, outcome: Outcome, again: boolean): void {
    if (again && item.attempts + 1 < this.maxAttempts) {
      item.attempts++;
      // A short pause that grows with each try, so the writer it lost to goes first.
      this.requeue([item], item.attempts);
      return;
    }
    if (outcome.ok) item.resolve(outcome.value);
    else item.reject(outcome.error);
  }

  /** Puts pieces back at the head of the queue after a short pause that grows with `n`. */
  private requeue(items: Pending[], n: number): void {
    const pause = 5 * n * (1 + Math.random());
    setTimeout(() => {
      this.queue.unshift(...items);
      this.startWriter();
    }, pause);
  }
}
