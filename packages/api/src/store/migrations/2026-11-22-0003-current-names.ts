import { type Kysely, MysqlAdapter, sql } from "kysely";

// The distinct process names and session users of each host's latest execution: what the
// host list's search and the fleet-wide "who runs X now" read, a few dozen rows per host
// instead of every running process.
export async function up(db: Kysely<any>): Promise<void> {
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter;
  await db.schema
    .createTable("current_names")
    .addColumn("host_id", "bigint", (c) => c.notNull())
    .addColumn("kind", "varchar(1)", (c) => c.notNull())
    .addColumn("name", "varchar(255)", (c) => c.notNull())
    .addPrimaryKeyConstraint("current_names_pk", ["host_id", "kind", "name"])
    .modifyEnd(mysql ? sql`default character set utf8mb4 collate utf8mb4_bin` : sql``)
    .execute();
  await db.schema
    .createIndex("current_names_name")
    .on("current_names")
    .columns(["kind", "name"])
    .execute();
  await db.schema.alterTable("host_state").addColumn("names_hash", "varchar(64)").execute();
  // Spans still open (last_pos = 2^53 - 1) are what each host runs now.
  await sql`insert into current_names (host_id, kind, name)
    select distinct host_id, 'p', name from process_spans where last_pos = 9007199254740991`.execute(
    db,
  );
  await sql`insert into current_names (host_id, kind, name)
    select distinct host_id, 'u', user_name from session_spans where last_pos = 9007199254740991`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("host_state").dropColumn("names_hash").execute();
  await db.schema.dropTable("current_names").execute();
}
