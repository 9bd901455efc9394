import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Config } from "./config.ts";

/** Owner only: the data directory holds every host's history and the generated secrets. */
const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

/** Creates a directory (and its missing parents) readable by its owner only. */
function privateDir(path: string): void {
  if (existsSync(path)) return;
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR });
  chmodSync(path, PRIVATE_DIR);
}

/** The path of a SQLite database URL, or null for another engine or an in-memory database. */
export function sqliteFile(databaseUrl: string): string | null {
  if (!databaseUrl.startsWith("sqlite:")) return null;
  const path = databaseUrl.slice("sqlite:".length);
  return path === "" || path === ":memory:" ? null : resolve(path);
}

/**
 * Makes the files the API keeps readable by their owner only, whatever the umask: the data
 * directory 0700, the SQLite database 0600 (created empty if missing, so SQLite gives its
 * WAL and shared-memory files the same mode) and, when present, its WAL and SHM files.
 * Returns lines for the operator about files it could not restrict.
 */
export function restrictDataFiles(config: Pick<Config, "dataDir" | "databaseUrl">): string[] {
  const problems: string[] = [];
  privateDir(resolve(config.dataDir));
  const database = sqliteFile(config.databaseUrl);
  if (database === null) return problems;
  privateDir(dirname(database));
  if (!existsSync(database)) closeSync(openSync(database, "a", PRIVATE_FILE));
  for (const file of [database, `${database}-wal`, `${database}-shm`]) {
    if (!existsSync(file)) continue;
    try {
      chmodSync(file, PRIVATE_FILE);
    } catch (e) {
      problems.push(`could not make ${file} private (${(e as Error).message})`);
    }
  }
  return problems;
}
