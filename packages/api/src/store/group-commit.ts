import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.ts";

interface Pending {
  work: (trx: Transaction<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for SQLite. SQLite has one writer and, with synchronous=FULL, one fsync per
 * commit: committing every report alone would cap ingest at the disk's fsync rate. Work
 * that arrives while a commit is under way waits and then runs together, each piece in its
 * own savepoint (one failing piece rolls back alone), under one commit. Nobody is answered
 * before the commit that holds their work is durable.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private running = false;
  /** Told the size of each batch committed (metrics). */
  onCommit: ((size: number) => void) | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxBatch = 64,
  ) {}

  run<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.running) {
        // Start on the next turn of the event loop, after the other requests that arrived
        // with this one have been read: they join the same commit.
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
        let trx: Awaited<
          ReturnType<ReturnType<Kysely<Database>["startTransaction"]>["execute"]>
        > | null = null;
        try {
          trx = await this.db.startTransaction().execute();
          if (batch.length === 1) {
            // Alone in its commit: no savepoint needed, a failure rolls the whole back.
            try {
              outcomes.push({ ok: true, value: await batch[0]!.work(trx) });
            } catch (error) {
              await trx.rollback().execute();
              trx = null;
              outcomes.push({ ok: false, error });
            }
          } else
            for (const item of batch) {
              const inner = await trx.savepoint("report").execute();
              try {
                const value = await item.work(inner);
                await inner.releaseSavepoint("report").execute();
                outcomes.push({ ok: true, value });
              } catch (error) {
                await inner.rollbackToSavepoint("report").execute();
                await inner.releaseSavepoint("report").execute();
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
          for (const item of batch) item.reject(error);
          continue;
        }
        batch.forEach((item, i) => {
          const o = outcomes[i]!;
          if (o.ok) item.resolve(o.value);
          else item.reject(o.error);
        });
      }
    } finally {
      this.running = false;
    }
  }
}
