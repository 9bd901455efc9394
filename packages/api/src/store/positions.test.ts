import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { isoOfPos, isoOrNull, OPEN, POS_PER_MS, posOfTime, timeOfPos } from "./positions.ts";

/** Positions order a host's executions by collection time, with room for ties. */

describe("positions", () => {
  test("a millisecond has POS_PER_MS positions, all mapping back to it", () => {
    const ms = Date.parse("2026-11-20T08:00:00.123Z");
    assert.equal(posOfTime(ms), ms * 1000);
    for (const tie of [0, 1, 500, POS_PER_MS - 1]) {
      assert.equal(timeOfPos(posOfTime(ms) + tie), ms);
      assert.equal(isoOfPos(posOfTime(ms) + tie), "2026-11-20T08:00:00.123Z");
    }
    assert.equal(timeOfPos(posOfTime(ms) + POS_PER_MS), ms + 1, "the next millisecond");
  });

  test("positions order as collection times do, ties after their millisecond's first", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2200, 0, 1) }),
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2200, 0, 1) }),
        fc.nat(POS_PER_MS - 1),
        (a, b, tie) => {
          if (a < b) assert.ok(posOfTime(a) + tie < posOfTime(b));
          assert.equal(timeOfPos(posOfTime(a) + tie), a);
          assert.ok(Number.isSafeInteger(posOfTime(a) + tie));
        },
      ),
    );
  });

  test("OPEN is after every position a collected_at can have", () => {
    assert.equal(OPEN, Number.MAX_SAFE_INTEGER);
    assert.ok(posOfTime(Date.UTC(2200, 0, 1)) + POS_PER_MS - 1 < OPEN);
  });

  test("isoOrNull keeps null", () => {
    assert.equal(isoOrNull(null), null);
    assert.equal(isoOrNull(0), "1970-01-01T00:00:00.000Z");
    assert.equal(isoOrNull(Date.UTC(2026, 10, 20, 8)), "2026-11-20T08:00:00.000Z");
  });
});
