import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import type { SqliteOpener } from "../../packages/api/src/store/database.ts";
import type { SqliteConnection } from "../../packages/api/src/store/sqlite-driver.ts";

/**
 * better-sqlite3, the native driver the API used before node:sqlite, loaded from a directory
 * outside the project (it is not a dependency: compiling it is what node:sqlite avoids).
 */

/** The part of better-sqlite3's API the store needs; it is what Kysely's SqliteDialect takes. */
interface NativeStatement {
  readonly reader: boolean;
  all(parameters: readonly unknown[]): unknown[];
  run(parameters: readonly unknown[]): {
    changes: number | bigint;
    lastInsertRowid: number | bigint;
  };
  iterate(parameters: readonly unknown[]): IterableIterator<unknown>;
}

interface NativeDatabase {
  prepare(sql: string): NativeStatement;
  pragma(text: string): unknown;
  close(): void;
}

type NativeConstructor = new (path: string, options: { readonly: boolean }) => NativeDatabase;

export type BetterSqlite3 =
  | { loaded: true; version: string; sqliteVersion: string; open: SqliteOpener }
  | { loaded: false; reason: string };

/** The same bound and eviction as openSqlite's cache, so only the driver differs. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Loads better-sqlite3 from `dir` (an installed package directory). A module built against
 * the wrong Node headers can crash the process that loads it, so a child process tries it
 * first: a failure there is a reason to report, not a crash of the benchmark.
 */
export function loadBetterSqlite3(dir: string | undefined): BetterSqlite3 {
  if (!dir) {
    return {
      loaded: false,
      reason: "BENCH_BETTER_SQLITE3 is not set (the directory of an installed better-sqlite3)",
    };
  }
  const path = resolve(dir);
  const probe = spawnSync(
    process.execPath,
    [
      "-e",
      `const dir = ${JSON.stringify(path)};
       const db = new (require(dir))(":memory:");
       const sqlite = db.prepare("select sqlite_version() as v").get().v;
       db.close();
       process.stdout.write(JSON.stringify({ version: require(dir + "/package.json").version, sqlite }));`,
    ],
    { encoding: "utf8" },
  );
  if (probe.status !== 0) {
    const why = probe.signal
      ? `killed by ${probe.signal}`
      : (probe.stderr
          .trim()
          .split("\n")
          .find((l) => /^\w*Error\b/.test(l)) ?? `exit ${probe.status}`);
    return { loaded: false, reason: `${path} does not load on Node ${process.version}: ${why}` };
  }
  const { version, sqlite } = JSON.parse(probe.stdout) as { version: string; sqlite: string };
  let Native: NativeConstructor;
  try {
    Native = createRequire(import.meta.url)(path) as NativeConstructor;
  } catch (error) {
    return { loaded: false, reason: `${path} does not load: ${(error as Error).message}` };
  }
  return {
    loaded: true,
    version,
    sqliteVersion: sqlite,
    open: (file, options) => withStatementCache(new Native(file, { readonly: options.readOnly })),
  };
}

/** The statement cache the API kept over better-sqlite3 (Kysely prepares every query anew). */
function withStatementCache(database: NativeDatabase): SqliteConnection {
  const cache = new Map<string, NativeStatement>();
  return {
    close: () => database.close(),
    pragma: (text) => void database.pragma(text),
    prepare(sql) {
      let statement = cache.get(sql);
      if (!statement) {
        statement = database.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}
