import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from "kysely";
import { Migrator } from "kysely/migration";
import { createPool as createMysqlPool } from "mysql2";
import pg from "pg";
import { migrations } from "./migrations/index.ts";
import type { Database } from "./schema.ts";
import { openSqlite, type SqliteConnection } from "./sqlite-driver.ts";

export type Engine = "sqlite" | "postgres" | "mysql";

export interface DatabaseHandle {
  /** Writes, and reads that must see the writer's own uncommitted work. */
  db: Kysely<Database>;
  /** Reads. On SQLite a second connection; elsewhere the same pool as db. */
  reader: Kysely<Database>;
  engine: Engine;
  /** Where the data lives, without credentials, for logs and /health. */
  where: string;
  close(): Promise<void>;
  /** The connection pool's use now (PostgreSQL, MySQL); absent on SQLite. */
  poolUse?: () => PoolUse;
}

/** Connections of a pool: open in all, idle among them, and requests waiting for one. */
export interface PoolUse {
  total: number;
  idle: number;
  waiting: number;
}

export interface DatabaseOptions {
  /** Connections per API process (PostgreSQL and MySQL). */
  poolSize?: number;
  /** SQLite's synchronous setting: FULL (default, durable through power loss) or NORMAL. */
  sqliteSynchronous?: "FULL" | "NORMAL";
  /**
   * Opens each SQLite connection; node:sqlite (`openSqlite`) when absent. Lets a benchmark
   * run the same store, pragmas and connections over another driver; the API never sets it.
   */
  sqliteDriver?: SqliteOpener;
}

/** Opens one SQLite connection, as `openSqlite` does. */
export type SqliteOpener = (path: string, options: { readOnly: boolean }) => SqliteConnection;

/** Parses DATABASE_URL into an engine; throws a message naming the variable when it cannot. */
export function engineOf(url: string): Engine {
  if (url.startsWith("sqlite:")) return "sqlite";
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) return "postgres";
  if (url.startsWith("mysql://") || url.startsWith("mariadb://")) return "mysql";
  throw new Error(
    `DATABASE_URL must start with sqlite:, postgres:// or mysql:// (got "${url.split(":")[0]}:...")`,
  );
}

export function openDatabase(url: string, options: DatabaseOptions = {}): DatabaseHandle {
  const engine = engineOf(url);
  const poolSize = options.poolSize ?? 10;
  if (engine === "sqlite") {
    const path = url.slice("sqlite:".length) || ":memory:";
    if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
    const driver = options.sqliteDriver ?? openSqlite;
    const open = (readOnly: boolean) => {
      const sqlite = driver(path, { readOnly });
      if (!readOnly) {
        sqlite.pragma("journal_mode = WAL");
        // FULL: a report acknowledged is on disk even if the machine loses power right
        // after. Group commit (group-commit.ts) shares each flush among waiting reports.
        sqlite.pragma(`synchronous = ${options.sqliteSynchronous ?? "FULL"}`);
      }
      sqlite.pragma("busy_timeout = 5000");
      // The default page cache is 2 MB; a fleet's database is hundreds of MB. Memory-mapped
      // reads avoid a system call per page.
      sqlite.pragma("cache_size = -65536");
      sqlite.pragma("mmap_size = 1073741824");
      return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    };
    const db = open(false);
    // One writer, and a connection of its own for reads: in WAL mode readers never wait
    // for the writer, so authenticating and answering reads go on while a commit is made.
    const reader = path === ":memory:" ? db : open(true);
    return {
      db,
      reader,
      engine,
      where: `sqlite:${path}`,
      close: async () => {
        if (reader !== db) await reader.destroy();
        await db.destroy();
      },
    };
  }
  if (engine === "postgres") {
    const pool = new pg.Pool({
      connectionString: url,
      max: poolSize,
      connectionTimeoutMillis: 5_000,
      // bigint ids and epoch milliseconds fit in a double; PostgreSQL would hand back strings.
      types: {
        getTypeParser: (oid: number, format?: "text" | "binary") =>
          oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format),
      } as never,
    });
    // An idle client that loses its server must not crash the process; the next query reports it.
    pool.on("error", () => {});
    // A client checked out (a transaction between two queries, the migration lock) has no
    // pool listener: its server going away must not crash the process either.
    pool.on("connect", (client) => client.on("error", () => {}));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const poolUse = () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    });
    return { db, reader: db, engine, where: redact(url), close: () => db.destroy(), poolUse };
  }
  const pool = createMysqlPool({
    uri: url.replace(/^mariadb:/, "mysql:"),
    connectionLimit: poolSize,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
    timezone: "Z",
    connectTimeout: 5_000,
  });
  pool.on("connection", (c) => c.on("error", () => {}));
  const db = new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
  return {
    db,
    reader: db,
    engine,
    where: redact(url),
    close: () => db.destroy(),
    poolUse: () => mysqlPoolUse(pool),
  };
}

/**
 * mysql2 keeps its counts in fields it does not type: every connection, the free ones, and
 * the requests queued for one.
 */
function mysqlPoolUse(pool: object): PoolUse {
  const p = pool as {
    _allConnections?: { length: number };
    _freeConnections?: { length: number };
    _connectionQueue?: { length: number };
  };
  return {
    total: p._allConnections?.length ?? 0,
    idle: p._freeConnections?.length ?? 0,
    waiting: p._connectionQueue?.length ?? 0,
  };
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.split("@").pop() ?? "";
  }
}

/**
 * Brings the schema up to date. Safe when several API processes start at once: Kysely's
 * migrator takes a lock (an advisory lock on PostgreSQL, GET_LOCK on MySQL); creating its
 * own bookkeeping tables can still race on a brand-new database, so that step is retried.
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  for (let attempt = 1; ; attempt++) {
    const { error } = await migrator.migrateToLatest();
    if (!error) return;
    if (attempt >= 5) throw error;
    await new Promise((r) => setTimeout(r, 100 * attempt + Math.random() * 200));
  }
}
