import type { Clock } from "../src/clock.ts";

/** A wait on a FakeClock. */
export interface PendingSleep {
  /** The length asked for. */
  readonly ms: number;
  /** When it falls due, on the monotonic clock. */
  readonly due: number;
  /** What may end it early (e.g. the service's stop signal). */
  readonly signal: AbortSignal | undefined;
}

interface Sleeper extends PendingSleep {
  wake(): void;
}

/** What a test sees of a wait. */
const viewOf = ({ ms, due, signal }: PendingSleep): PendingSleep => ({ ms, due, signal });

interface Watcher {
  match(sleep: PendingSleep): boolean;
  resolve(sleep: PendingSleep): void;
}

/**
 * A clock that moves only when the test moves it: wall and monotonic time go forward
 * together, and a sleep wakes when `advance` reaches its due time (or its signal aborts).
 * Code on this clock that is waiting on it has done everything it can do at this moment,
 * so `sleeping()` is the event a test waits for instead of sleeping itself.
 */
export class FakeClock implements Clock {
  private wall: number;
  private mono: number;
  private sleepers: Sleeper[] = [];
  private watchers: Watcher[] = [];

  constructor(start: { wall?: Date | number; monotonic?: number } = {}) {
    const wall = start.wall ?? Date.UTC(2026, 10, 22, 10, 0, 0);
    this.wall = typeof wall === "number" ? wall : wall.getTime();
    this.mono = start.monotonic ?? 1_000;
  }

  now(): number {
    return this.wall;
  }

  monotonic(): number {
    return this.mono;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        ms,
        due: this.mono + ms,
        signal,
        wake: () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          signal?.removeEventListener("abort", sleeper.wake);
          resolve();
        },
      };
      signal?.addEventListener("abort", sleeper.wake, { once: true });
      this.sleepers.push(sleeper);
      const seen = viewOf(sleeper);
      for (const watcher of this.watchers.filter((w) => w.match(seen))) {
        this.watchers = this.watchers.filter((w) => w !== watcher);
        watcher.resolve(seen);
      }
    });
  }

  /** The waits in progress, soonest first. */
  get pending(): PendingSleep[] {
    return [...this.sleepers].sort((a, b) => a.due - b.due).map(viewOf);
  }

  /** Resolves with the first wait, in progress or to come, that `match` accepts. */
  sleeping(match: (sleep: PendingSleep) => boolean = () => true): Promise<PendingSleep> {
    const now = this.pending.find(match);
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => this.watchers.push({ match, resolve }));
  }

  /**
   * Moves both clocks forward by `ms` and wakes every wait that falls due, soonest first.
   * The woken code runs afterwards and sees the clock at its new time: to follow code
   * step by step, move to one due time at a time.
   */
  advance(ms: number): void {
    if (ms < 0) throw new Error(`a clock does not go back (${ms} ms)`);
    const target = this.mono + ms;
    for (;;) {
      const next = this.sleepers
        .filter((s) => s.due <= target)
        .reduce<Sleeper | undefined>(
          (a, b) => (a === undefined || b.due < a.due ? b : a),
          undefined,
        );
      if (!next) break;
      this.moveTo(next.due);
      next.wake();
    }
    this.moveTo(target);
  }

  /** Moves to a moment on the monotonic clock (see advance). */
  advanceTo(monotonic: number): void {
    this.advance(monotonic - this.mono);
  }

  private moveTo(monotonic: number): void {
    if (monotonic <= this.mono) return;
    this.wall += monotonic - this.mono;
    this.mono = monotonic;
  }
}

/**
 * The options of a test that waits for events (a wait on a FakeClock, a request at a
 * server): should one never come, the test fails after this rather than hang the run. It
 * is not a measure of speed: far beyond what a heavily loaded machine needs.
 */
export const HANG_LIMIT = { timeout: 180_000 };
