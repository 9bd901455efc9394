import { type Kysely, sql, type Transaction } from "kysely";
import { runCompiled } from "./compiled-once.ts";
import type { Engine } from "./database.ts";
import { type CommitQueueUse, GroupCommit } from "./group-commit.ts";
import type { Database } from "./schema.ts";

export type Db = Kysely<Database> | Transaction<Database>;

/** Rows per multi-row insert: under SQLite's 32,766 and MySQL's 65,535 parameters. */
const CHUNK = 500;

type Table = keyof Database;

/**
 * Shared commits under way at once on PostgreSQL and MySQL, each on its own connection: at
 * most four, and at most half the pool, so requests' reads always find one.
 */
export function sharedWriters(poolSize: number): number {
  return Math.max(1, Math.min(4, Math.floor(poolSize / 2)));
}

/** Locks host rows in id order; without `wait`, skips those another transaction holds. */
async function lockHosts(
  trx: Transaction<Database>,
  ids: number[],
  wait: boolean,
): Promise<Set<number>> {
  const query = trx
    .selectFrom("hosts")
    .select("id")
    .where("id", "in", ids)
    .orderBy("id")
    .forUpdate();
  const rows = await (wait ? query : query.skipLocked()).execute();
  return new Set(rows.map((r) => Number(r.id)));
}

/**
 * Everything that differs between SQLite, PostgreSQL and MySQL/MariaDB, in one place; the
 * repositories call these and never branch on the engine themselves.
 */
export class Dialect {
  private readonly groupCommit: GroupCommit | null;

  /**
   * `writeBatch`: reports per shared commit at most (SQLite 64, MySQL 32, PostgreSQL 1 unless told); 1
   * on PostgreSQL or MySQL gives each report a transaction of its own. `poolSize`: the
   * connections of db (PostgreSQL, MySQL), which bound the shared commits under way.
   *
   * On SQLite, one writer, a shared commit saves every report but one its fsync. PostgreSQL
   * and MySQL flush the log of concurrent commits together anyway, and a report in a shared
   * commit still costs two round trips (its savepoint and release) as its own transaction
   * would (begin and commit); what sharing adds is that a batch's reports run one after
   * another on one connection. Measured with two API processes on PostgreSQL, shared commits
   * took 0.60–0.85× the rate of a transaction per report (bench/RESULTS.md).
   */
  constructor(
    readonly engine: Engine,
    private readonly db: Kysely<Database>,
    options: { writeBatch?: number | undefined; poolSize?: number | undefined } = {},
  ) {
    const writeBatch = options.writeBatch;
    const sqlite = engine === "sqlite";
    // When told: PostgreSQL keeps the ids of 64 subtransactions (savepoints that wrote) per
    // transaction in shared memory, and more makes every other snapshot slower (config.ts
    // allows up to 1,000; 32 stays well below).
    const maxBatch = writeBatch ?? (sqlite ? 64 : engine === "postgres" ? 1 : 32);
    this.groupCommit =
      sqlite || maxBatch > 1
        ? new GroupCommit({
            maxBatch,
            writers: sqlite ? 1 : sharedWriters(options.poolSize ?? 10),
            begin: () =>
              sqlite
                ? db.startTransaction().execute()
                : db.startTransaction().setIsolationLevel("read committed").execute(),
            // SQLite has one writer: nothing is lost to a concurrent one, nothing to lock.
            isConflict: (error) => !sqlite && this.isWriteConflict(error),
            ...(sqlite ? {} : { lock: lockHosts }),
          })
        : null;
  }

  /** Tells `listener` the size of each shared commit; never called without group commit. */
  observeCommits(listener: (size: number) => void): void {
    if (this.groupCommit) this.groupCommit.onCommit = listener;
  }

  /** Reports waiting for a shared commit, and commits under way. */
  commitQueue(): CommitQueueUse {
    return this.groupCommit?.use() ?? { waiting: 0, writing: 0 };
  }

  /**
   * One report's writes, atomically, read committed. Writes that arrive together share a
   * commit, each in its own savepoint (group-commit.ts): on SQLite, one writer with one fsync
   * per commit; elsewhere a few connections instead of one per report. The caller locks the
   * rows it builds on (lockRow) first; `key` (the id of the host row it locks) orders the
   * pieces of a batch so that batches of two replicas never wait for each other in a cycle.
   */
  write<T>(work: (trx: Transaction<Database>) => Promise<T>, key?: number): Promise<T> {
    if (this.groupCommit) return this.groupCommit.run(work, key);
    return this.writeAlone(work);
  }

