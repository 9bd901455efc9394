import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { SqliteDatabase, SqliteStatement } from "kysely";

/** Kysely's SQLite dialect over Node's built-in `node:sqlite`, with a statement cache. */
export interface SqliteConnection extends SqliteDatabase {
  /** Runs one `PRAGMA` (its text after the keyword). */
  pragma(text: string): void;
}

/** Distinct SQL texts kept prepared; IN lists of varying length make many texts. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Opens a SQLite file (or `:memory:`) through `node:sqlite`: no native module to compile at
 * install. Kysely prepares every query anew, and on SQLite preparing costs as much as
 * running a small query, so the same SQL text reuses its statement.
 */
export function openSqlite(path: string, options: { readOnly: boolean }): SqliteConnection {
  const database = new DatabaseSync(path, { readOnly: options.readOnly });
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    pragma: (text) => database.exec(`PRAGMA ${text}`),
    prepare(sql) {
      let statement = cache.get(sql);
      if (!statement) {
        statement = adapt(database.prepare(sql));
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

type Parameter = null | number | bigint | string | Uint8Array;

function adapt(statement: StatementSync): SqliteStatement {
  return {
    // A statement that yields columns is a query (SELECT, or a write with RETURNING).
    reader: statement.columns().length > 0,
    all: (parameters) => statement.all(...(parameters as Parameter[])),
    run: (parameters) => statement.run(...(parameters as Parameter[])),
    iterate: (parameters) => statement.iterate(...(parameters as Parameter[])),
  };
}
