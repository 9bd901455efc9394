import { type ColumnDataType, type Kysely, MysqlAdapter, PostgresAdapter, sql } from "kysely";

// Frozen in time: this file never imports application code.
//
// The inventory beyond processes (packages, listening sockets, accounts, services, kernel
// parameters, sshd options, file modes), stored like processes: one row per lifetime of an
// item, from the first to the last execution of its host that held it exactly so.
export async function up(db: Kysely<any>): Promise<void> {
  const adapter = db.getExecutor().adapter;
  const postgres = adapter instanceof PostgresAdapter;
  const mysql = adapter instanceof MysqlAdapter;
  const blob: ColumnDataType = postgres ? "bytea" : mysql ? (sql`mediumblob` as never) : "blob";
  const text: ColumnDataType = mysql ? (sql`mediumtext` as never) : "text";

  let table = db.schema.createTable("inventory_spans");
  table = postgres
    ? table.addColumn("id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    : mysql
      ? table.addColumn("id", "bigint", (c) => c.primaryKey().autoIncrement())
      : table.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement());
  await table
    .addColumn("host_id", "bigint", (c) => c.notNull())
    // package, listening, account, service, sysctl, sshd, file
    .addColumn("kind", "varchar(16)", (c) => c.notNull())
    .addColumn("first_pos", "bigint", (c) => c.notNull())
    .addColumn("last_pos", "bigint", (c) => c.notNull())
    // What searches look items up by: a package's or account's name, a socket's protocol,
    // a parameter's key, a file's path; a socket's port or an account's uid; a version.
    .addColumn("name", "varchar(255)", (c) => c.notNull())
    .addColumn("number", "bigint")
    .addColumn("version", "varchar(255)")
    // The item exactly as sent, as canonical JSON: also its identity.
    .addColumn("body", text, (c) => c.notNull())
    .modifyEnd(mysql ? sql`default character set utf8mb4 collate utf8mb4_bin` : sql``)
    .execute();
  await db.schema
    .createIndex("inventory_spans_host_last")
    .on("inventory_spans")
    .columns(["host_id", "kind", "last_pos", "first_pos"])
    .execute();
  await db.schema
    .createIndex("inventory_spans_name")
    .on("inventory_spans")
    .columns(["kind", "name", "last_pos"])
    .execute();
  await db.schema
    .createIndex("inventory_spans_number")
    .on("inventory_spans")
    .columns(["kind", "number", "last_pos"])
    .execute();

  // Which inventory sections an execution holds (a bit each: absent means not collected),
  // the order they were sent in when it is not the canonical one, and how many inventory
  // lifetimes started or ended against the previous execution.
  await db.schema
    .alterTable("executions")
    .addColumn("sections", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable("executions").addColumn("inventory_orders", blob).execute();
  await db.schema.alterTable("executions").addColumn("inventory_changed", "integer").execute();
  // Per kind, the hash of the latest execution's items: an unchanged kind is not read.
  await db.schema.alterTable("host_state").addColumn("inventory_hashes", "text").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("host_state").dropColumn("inventory_hashes").execute();
  for (const column of ["inventory_changed", "inventory_orders", "sections"]) {
    await db.schema.alterTable("executions").dropColumn(column).execute();
  }
  await db.schema.dropTable("inventory_spans").execute();
}
