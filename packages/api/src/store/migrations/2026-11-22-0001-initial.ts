import {
  type ColumnDataType,
  type CreateTableBuilder,
  type Kysely,
  MysqlAdapter,
  PostgresAdapter,
  sql,
} from "kysely";

// Frozen in time: this file never imports application code. It describes the schema as
// it was on the day it was written; later changes are later files.

type Engine = "sqlite" | "postgres" | "mysql";

function engineOf(db: Kysely<any>): Engine {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return "postgres";
  if (adapter instanceof MysqlAdapter) return "mysql";
  return "sqlite";
}

function withId<T extends string>(engine: Engine, table: CreateTableBuilder<T, never>) {
  table = tableOptions(engine, table);
  if (engine === "postgres") {
    return table.addColumn("id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity());
  }
  if (engine === "mysql") {
    return table.addColumn("id", "bigint", (c) => c.primaryKey().autoIncrement());
  }
  return table.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement());
}

/** MySQL: binary collation, so text compares exactly as on the other engines. */
function tableOptions<T extends string, C extends string>(
  engine: Engine,
  table: CreateTableBuilder<T, C>,
): CreateTableBuilder<T, C> {
  return engine === "mysql"
    ? table.modifyEnd(sql`default character set utf8mb4 collate utf8mb4_bin`)
    : table;
}

