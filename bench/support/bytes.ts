import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Database } from "../../packages/api/src/store/schema.ts";
import type { TestEngine } from "../../packages/api/test/helpers/databases.ts";

/**
 * Bytes the given tables and their indexes take in the database: SQLite's pages (after a
 * checkpoint), PostgreSQL's relation sizes, InnoDB's data and index lengths (after ANALYZE).
 */
export async function bytesUsed(
  db: Kysely<Database>,
  engine: TestEngine,
  tables: string[],
): Promise<number> {
  if (engine === "sqlite") {
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
    // Pages of the tables and of their indexes, including SQLite's automatic ones.
    const r = await sql<{
      n: number;
    }>`select sum(pgsize) as n from dbstat where name in (select name from sqlite_master where tbl_name in (${sql.join(tables)}))`.execute(
      db,
    );
    return Number(r.rows[0]!.n);
  }
  if (engine === "postgres") {
    await sql`checkpoint`.execute(db).catch(() => {});
    let total = 0;
    for (const t of tables) {
      const r = await sql<{
        n: string;
      }>`select pg_total_relation_size(${t}::regclass) as n`.execute(db);
      total += Number(r.rows[0]!.n);
    }
    return total;
  }
  await sql`analyze table ${sql.join(tables.map((t) => sql.id(t)))}`.execute(db);
  const r = await sql<{
    n: number;
  }>`select sum(data_length + index_length) as n from information_schema.tables where table_schema = database() and table_name in (${sql.join(tables)})`.execute(
    db,
  );
  return Number(r.rows[0]!.n);
}
