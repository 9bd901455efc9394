import type { ReportProcess } from "@compliance/contract";
import { type Kysely, sql } from "kysely";
import type { TestEngine } from "../../packages/api/test/helpers/databases.ts";

/**
 * The plain layout we compare against: every process of every report as a row, written
 * with the engine's best bulk statement (unnest on PostgreSQL, one multi-row insert
 * elsewhere).
 */
// biome-ignore lint/suspicious/noExplicitAny: a table outside the store's schema.
type AnyDb = Kysely<any>;

export async function createFullCopyTable(
  db: AnyDb,
  engine: TestEngine,
  table: string,
): Promise<void> {
  await db.schema
    .createTable(table)
    .ifNotExists()
    .addColumn("report", "varchar(36)", (c) => c.notNull())
    .addColumn("pid", "integer", (c) => c.notNull())
    .addColumn("ppid", "integer", (c) => c.notNull())
    .addColumn("name", "varchar(255)", (c) => c.notNull())
    .addColumn("user_name", "varchar(255)", (c) => c.notNull())
    .addColumn("cpu_percent", engine === "sqlite" ? "real" : "double precision", (c) => c.notNull())
    .addColumn("rss_bytes", "bigint", (c) => c.notNull())
    .addColumn("started_at", "varchar(40)")
    .addColumn("cmdline", "text")
    .execute();
  await db.schema.createIndex(`${table}_report`).ifNotExists().on(table).column("report").execute();
}

export async function insertFullCopy(
  db: AnyDb,
  engine: TestEngine,
  table: string,
  report: string,
  processes: ReportProcess[],
): Promise<void> {
  if (engine === "postgres") {
    const col = <K extends keyof ReportProcess>(k: K) => processes.map((p) => p[k] ?? null);
    await sql`insert into ${sql.table(table)} select * from unnest(
      ${processes.map(() => report)}::text[], ${col("pid")}::int[], ${col("ppid")}::int[], ${col("name")}::text[],
      ${col("user")}::text[], ${col("cpu_percent")}::float8[], ${col("rss_bytes")}::bigint[],
      ${col("started_at")}::text[], ${col("cmdline")}::text[])`.execute(db);
    return;
  }
  await db
    .insertInto(table)
    .values(
      processes.map((p) => ({
        report,
        pid: p.pid,
        ppid: p.ppid,
        name: p.name,
        user_name: p.user,
        cpu_percent: p.cpu_percent,
        rss_bytes: p.rss_bytes,
        started_at: p.started_at ?? null,
        cmdline: p.cmdline ?? null,
      })),
    )
    .execute();
}
