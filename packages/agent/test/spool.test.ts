import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { jittered, parseRetryAfter, retryDelay } from "../src/backoff.ts";
import { StateLock } from "../src/lock.ts";
import { SET_ASIDE_DIR, SET_ASIDE_KEPT, Spool, withSpoolNews } from "../src/spool.ts";
import { tempDir } from "./harness.ts";

const report = (id: string, dropped?: number) =>
  JSON.stringify({
    report_id: id,
    agent: { version: "0.1.0", ...(dropped ? { dropped_reports: dropped } : {}) },
  });

describe("the spool", () => {
  let dir: string;
  beforeEach(() => {
    dir = join(tempDir("agent-spool-"), "spool");
  });
  afterEach(() => rmSync(join(dir, ".."), { recursive: true, force: true }));

  const open = (maxReports = 10, maxBytes = 1024 * 1024) =>
    new Spool({ dir, maxReports, maxBytes }).open();

  test("keeps reports in files of their own (0600 in a 0700 directory), oldest first, across restarts", () => {
    const spool = open();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids) spool.put(id, report(id));
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    for (const name of readdirSync(dir))
      assert.equal(statSync(join(dir, name)).mode & 0o777, 0o600);
    const again = open();
    assert.deepEqual(
      again.list().map((e) => e.reportId),
      ids,
    );
    assert.equal(again.read(again.oldest()!), report(ids[0]!));
    again.acknowledge(again.oldest()!);
    const third = open();
    assert.deepEqual(
      third.list().map((e) => e.reportId),
      ids.slice(1),
    );
    // New reports go after the ones already there, whatever the clock says.
    const later = randomUUID();
    third.put(later, report(later));
    assert.deepEqual(
      open()
        .list()
        .map((e) => e.reportId),
      [...ids.slice(1), later],
    );
  });

  test("what a crash left half-written is removed; other files are left alone", () => {
    const spool = open();
    const id = randomUUID();
    spool.put(id, report(id));
    writeFileSync(join(dir, ".tmp-123-000000000002-x.json"), '{"report_id":"half');
    writeFileSync(join(dir, "notes.txt"), "mine");
    const again = open();
    assert.deepEqual(
      again.list().map((e) => e.reportId),
      [id],
    );
    assert.equal(existsSync(join(dir, ".tmp-123-000000000002-x.json")), false);
    assert.equal(existsSync(join(dir, "notes.txt")), true);
  });

  test("bounded by count: the oldest are dropped and counted, the count kept on disk", () => {
    const spool = open(3);
    const ids = Array.from({ length: 5 }, () => randomUUID());
    for (const id of ids) spool.put(id, report(id));
    assert.deepEqual(
      spool.list().map((e) => e.reportId),
      ids.slice(2),
    );
    assert.equal(spool.dropped, 2);
    assert.equal(open(3).dropped, 2, "survives a restart");
    // Delivering a report that told the API about the drops clears them.
    const reopened = open(3);
    reopened.acknowledge(reopened.oldest()!, { dropped: 2, setAside: undefined });
    assert.equal(open(3).dropped, 0);
  });

  test("bounded by bytes; a report bigger than the bound alone is still kept", () => {
    const body = (id: string) => report(id).padEnd(400, " ");
    const spool = open(100, 1000);
    const ids = Array.from({ length: 3 }, () => randomUUID());
    for (const id of ids) spool.put(id, body(id));
    assert.deepEqual(
      spool.list().map((e) => e.reportId),
      ids.slice(1),
    );
    assert.equal(spool.bytes, 800);
    const big = randomUUID();
    spool.put(big, body(big).padEnd(5000, " "));
    assert.deepEqual(
      spool.list().map((e) => e.reportId),
      [big],
    );
    assert.equal(spool.dropped, 3);
  });

  test("refusals are counted per report on disk; a report delivered or set aside forgets them", () => {
    const spool = open();
    const [a, b] = [randomUUID(), randomUUID()];
    spool.put(a, report(a));
    spool.put(b, report(b));
    const [first, second] = spool.list();
    assert.equal(spool.countRefusal(first!), 1);
    assert.equal(spool.countRefusal(first!), 2);
    assert.equal(spool.countRefusal(second!), 1);
    const again = open();
    assert.equal(again.refusals(again.list()[0]!), 2, "survives a restart");
    assert.equal(again.refusals(again.list()[1]!), 1);
    again.acknowledge(again.list()[1]!);
    again.setAside(again.list()[0]!, { status: 400, error: "bad" });
    assert.equal(existsSync(join(dir, "refusals.json")), false, "nothing left to count");
    const third = open();
    const c = randomUUID();
    third.put(c, report(c));
    assert.equal(third.refusals(third.oldest()!), 0);
  });

  test(`a report set aside moves to ${SET_ASIDE_DIR}/, is counted until told, the last ${SET_ASIDE_KEPT} kept`, () => {
    const spool = open(100);
    const ids = Array.from({ length: SET_ASIDE_KEPT + 2 }, () => randomUUID());
    for (const id of ids) spool.put(id, report(id));
    const removed: string[] = [];
    for (const [i, entry] of [...spool.list()].entries()) {
      const moved = spool.setAside(entry, { status: 400 + (i % 2), error: `refused ${i}` });
      assert.equal(readFileSync(moved.movedTo, "utf8"), report(entry.reportId), "kept as it was");
      removed.push(...moved.removed);
    }
    assert.equal(spool.count, 0);
    const kept = readdirSync(join(dir, SET_ASIDE_DIR)).sort();
    assert.equal(kept.length, SET_ASIDE_KEPT);
    assert.ok(kept[0]!.endsWith(`${ids[2]}.json`), "the oldest two went");
    assert.deepEqual(
      removed.map((file) => file.slice(-41, -5)),
      ids.slice(0, 2),
      "and the removals were told",
    );
    const expected = {
      count: ids.length,
      last_status: 401,
      last_error: `refused ${ids.length - 1}`,
    };
    assert.deepEqual(spool.news.setAside, expected);
    assert.deepEqual(open(100).news.setAside, expected, "survives a restart");
    // Told with a report that the API stored: cleared; one set aside meanwhile stays.
    const reopened = open(100);
    const id = randomUUID();
    reopened.put(id, report(id));
    const told = reopened.news;
    const late = randomUUID();
    reopened.put(late, report(late));
    reopened.setAside(reopened.list()[1]!, { status: 422, error: "late" });
    reopened.acknowledge(reopened.oldest()!, told);
    assert.deepEqual(open(100).news.setAside, { count: 1, last_status: 422, last_error: "late" });
  });

  test("the news rides on the next report sent, the dropped count added to any it has", () => {
    const id = randomUUID();
    const none = { dropped: 0, setAside: undefined };
    assert.equal(withSpoolNews(report(id), none), report(id));
    assert.deepEqual(JSON.parse(withSpoolNews(report(id), { ...none, dropped: 4 })).agent, {
      version: "0.1.0",
      dropped_reports: 4,
    });
    assert.equal(
      JSON.parse(withSpoolNews(report(id, 1), { ...none, dropped: 4 })).agent.dropped_reports,
      5,
    );
    const setAside = { count: 2, last_status: 400, last_error: "no" };
    assert.deepEqual(JSON.parse(withSpoolNews(report(id), { dropped: 0, setAside })).agent, {
      version: "0.1.0",
      set_aside: setAside,
    });
  });
});

