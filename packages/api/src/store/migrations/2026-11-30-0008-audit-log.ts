import { type ColumnDataType, type Kysely, MysqlAdapter, PostgresAdapter, sql } from "kysely";

// Frozen in time: this file never imports application code.
//
// The audit trail: who did what to which thing, when. Rows are only ever added.
export async function up(db: Kysely<any>): Promise<void> {
  const adapter = db.getExecutor().adapter;
  const postgres = adapter instanceof PostgresAdapter;
  const mysql = adapter instanceof MysqlAdapter;
  const text: ColumnDataType = mysql ? (sql`mediumtext` as never) : "text";
  const bin = mysql ? sql`default character set utf8mb4 collate utf8mb4_bin` : sql``;

  let table = db.schema.createTable("audit_log");
  table = postgres
    ? table.addColumn("id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    : mysql
      ? table.addColumn("id", "bigint", (c) => c.primaryKey().autoIncrement())
      : table.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement());
  await table
    .addColumn("at", "bigint", (c) => c.notNull())
    // token:<id>, admin-token, cli or system
    .addColumn("actor", "varchar(64)", (c) => c.notNull())
    // The token's name when the actor is a stored token (it may be revoked later).
    .addColumn("actor_name", "varchar(255)")
    .addColumn("action", "varchar(64)", (c) => c.notNull())
    .addColumn("target", "varchar(255)")
    // JSON, never a secret.
    .addColumn("details", text, (c) => c.notNull())
    .modifyEnd(bin)
    .execute();
  await db.schema.createIndex("audit_log_at").on("audit_log").columns(["at", "id"]).execute();
  await db.schema
    .createIndex("audit_log_action")
    .on("audit_log")
    .columns(["action", "id"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("audit_log").execute();
}
