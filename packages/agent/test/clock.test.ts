import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { systemClock } from "../src/clock.ts";
import { FakeClock, HANG_LIMIT } from "./clock.ts";

const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

describe("the system clock", () => {
  test("a sleep ends when its signal aborts, and leaves no timer behind", HANG_LIMIT, async () => {
    const clock = systemClock();
    const before = timers();
    const stop = new AbortController();
    const sleeping = clock.sleep(3_600_000, stop.signal);
    assert.equal(timers(), before + 1);
    stop.abort();
    await sleeping;
    // A pending timer would keep the agent's process alive after it has stopped.
    assert.equal(timers(), before);
    await clock.sleep(3_600_000, stop.signal); // already aborted: no wait at all
    assert.equal(timers(), before);
  });

  test("a sleep ends by itself once its time has passed", HANG_LIMIT, async () => {
    const clock = systemClock();
    const before = timers();
    const started = clock.monotonic();
    await clock.sleep(20);
    assert.ok(clock.monotonic() > started);
    assert.equal(timers(), before);
  });
});

describe("the fake clock the tests move", () => {
  test("sleeps wake in order of their due time, as the clock reaches it", async () => {
    const clock = new FakeClock({ wall: Date.UTC(2026, 10, 22), monotonic: 0 });
    const woke: string[] = [];
    const late = clock.sleep(300).then(() => woke.push(`late at ${clock.monotonic()}`));
    const soon = clock.sleep(100).then(() => woke.push(`soon at ${clock.monotonic()}`));
    assert.deepEqual(
      clock.pending.map((s) => s.due),
      [100, 300],
    );
    clock.advance(99);
    await Promise.resolve();
    assert.deepEqual(woke, []);
    assert.equal(clock.pending.length, 2);
    clock.advance(1);
    await soon;
    assert.deepEqual(woke, ["soon at 100"]);
    clock.advanceTo(300);
    await late;
    assert.deepEqual(woke, ["soon at 100", "late at 300"]);
    assert.equal(clock.now(), Date.UTC(2026, 10, 22) + 300, "the wall clock moved as much");
  });

  test("an aborted sleep wakes at once; sleeping() tells of a wait to come", async () => {
    const clock = new FakeClock();
    const stop = new AbortController();
    const next = clock.sleeping((s) => s.signal === stop.signal);
    const sleeping = clock.sleep(1_000, stop.signal);
    assert.equal((await next).ms, 1_000);
    stop.abort();
    await sleeping;
    assert.deepEqual(clock.pending, []);
    assert.throws(() => clock.advance(-1), /does not go back/);
  });
});
