import type { Kysely, Selectable, Transaction } from "kysely";
import type { ArchiveOutboxTable, Database } from "./schema.ts";

export type ArchiveEntry = Selectable<ArchiveOutboxTable>;

export interface ArchiveLag {
  /** Executions whose report is not in the archive yet. */
  pending: number;
  /** When the oldest of them was stored (ms), null when none is. */
  oldestCreatedAt: number | null;
}

/** Queues a newly stored execution for the archive, in the transaction that stores it. */
export async function enqueueArchive(
  trx: Transaction<Database>,
  executionId: number,
  now: number,
): Promise<void> {
  await trx
    .insertInto("archive_outbox")
    .values({ execution_id: executionId, next_attempt_at: now, last_error: null, created_at: now })
    .execute();
}

/**
 * The archive's outbox: executions whose raw report is still to be written to object
 * storage. Entries are taken by one process at a time (compare-and-set on the attempt
 * count), retried with backoff, and deleted once written; none is ever given up.
 */
export class ArchiveRepository {
  constructor(private readonly db: Kysely<Database>) {}

  due(now: number, limit: number): Promise<ArchiveEntry[]> {
    return this.db
      .selectFrom("archive_outbox")
      .selectAll()
      .where("next_attempt_at", "<=", now)
      .orderBy("next_attempt_at")
      .orderBy("id")
      .limit(limit)
      .execute()
      .then((rows) => rows.map(normalise));
  }

  async take(entry: ArchiveEntry, retryAt: number): Promise<boolean> {
    const r = await this.db
      .updateTable("archive_outbox")
      .set({ next_attempt_at: retryAt, attempts: entry.attempts + 1 })
      .where("id", "=", entry.id)
      .where("attempts", "=", entry.attempts)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async done(id: number): Promise<void> {
    await this.db.deleteFrom("archive_outbox").where("id", "=", id).execute();
  }

  async defer(id: number, nextAttemptAt: number, error: string): Promise<void> {
    await this.db
      .updateTable("archive_outbox")
      .set({ next_attempt_at: nextAttemptAt, last_error: error.slice(0, 500) })
      .where("id", "=", id)
      .execute();
  }

  async lag(): Promise<ArchiveLag> {
    const row = await this.db
      .selectFrom("archive_outbox")
      .select((eb) => [eb.fn.countAll().as("pending"), eb.fn.min("created_at").as("oldest")])
      .executeTakeFirst();
    const oldest = row?.oldest;
    return {
      pending: Number(row?.pending ?? 0),
      oldestCreatedAt: oldest === null || oldest === undefined ? null : Number(oldest),
    };
  }
}

/** PostgreSQL and MySQL hand bigint columns back as strings: numbers here. */
function normalise(row: ArchiveEntry): ArchiveEntry {
  return {
    id: Number(row.id),
    execution_id: Number(row.execution_id),
    attempts: Number(row.attempts),
    next_attempt_at: Number(row.next_attempt_at),
    last_error: row.last_error,
    created_at: Number(row.created_at),
  };
}
