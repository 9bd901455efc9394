import {
  canonicalJson,
  type Report,
  type ReportPackage,
  type ReportProcess,
} from "@compliance/contract";
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

/** The plain layout of packages: every package of every report as a row. */
export async function createPackageCopyTable(db: AnyDb, table: string): Promise<void> {
  await db.schema
    .createTable(table)
    .ifNotExists()
    .addColumn("report", "varchar(36)", (c) => c.notNull())
    .addColumn("name", "varchar(255)", (c) => c.notNull())
    .addColumn("version", "varchar(255)", (c) => c.notNull())
    .addColumn("arch", "varchar(255)")
    .addColumn("source", "varchar(255)", (c) => c.notNull())
    .execute();
  await db.schema.createIndex(`${table}_report`).ifNotExists().on(table).column("report").execute();
}

export async function insertPackageCopy(
  db: AnyDb,
  engine: TestEngine,
  table: string,
  report: string,
  packages: ReportPackage[],
): Promise<void> {
  if (packages.length === 0) return;
  if (engine === "postgres") {
    const col = <K extends keyof ReportPackage>(k: K) => packages.map((p) => p[k] ?? null);
    await sql`insert into ${sql.table(table)} select * from unnest(
      ${packages.map(() => report)}::text[], ${col("name")}::text[], ${col("version")}::text[],
      ${col("arch")}::text[], ${col("source")}::text[])`.execute(db);
    return;
  }
  for (let i = 0; i < packages.length; i += 1000) {
    await db
      .insertInto(table)
      .values(
        packages.slice(i, i + 1000).map((p) => ({
          report,
          name: p.name,
          version: p.version,
          arch: p.arch ?? null,
          source: p.source,
        })),
      )
      .execute();
  }
}

/**
 * The plain layout of the other inventory sections (sockets, accounts, services,
 * settings): every item of every report as a row, the item as JSON.
 */
export async function createItemCopyTable(db: AnyDb, engine: TestEngine, table: string) {
  await db.schema
    .createTable(table)
    .ifNotExists()
    .addColumn("report", "varchar(36)", (c) => c.notNull())
    .addColumn("kind", "varchar(16)", (c) => c.notNull())
    .addColumn("body", engine === "mysql" ? "varchar(4096)" : "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex(`${table}_report`).ifNotExists().on(table).column("report").execute();
}

/** The items of a report's sections other than packages, as (kind, JSON) pairs. */
export function otherItems(r: Report): { kind: string; body: string }[] {
  const items: { kind: string; body: string }[] = [];
  const add = (kind: string, list: readonly object[] | undefined) => {
    for (const item of list ?? []) items.push({ kind, body: canonicalJson(item) });
  };
  add("listening", r.listening);
  add("account", r.accounts);
  add("service", r.services);
  add(
    "sysctl",
    Object.entries(r.settings?.sysctl ?? {}).map(([key, value]) => ({ key, value })),
  );
  add(
    "sshd",
    Object.entries(r.settings?.sshd ?? {}).map(([key, value]) => ({ key, value })),
  );
  add("file", r.settings?.files);
  return items;
}

export async function insertItemCopy(
  db: AnyDb,
  engine: TestEngine,
  table: string,
  report: string,
  items: { kind: string; body: string }[],
): Promise<void> {
  if (items.length === 0) return;
  if (engine === "postgres") {
    await sql`insert into ${sql.table(table)} select * from unnest(
      ${items.map(() => report)}::text[], ${items.map((i) => i.kind)}::text[],
      ${items.map((i) => i.body)}::text[])`.execute(db);
    return;
  }
  await db
    .insertInto(table)
    .values(items.map((i) => ({ report, ...i })))
    .execute();
}