export async function up(db: Kysely<any>): Promise<void> {
  const engine = engineOf(db);
  const blob: ColumnDataType =
    engine === "postgres" ? "bytea" : engine === "mysql" ? (sql`mediumblob` as never) : "blob";
  const double: ColumnDataType = engine === "sqlite" ? "real" : "double precision";
  const text: ColumnDataType = engine === "mysql" ? (sql`mediumtext` as never) : "text";

  await tableOptions(engine, db.schema.createTable("settings"))
    .addColumn("name", "varchar(64)", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .execute();

  await withId(engine, db.schema.createTable("api_tokens"))
    .addColumn("name", "varchar(255)", (c) => c.notNull())
    .addColumn("role", "varchar(16)", (c) => c.notNull())
    .addColumn("token_hash", "varchar(64)", (c) => c.notNull().unique())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("last_used_at", "bigint")
    .execute();

  await withId(engine, db.schema.createTable("hosts"))
    .addColumn("identifier", "varchar(255)", (c) => c.notNull().unique())
    .addColumn("source", "varchar(16)", (c) => c.notNull())
    .addColumn("node_key_hash", "varchar(64)", (c) => c.unique())
    .addColumn("enrolled_at", "bigint", (c) => c.notNull())
    .addColumn("hostname", "varchar(255)", (c) => c.notNull())
    // The latest execution's facts and counters, kept here so lists need no join.
    .addColumn("primary_ip", "varchar(64)")
    .addColumn("os_platform", "varchar(255)", (c) => c.notNull().defaultTo(""))
    .addColumn("os_name", "varchar(255)", (c) => c.notNull().defaultTo(""))
    .addColumn("os_version", "varchar(255)", (c) => c.notNull().defaultTo(""))
    .addColumn("kernel", "varchar(255)", (c) => c.notNull().defaultTo(""))
    .addColumn("arch", "varchar(255)", (c) => c.notNull().defaultTo(""))
    .addColumn("cpu_model", "varchar(255)", (c) => c.notNull().defaultTo(""))
    .addColumn("cpu_vendor", "varchar(255)", (c) => c.notNull().defaultTo(""))
    .addColumn("cpu_cores", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("memory_total", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("agent_version", "varchar(255)", (c) => c.notNull().defaultTo(""))
    .addColumn("facts_id", "bigint")
    .addColumn("latest_execution_id", "bigint")
    .addColumn("latest_pos", "bigint")
    .addColumn("first_pos", "bigint")
    .addColumn("changed_pos", "bigint")
    .addColumn("last_received_at", "bigint")
    .addColumn("executions", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("process_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("session_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("sessions_known", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("cpu_usage", double, (c) => c.notNull().defaultTo(0))
    .addColumn("memory_available", "bigint", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex("hosts_hostname").on("hosts").column("hostname").execute();
  await db.schema.createIndex("hosts_latest_pos").on("hosts").column("latest_pos").execute();
  await db.schema.createIndex("hosts_primary_ip").on("hosts").column("primary_ip").execute();

  // What the host's latest execution holds, in short: hashes of its process and session
  // identities and the baselines of its running processes. An unchanged check-in is
  // recognised from this one row, without reading the spans.
  await tableOptions(engine, db.schema.createTable("host_state"))
    .addColumn("host_id", "bigint", (c) => c.primaryKey())
    .addColumn("process_hash", "varchar(64)", (c) => c.notNull())
    .addColumn("session_hash", "varchar(64)", (c) => c.notNull())
    .addColumn("bases", text, (c) => c.notNull())
    .execute();

  await tableOptions(engine, db.schema.createTable("host_addresses"))
    .addColumn("host_id", "bigint", (c) => c.notNull())
    .addColumn("ip", "varchar(64)", (c) => c.notNull())
    .addPrimaryKeyConstraint("host_addresses_pk", ["host_id", "ip"])
    .execute();
  await db.schema.createIndex("host_addresses_ip").on("host_addresses").column("ip").execute();

  // Facts (OS, CPU, addresses, agent version) change rarely: each distinct set is one row,
  // executions point at it.
  await withId(engine, db.schema.createTable("host_facts"))
    .addColumn("host_id", "bigint", (c) => c.notNull())
    .addColumn("hash", "varchar(64)", (c) => c.notNull())
    .addColumn("body", text, (c) => c.notNull())
    .addUniqueConstraint("host_facts_host_hash", ["host_id", "hash"])
    .execute();

  await withId(engine, db.schema.createTable("executions"))
    .addColumn("host_id", "bigint", (c) => c.notNull())
    .addColumn("report_id", "varchar(36)", (c) => c.notNull().unique())
    // Order of the host's executions: collected_at in ms × 1000 + a tie-breaker.
    .addColumn("pos", "bigint", (c) => c.notNull())
    .addColumn("collected_at", "varchar(40)", (c) => c.notNull())
    .addColumn("received_at", "bigint", (c) => c.notNull())
    .addColumn("facts_id", "bigint", (c) => c.notNull())
    .addColumn("process_count", "integer", (c) => c.notNull())
    .addColumn("session_count", "integer", (c) => c.notNull())
    .addColumn("sessions_known", "integer", (c) => c.notNull())
    .addColumn("cpu_usage", double, (c) => c.notNull())
    .addColumn("memory_available", "bigint", (c) => c.notNull())
    .addColumn("metrics", blob, (c) => c.notNull())
    .addColumn("extra", "text")
    .addColumn("processes_started", "integer")
    .addColumn("processes_ended", "integer")
    .addColumn("sessions_opened", "integer")
    .addColumn("sessions_closed", "integer")
    .addColumn("facts_changed", "integer")
    .addUniqueConstraint("executions_host_pos", ["host_id", "pos"])
    .execute();
  await db.schema.createIndex("executions_pos").on("executions").column("pos").execute();

  // A process or session is stored once per lifetime: from the first to the last execution
  // of its host that contained it (last_pos = 2^53-1 while it is still running).
  await withId(engine, db.schema.createTable("process_spans"))
    .addColumn("host_id", "bigint", (c) => c.notNull())
    .addColumn("first_pos", "bigint", (c) => c.notNull())
    .addColumn("last_pos", "bigint", (c) => c.notNull())
    .addColumn("pid", "integer", (c) => c.notNull())
    .addColumn("ppid", "integer", (c) => c.notNull())
    .addColumn("name", "varchar(255)", (c) => c.notNull())
    .addColumn("user_name", "varchar(255)", (c) => c.notNull())
    .addColumn("started_at", "varchar(40)")
    .addColumn("cmdline", "text")
    .addColumn("base_cpu", double, (c) => c.notNull())
    .addColumn("base_rss", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("process_spans_host_last")
    .on("process_spans")
    .columns(["host_id", "last_pos", "first_pos"])
    .execute();
  await db.schema
    .createIndex("process_spans_name")
    .on("process_spans")
    .columns(["name", "last_pos"])
    .execute();

  await withId(engine, db.schema.createTable("session_spans"))
    .addColumn("host_id", "bigint", (c) => c.notNull())
    .addColumn("first_pos", "bigint", (c) => c.notNull())
    .addColumn("last_pos", "bigint", (c) => c.notNull())
    .addColumn("user_name", "varchar(255)", (c) => c.notNull())
    .addColumn("terminal", "varchar(64)", (c) => c.notNull())
    .addColumn("remote_host", "varchar(255)")
    .addColumn("started_at", "varchar(40)")
    .addColumn("pid", "integer")
    .execute();
  await db.schema
    .createIndex("session_spans_host_last")
    .on("session_spans")
    .columns(["host_id", "last_pos", "first_pos"])
    .execute();
  await db.schema
    .createIndex("session_spans_user")
    .on("session_spans")
    .columns(["user_name", "last_pos"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    "session_spans",
    "process_spans",
    "executions",
    "host_facts",
    "host_addresses",
    "host_state",
    "hosts",
    "api_tokens",
    "settings",
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