describe("retry timing", () => {
  const policy = { initialMs: 1000, maxMs: 60_000 };

  test("doubles from the initial wait up to the maximum, half of it random", () => {
    assert.equal(
      retryDelay(1, policy, undefined, () => 0),
      500,
    );
    assert.equal(
      retryDelay(1, policy, undefined, () => 1),
      1000,
    );
    assert.equal(
      retryDelay(3, policy, undefined, () => 1),
      4000,
    );
    assert.equal(
      retryDelay(30, policy, undefined, () => 1),
      60_000,
    );
    assert.equal(
      retryDelay(30, policy, undefined, () => 0),
      30_000,
    );
  });

  test("Retry-After is a floor, in seconds or as a date, and bounded to an hour", () => {
    assert.equal(
      retryDelay(1, policy, 5000, () => 0),
      5000,
    );
    const now = Date.parse("2026-11-22T10:00:00Z");
    assert.equal(parseRetryAfter("120", now), 120_000);
    assert.equal(parseRetryAfter(["7"], now), 7000);
    assert.equal(parseRetryAfter("Sun, 22 Nov 2026 10:00:30 GMT", now), 30_000);
    assert.equal(parseRetryAfter("Sun, 22 Nov 2026 09:00:00 GMT", now), 0);
    assert.equal(parseRetryAfter("999999", now), 3_600_000);
    assert.equal(parseRetryAfter("soon", now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });

  test("the interval with jitter stays within ± jitter", () => {
    assert.equal(
      jittered(300_000, 30_000, () => 0),
      270_000,
    );
    assert.equal(
      jittered(300_000, 30_000, () => 1),
      330_000,
    );
    assert.equal(
      jittered(300_000, 30_000, () => 0.5),
      300_000,
    );
    assert.equal(jittered(100, 0, Math.random), 100);
  });
});

describe("one agent per state directory", () => {
  test("a live holder keeps it; a dead one's lock is taken over", () => {
    const dir = tempDir("agent-lock-");
    try {
      const lock = StateLock.acquire(dir);
      assert.throws(
        () => StateLock.acquire(dir),
        new RegExp(`another compliance-agent \\(pid ${process.pid}\\)`),
      );
      lock.release();
      // A pid that cannot be alive: the lock of a killed agent.
      writeFileSync(join(dir, "agent.lock"), "2147483646 12345\n");
      const taken = StateLock.acquire(dir);
      assert.match(readFileSync(join(dir, "agent.lock"), "utf8"), new RegExp(`^${process.pid} `));
      taken.release();
      // This process's pid with another start time: a reused pid, not this agent.
      writeFileSync(join(dir, "agent.lock"), `${process.pid} 1\n`);
      StateLock.acquire(dir).release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
