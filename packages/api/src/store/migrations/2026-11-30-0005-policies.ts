import { type ColumnDataType, type Kysely, MysqlAdapter, PostgresAdapter, sql } from "kysely";

// Frozen in time: this file never imports application code.
//
// Compliance policies, every version of them, their results as runs (a status from one
// execution of a host to another), the events of status changes, background jobs, and
// webhooks with their delivery log.
export async function up(db: Kysely<any>): Promise<void> {
  const adapter = db.getExecutor().adapter;
  const postgres = adapter instanceof PostgresAdapter;
  const mysql = adapter instanceof MysqlAdapter;
  const text: ColumnDataType = mysql ? (sql`mediumtext` as never) : "text";
  const bin = mysql ? sql`default character set utf8mb4 collate utf8mb4_bin` : sql``;
  const id = <T extends string>(name: T) => {
    const t = db.schema.createTable(name);
    return postgres
      ? t.addColumn("id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : mysql
        ? t.addColumn("id", "bigint", (c) => c.primaryKey().autoIncrement())
        : t.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement());
  };

  await db.schema
    .createTable("policies")
    .addColumn("id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("name", "varchar(255)", (c) => c.notNull())
    .addColumn("severity", "varchar(16)", (c) => c.notNull())
    .addColumn("enabled", "integer", (c) => c.notNull())
    // The version new executions are evaluated with; every change of the document is one.
    .addColumn("version", "integer", (c) => c.notNull())
    // api, directory or starter: where the policy came from.
    .addColumn("origin", "varchar(16)", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .modifyEnd(bin)
    .execute();

  await db.schema
    .createTable("policy_versions")
    .addColumn("policy_id", "varchar(64)", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("hash", "varchar(64)", (c) => c.notNull())
    .addColumn("document", text, (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("policy_versions_pk", ["policy_id", "version"])
    .modifyEnd(bin)
    .execute();

  // A run: the policy (at one version) had this status on the host at every execution
  // from first_pos to last_pos (2^53-1 while it still holds).
  await id("policy_runs")
    .addColumn("policy_id", "varchar(64)", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("host_id", "bigint", (c) => c.notNull())
    .addColumn("status", "varchar(16)", (c) => c.notNull())
    .addColumn("first_pos", "bigint", (c) => c.notNull())
    .addColumn("last_pos", "bigint", (c) => c.notNull())
    .modifyEnd(bin)
    .execute();
  await db.schema
    .createIndex("policy_runs_host")
    .on("policy_runs")
    .columns(["host_id", "last_pos", "first_pos"])
    .execute();
  await db.schema
    .createIndex("policy_runs_policy")
    .on("policy_runs")
    .columns(["policy_id", "version", "last_pos", "first_pos"])
    .execute();

  // A host's status of a policy changed with a newly stored execution: what webhooks and
  // the change feed hand out, in the order stored.
  await id("policy_events")
    .addColumn("policy_id", "varchar(64)", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("host_id", "bigint", (c) => c.notNull())
    .addColumn("execution_id", "bigint", (c) => c.notNull())
    .addColumn("report_id", "varchar(36)", (c) => c.notNull())
    .addColumn("collected_at", "varchar(40)", (c) => c.notNull())
    .addColumn("before", "varchar(16)")
    .addColumn("after", "varchar(16)", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .modifyEnd(bin)
    .execute();
  await db.schema
    .createIndex("policy_events_execution")
    .on("policy_events")
    .column("execution_id")
    .execute();

  await id("jobs")
    .addColumn("kind", "varchar(32)", (c) => c.notNull())
    .addColumn("subject", "varchar(255)", (c) => c.notNull())
    .addColumn("status", "varchar(16)", (c) => c.notNull())
    .addColumn("total", "integer", (c) => c.notNull())
    .addColumn("done", "integer", (c) => c.notNull())
    .addColumn("error", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("started_at", "bigint")
    .addColumn("finished_at", "bigint")
    // A running job whose heartbeat stopped (its process died) is taken over.
    .addColumn("heartbeat_at", "bigint")
    .modifyEnd(bin)
    .execute();
  await db.schema.createIndex("jobs_status").on("jobs").columns(["status", "id"]).execute();

  await id("webhooks")
    .addColumn("url", "varchar(2048)", (c) => c.notNull())
    .addColumn("events", "varchar(255)", (c) => c.notNull())
    .addColumn("secret", "varchar(255)", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    // The last policy event handed to this webhook's deliveries.
    .addColumn("cursor", "bigint", (c) => c.notNull())
    .modifyEnd(bin)
    .execute();
  await id("webhook_deliveries")
    .addColumn("webhook_id", "bigint", (c) => c.notNull())
    .addColumn("event_id", "bigint", (c) => c.notNull())
    .addColumn("payload", text, (c) => c.notNull())
    .addColumn("status", "varchar(16)", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull())
    .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
    .addColumn("last_status", "integer")
    .addColumn("last_error", "varchar(1024)")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("delivered_at", "bigint")
    .modifyEnd(bin)
    .execute();
  await db.schema
    .createIndex("webhook_deliveries_due")
    .on("webhook_deliveries")
    .columns(["status", "next_attempt_at"])
    .execute();
  await db.schema
    .createIndex("webhook_deliveries_webhook")
    .on("webhook_deliveries")
    .columns(["webhook_id", "id"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    "webhook_deliveries",
    "webhooks",
    "jobs",
    "policy_events",
    "policy_runs",
    "policy_versions",
    "policies",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
