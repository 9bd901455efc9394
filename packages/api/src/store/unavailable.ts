/**
 * Whether an error means "the database cannot be reached right now" (as opposed to a bug
 * or bad data). Such errors become 503 with Retry-After: agents keep their reports and
 * retry; they never take it as a reason to enroll again.
 */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EPIPE",
  "EAI_AGAIN",
  // MySQL / MariaDB
  "PROTOCOL_CONNECTION_LOST",
  "ER_CON_COUNT_ERROR",
  "ER_SERVER_SHUTDOWN",
  "ER_LOCK_WAIT_TIMEOUT",
  "ER_LOCK_DEADLOCK",
  // A statement cut short by the statement timeout (MySQL's max_execution_time).
  "ER_QUERY_TIMEOUT",
  // SQLite
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
]);

// PostgreSQL SQLSTATE classes: 08 connection exception, 53 insufficient resources,
// 57P0x operator intervention (shutdown, cannot connect now), 57014 a statement cancelled
// (the statement timeout: the database is too busy or locked to answer in time),
// 40001/40P01 serialization.
const PG_STATES = /^(08|53|57P0|57014|40001|40P01)/;

/** MariaDB's ER_STATEMENT_TIMEOUT (max_statement_time), which mysql2 has no name for. */
const MARIADB_STATEMENT_TIMEOUT = 1969;

const MESSAGES =
  /Connection terminated|connect ECONNREFUSED|Client has encountered a connection error|the database system is (starting up|shutting down)|Pool is closed|Connection lost/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  if (overloadOf(error) !== null) return false;
  for (
    let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (typeof e.code === "string" && (NETWORK_CODES.has(e.code) || PG_STATES.test(e.code)))
      return true;
    if ((e as { errno?: unknown }).errno === MARIADB_STATEMENT_TIMEOUT) return true;
    if (typeof e.message === "string" && MESSAGES.test(e.message)) return true;
    if (e instanceof AggregateError && e.errors.some(isDatabaseUnavailable)) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** What database.ts's MySQL pool fails with when no connection frees up in time. */
export const POOL_WAIT_TIMEOUT = "POOL_WAIT_TIMEOUT";

/**
 * A batch of reports waited for its host's row past the statement timeout: other writers
 * (another replica's batches) held it that long. The database answers; it is busy.
 */
export class RowsBusyError extends Error {
  readonly code = "ROWS_BUSY";
  constructor(cause: unknown) {
    super("the host's row stayed locked by other writers past the statement timeout", { cause });
    this.name = "RowsBusyError";
  }
}

/** A wait for a row lock cut short: the statement timeout (57014, MariaDB 1969) or a lock timeout. */
export function isLockTimeout(error: unknown): boolean {
  const e = error as { code?: unknown; errno?: unknown };
  return (
    e?.code === "57014" ||
    e?.code === "55P03" ||
    e?.code === "ER_LOCK_WAIT_TIMEOUT" ||
    e?.errno === MARIADB_STATEMENT_TIMEOUT
  );
}

/**
 * Why an error means "overloaded" rather than "database unavailable", or null: every
 * connection of this process's pool is busy with other requests and the wait for one ran
 * out (pg-pool's wait gives up with this message; a new connection that cannot be made
 * fails otherwise: refused, or "Connection terminated due to connection timeout"), or the
 * rows a batch needs stayed locked by other writers. The database answers in both cases:
 * 503 "overloaded" + Retry-After.
 */
export function overloadOf(error: unknown): "pool_busy" | "rows_busy" | null {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  if (e instanceof RowsBusyError) return "rows_busy";
  if (
    e?.code === POOL_WAIT_TIMEOUT ||
    (typeof e?.message === "string" && e.message === "timeout exceeded when trying to connect")
  )
    return "pool_busy";
  return null;
}
