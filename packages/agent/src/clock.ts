import { performance } from "node:perf_hooks";

/**
 * Every notion of time the agent has: the wall clock a report is dated by, a clock that
 * never jumps for measuring intervals (CPU windows, the pace of the service, backoff), and
 * waiting. The program's entry point hands the system's clock down; everything else takes
 * one, so a test can run the agent on a clock it moves itself.
 */
export interface Clock {
  /** Wall-clock time, milliseconds since the epoch. */
  now(): number;
  /** Milliseconds on a clock that is not set back or forward with the wall clock. */
  monotonic(): number;
  /**
   * Resolves once `ms` have passed on the monotonic clock, or at once when `signal` aborts
   * (it never rejects: a stop ends the wait, it is not an error).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The system's clock: Date.now(), performance.now() and timers. */
export function systemClock(): Clock {
  return {
    now: () => Date.now(),
    monotonic: () => performance.now(),
    sleep: (ms, signal) => {
      if (signal?.aborted) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, ms));
        signal?.addEventListener("abort", done, { once: true });
      });
    },
  };
}