  /** One transaction of its own, tried again when it lost to a concurrent write. */
  private async writeAlone<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction().setIsolationLevel("read committed").execute(work);
      } catch (e) {
        if (attempt >= 5 || !this.isWriteConflict(e)) throw e;
        await new Promise((r) => setTimeout(r, 5 * attempt * (1 + Math.random())));
      }
    }
  }

  /** A plain transaction, for rare administrative writes (deleting a host, retention). */
  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  /**
   * Takes the row lock of one row until the transaction ends, so writers of the same row
   * (another API replica) take turns. SQLite has a single writer: nothing to lock.
   */
  async lockRow(trx: Db, table: "hosts", id: number): Promise<void> {
    if (this.engine === "sqlite") return;
    // A shared commit locks its hosts' rows when it begins: no round trip again.
    if (this.groupCommit?.holds(trx as Transaction<Database>, id)) return;
    await trx.selectFrom(table).select("id").where("id", "=", id).forUpdate().execute();
  }

  /** A read that locks the rows it reads until the transaction ends (SQLite: one writer). */
  forUpdate<Q extends { forUpdate(): Q }>(query: Q): Q {
    return this.engine === "sqlite" ? query : query.forUpdate();
  }

  /**
   * Whether an error is a write that lost to a concurrent one and may simply be tried again:
   * a unique or primary key refusing a second row with one key, a deadlock, or a
   * serialization failure.
   */
  isWriteConflict(error: unknown): boolean {
    const e = error as { code?: unknown; errno?: unknown; errcode?: unknown };
    if (this.engine === "postgres") return ["23505", "40P01", "40001"].includes(String(e.code));
    if (this.engine === "mysql") {
      // ER_DUP_ENTRY, ER_LOCK_DEADLOCK
      return e.errno === 1062 || e.errno === 1213;
    }
    // SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE
    return e.errcode === 1555 || e.errcode === 2067;
  }

  /** Inserts one row and returns its generated id. */
  async insertReturningId(
    trx: Db,
    table: "executions" | "host_facts" | "api_tokens" | "jobs" | "webhooks",
    row: object,
  ): Promise<number> {
    const values = row as Record<string, unknown>;
    const columns = Object.keys(values).filter((c) => values[c] !== undefined);
    const key = `insert ${table} (${columns.join()})`;
    const result = await runCompiled<{ id: number }>(trx, key, values, (param) => {
      const insert = trx
        .insertInto(table)
        .values(Object.fromEntries(columns.map((c) => [c, param(c)])) as never);
      return this.engine === "postgres" ? insert.returning("id") : insert;
    });
    return Number(this.engine === "postgres" ? result.rows[0]!.id : result.insertId);
  }

  /**
   * Inserts many rows. PostgreSQL takes any count in one statement (one array parameter per
   * column, unnest), given each column's type; elsewhere multi-row inserts in chunks.
   */
  async insertMany(
    trx: Db,
    table: Table,
    rows: object[],
    postgresTypes?: readonly (readonly [column: string, type: string])[],
  ): Promise<void> {
    if (rows.length === 0) return;
    if (this.engine === "postgres" && postgresTypes) {
      const arrays = postgresTypes.map(([name, type]) => {
        const values = rows.map((r) => (r as Record<string, unknown>)[name] ?? null);
        return sql`${values}::${sql.raw(type)}[]`;
      });
      const columns = sql.join(postgresTypes.map(([name]) => sql.ref(name)));
      await sql`insert into ${sql.table(table)} (${columns}) select * from unnest(${sql.join(arrays)})`.execute(
        trx,
      );
      return;
    }
    for (let i = 0; i < rows.length; i += CHUNK) {
      await trx
        .insertInto(table)
        .values(rows.slice(i, i + CHUNK) as never)
        .execute();
    }
  }

  /**
   * Inserts a row, or when its unique `key` is taken, sets `update` on the row there (null:
   * leaves it as it is). Concurrent callers with one key end with one row.
   */
  async upsert<T extends "hosts" | "settings">(
    trx: Db,
    table: T,
    values: object,
    key: string,
    update: Record<string, unknown> | null,
  ): Promise<void> {
    const insert = trx.insertInto(table).values(values as never);
    if (this.engine === "mysql") {
      // MySQL has no DO NOTHING: a key set to its own value changes nothing.
      const set = update ?? { [key]: (values as Record<string, unknown>)[key] };
      await insert.onDuplicateKeyUpdate(set as never).execute();
      return;
    }
    await insert
      .onConflict((oc) => {
        const target = oc.column(key as never);
        return update ? target.doUpdateSet(update as never) : target.doNothing();
      })
      .execute();
  }
}
