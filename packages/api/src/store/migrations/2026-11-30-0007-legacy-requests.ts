import { type ColumnDataType, type Kysely, MysqlAdapter, PostgresAdapter, sql } from "kysely";

// Frozen in time: this file never imports application code.
//
// The bodies the older systems' agents sent, exactly as received, beside the executions
// made of them: the seeds' read routes answer with what was sent (seed 000 served its
// stored file, seed 003 listed every row ever posted with its insert time).
/** MariaDB's binary NO PAD collation, or MySQL 8's. */
async function noPadCollation(db: Kysely<any>): Promise<string | null> {
  for (const name of ["utf8mb4_nopad_bin", "utf8mb4_0900_bin"]) {
    const found = await sql`show collation like ${name}`.execute(db);
    if (found.rows.length > 0) return name;
  }
  return null;
}

export async function up(db: Kysely<any>): Promise<void> {
  const adapter = db.getExecutor().adapter;
  const postgres = adapter instanceof PostgresAdapter;
  const mysql = adapter instanceof MysqlAdapter;
  const text: ColumnDataType = mysql ? (sql`mediumtext` as never) : "text";
  // Text compares exactly, as in every other table (0006): a binary NO PAD collation.
  const collation = mysql ? await noPadCollation(db) : null;
  const bin = mysql
    ? sql`default character set utf8mb4 collate ${sql.raw(collation ?? "utf8mb4_bin")}`
    : sql``;

  let table = db.schema.createTable("legacy_requests");
  table = postgres
    ? table.addColumn("id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    : mysql
      ? table.addColumn("id", "bigint", (c) => c.primaryKey().autoIncrement())
      : table.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement());
  await table
    .addColumn("host_id", "bigint", (c) => c.notNull())
    // 000 … 004
    .addColumn("seed", "varchar(8)", (c) => c.notNull())
    // report (one whole check-in), or seed 003's part: hosts, users, processes, cpu
    .addColumn("kind", "varchar(16)", (c) => c.notNull())
    // The execution made of it; a resent body makes none and is kept once.
    .addColumn("report_id", "varchar(64)", (c) => c.notNull())
    .addColumn("ip", "varchar(64)", (c) => c.notNull())
    .addColumn("received_at", "bigint", (c) => c.notNull())
    // The rows the seed's read route lists from it (seed 003's users and processes).
    .addColumn("item_count", "integer", (c) => c.notNull())
    .addColumn("body", text, (c) => c.notNull())
    .modifyEnd(bin)
    .execute();
  await db.schema
    .createIndex("legacy_requests_report")
    .on("legacy_requests")
    .column("report_id")
    .unique()
    .execute();
  await db.schema
    .createIndex("legacy_requests_host_kind")
    .on("legacy_requests")
    .columns(["host_id", "kind", "id"])
    .execute();
  await db.schema
    .createIndex("legacy_requests_kind")
    .on("legacy_requests")
    .columns(["kind", "id"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("legacy_requests").execute();
}
