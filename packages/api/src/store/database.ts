import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Kysely, MysqlDialect, type MysqlPool, PostgresDialect, SqliteDialect } from "kysely";
import { Migrator } from "kysely/migration";
import { createPool as createMysqlPool, type Pool, type PoolConnection } from "mysql2";
import pg from "pg";
import { migrations } from "./migrations/index.ts";
import type { Database } from "./schema.ts";
import { openSqlite, type SqliteConnection } from "./sqlite-driver.ts";
import { POOL_WAIT_TIMEOUT } from "./unavailable.ts";

export type Engine = "sqlite" | "postgres" | "mysql";

export interface DatabaseHandle {
  /** Writes, and reads that must see the writer's own uncommitted work. */
  db: Kysely<Database>;
  /** Reads. On SQLite a second connection; elsewhere the same pool as db. */
  reader: Kysely<Database>;
  /**
   * Work that may rightly take long: migrations, retention, a policy evaluated over the
   * history. With a statement timeout, a small pool of its own without it (PostgreSQL,
   * MySQL); otherwise db.
   */
  long: Kysely<Database>;
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
  /**
   * The longest a statement of db and reader may run, lock waits included, in ms; 0 or
   * absent: no limit (PostgreSQL and MySQL/MariaDB; SQLite waits for a lock 5 s at most).
   * A statement cut short fails as "database unavailable", answered 503 + Retry-After.
   */
  statementTimeoutMs?: number;
}

/** Connections of the pool for long work, besides the pool of requests. */
export const LONG_POOL_SIZE = 2;

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
    // Kysely closes a connection only if it used it: the files of one it never used (a
    // reader no request came to) would stay open after close. Each is closed here, once.
    const connections: (() => void)[] = [];
    const open = (readOnly: boolean) => {
      const sqlite = driver(path, { readOnly });
      const close = sqlite.close.bind(sqlite);
      let closed = false;
      const closeOnce = () => {
        if (closed) return;
        closed = true;
        close();
      };
      sqlite.close = closeOnce;
      connections.push(closeOnce);
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
      long: db,
      engine,
      where: `sqlite:${path}`,
      close: async () => {
        if (reader !== db) await reader.destroy();
        await db.destroy();
        for (const close of connections) close();
      },
    };
  }
  const timeoutMs = options.statementTimeoutMs ?? 0;
  const open = engine === "postgres" ? openPostgres : openMysql;
  const opened = open(url, poolSize, timeoutMs);
  const db = opened.db;
  const long = timeoutMs > 0 ? open(url, LONG_POOL_SIZE, 0).db : db;
  return {
    db,
    reader: db,
    long,
    engine,
    where: redact(url),
    close: async () => {
      if (long !== db) await long.destroy();
      await db.destroy();
    },
    poolUse: opened.poolUse,
  };
}

/** A pool of connections behind Kysely, and how much of it is in use. */
interface Opened {
  db: Kysely<Database>;
  poolUse: () => PoolUse;
}

function openPostgres(url: string, poolSize: number, timeoutMs: number): Opened {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Also how long a query waits for a free connection of the pool; past it the request
    // is answered "overloaded" (unavailable.ts: isPoolBusy), not "database unavailable".
    connectionTimeoutMillis: 5_000,
    // Each connection's own limit, lock waits included: a blocked query fails with 57014.
    ...(timeoutMs > 0 ? { statement_timeout: timeoutMs } : {}),
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
  return {
    db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
    poolUse: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}

function openMysql(url: string, poolSize: number, timeoutMs: number): Opened {
  const pool = createMysqlPool({
    uri: url.replace(/^mariadb:/, "mysql:"),
    connectionLimit: poolSize,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
    timezone: "Z",
    connectTimeout: 5_000,
  });
  pool.on("connection", (c) => {
    c.on("error", () => {});
    if (timeoutMs > 0) limitStatements(c, timeoutMs);
  });
  return {
    db: new Kysely<Database>({
      dialect: new MysqlDialect({
        pool: timeoutMs > 0 ? waitingAtMost(pool, POOL_WAIT_MS) : pool,
      }),
    }),
    poolUse: () => mysqlPoolUse(pool),
  };
}

/** How long a query waits for a free connection of a MySQL pool, as PostgreSQL's does. */
const POOL_WAIT_MS = 5_000;

/**
 * The pool, with a bound on the wait for a free connection (mysql2 waits for ever): past
 * it the query fails with POOL_WAIT_TIMEOUT, "overloaded" (every connection is busy, the
 * database answers them); a connection that frees up later goes back to the pool.
 */
function waitingAtMost(pool: Pool, ms: number): MysqlPool {
  return {
    getConnection(callback) {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        const error = Object.assign(new Error(`no free database connection within ${ms} ms`), {
          code: POOL_WAIT_TIMEOUT,
        });
        callback(error, undefined as never);
      }, ms);
      pool.getConnection((error, connection) => {
        if (settled) {
          connection?.release();
          return;
        }
        settled = true;
        clearTimeout(timer);
        callback(error, connection as never);
      });
    },
    end: (callback) => pool.end(callback),
  };
}

/**
 * Bounds each statement of a new MySQL/MariaDB connection; sent before anything else the
 * connection runs. MariaDB: max_statement_time (every statement); MySQL: max_execution_time
 * (reads). Lock waits are bounded by innodb_lock_wait_timeout (rows) and lock_wait_timeout
 * (tables) on both.
 */
function limitStatements(c: PoolConnection, timeoutMs: number): void {
  const ignore = () => {};
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  c.query(`set session innodb_lock_wait_timeout = ${seconds}`, ignore);
  // Table locks (LOCK TABLES, a schema change) wait on metadata locks instead.
  c.query(`set session lock_wait_timeout = ${seconds}`, ignore);
  c.query(`set session max_statement_time = ${timeoutMs / 1000}`, (error: unknown) => {
    if (error) c.query(`set session max_execution_time = ${Math.ceil(timeoutMs)}`, ignore);
  });
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
