import { type Kysely, MysqlAdapter, sql } from "kysely";

// Frozen in time: this file never imports application code.
//
// MySQL and MariaDB compare text with PAD SPACE collations by default, utf8mb4_bin among
// them: "cron" and "cron " are equal there, so two processes, two session users or two
// host identifiers that differ only by trailing spaces collide in a key. SQLite and
// PostgreSQL compare text exactly. Every table moves to a binary NO PAD collation, so text
// keys compare exactly on every engine. SQLite and PostgreSQL have nothing to do.

const TABLES = [
  "settings",
  "api_tokens",
  "hosts",
  "host_addresses",
  "host_state",
  "current_names",
  "host_facts",
  "executions",
  "process_spans",
  "session_spans",
  "inventory_spans",
  "policies",
  "policy_versions",
  "policy_runs",
  "policy_events",
  "jobs",
  "webhooks",
  "webhook_deliveries",
];

/** MariaDB's binary NO PAD collation, or MySQL 8's; null when the server has neither. */
async function noPadCollation(db: Kysely<any>): Promise<string | null> {
  for (const name of ["utf8mb4_nopad_bin", "utf8mb4_0900_bin"]) {
    const found = await sql<{ Collation: string }>`show collation like ${name}`.execute(db);
    if (found.rows.length > 0) return name;
  }
  return null;
}

export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof MysqlAdapter)) return;
  const collation = await noPadCollation(db);
  if (!collation) {
    throw new Error(
      "this MySQL/MariaDB server has no binary NO PAD collation (utf8mb4_nopad_bin on MariaDB 10.2+, utf8mb4_0900_bin on MySQL 8): upgrade it",
    );
  }
  for (const table of TABLES) {
    await sql`alter table ${sql.table(table)} convert to character set utf8mb4 collate ${sql.raw(collation)}`.execute(
      db,
    );
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof MysqlAdapter)) return;
  for (const table of TABLES) {
    await sql`alter table ${sql.table(table)} convert to character set utf8mb4 collate utf8mb4_bin`.execute(
      db,
    );
  }
}
