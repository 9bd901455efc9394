import type { Logger } from "pino";
import type { Store } from "./store/store.ts";
import { isDatabaseUnavailable } from "./store/unavailable.ts";

/** The longest pause between two attempts. */
const RETRY_MS = 2000;

/** A monotonic clock and a pause (a test passes its own). */
export interface WaitClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const REAL_CLOCK: WaitClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export class DatabaseStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseStartError";
  }
}

/**
 * Brings the schema up to date, waiting for a database that does not answer yet (a
 * container starting beside it) for up to `timeoutMs`, with a log line per attempt. Any
 * other failure (a refused password, a bad migration) stops at once.
 */
export async function migrateWhenReachable(
  store: Pick<Store, "migrate" | "where">,
  timeoutMs: number,
  log: Pick<Logger, "info" | "warn" | "error">,
  clock: WaitClock = REAL_CLOCK,
): Promise<void> {
  const monotonic = clock.now;
  const deadline = monotonic() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await store.migrate();
      if (attempt > 1) log.info({ database: store.where, attempt }, "database reachable");
      return;
    } catch (e) {
      if (!isDatabaseUnavailable(e)) throw e;
      const left = deadline - monotonic();
      const reason = (e as Error).message;
      if (left <= 0) {
        const seconds = Math.round(timeoutMs / 1000);
        log.error(
          { database: store.where, attempt, error: reason },
          "database unreachable; giving up",
        );
        throw new DatabaseStartError(
          `the database ${store.where} did not answer within ${seconds} s ` +
            `(COMPLIANCE_DB_START_TIMEOUT); last error: ${reason}`,
          { cause: e },
        );
      }
      const wait = Math.min(RETRY_MS, left);
      log.warn(
        { database: store.where, attempt, retry_in_ms: Math.round(wait), error: reason },
        "database unavailable; retrying",
      );
      await clock.sleep(wait);
    }
  }
}
