import { type Kysely, MysqlAdapter, PostgresAdapter } from "kysely";

// Frozen in time: this file never imports application code.
//
// The archive's outbox: one row per execution stored while the archive of raw reports is
// on, written in the execution's transaction and deleted once its report is in the bucket.
export async function up(db: Kysely<any>): Promise<void> {
  const adapter = db.getExecutor().adapter;
  const postgres = adapter instanceof PostgresAdapter;
  const mysql = adapter instanceof MysqlAdapter;

  let table = db.schema.createTable("archive_outbox");
  table = postgres
    ? table.addColumn("id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    : mysql
      ? table.addColumn("id", "bigint", (c) => c.primaryKey().autoIncrement())
      : table.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement());
  await table
    .addColumn("execution_id", "bigint", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
    .addColumn("last_error", "varchar(500)")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("archive_outbox_due")
    .on("archive_outbox")
    .columns(["next_attempt_at", "id"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("archive_outbox").execute();
}
