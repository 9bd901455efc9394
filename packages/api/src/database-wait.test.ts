import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DatabaseStartError, migrateWhenReachable } from "./database-wait.ts";

function fakes(
  failures: number,
  error: Error = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
) {
  let t = 0;
  let calls = 0;
  const logged: { level: string; msg: string; o: Record<string, unknown> }[] = [];
  const at = (level: string) => (o: Record<string, unknown>, msg: string) => {
    logged.push({ level, msg, o });
  };
  return {
    logged,
    calls: () => calls,
    store: {
      where: "postgres://db.example/compliance",
      migrate: async () => {
        calls++;
        t += 100;
        if (calls <= failures) throw error;
      },
    },
    log: { info: at("info"), warn: at("warn"), error: at("error") } as never,
    clock: {
      now: () => t,
      sleep: async (ms: number) => {
        t += ms;
      },
    },
  };
}

describe("waiting for the database at start", () => {
  test("retries while it does not answer, logging each attempt, then migrates", async () => {
    const f = fakes(3);
    await migrateWhenReachable(f.store, 60_000, f.log, f.clock);
    assert.equal(f.calls(), 4);
    assert.deepEqual(
      f.logged.map((l) => `${l.level} ${l.msg}`),
      [
        "warn database unavailable; retrying",
        "warn database unavailable; retrying",
        "warn database unavailable; retrying",
        "info database reachable",
      ],
    );
    assert.equal(f.logged[0]!.o.attempt, 1);
    assert.equal(f.logged[0]!.o.retry_in_ms, 2000);
  });

  test("gives up after the time allowed, naming the setting", async () => {
    const f = fakes(Number.POSITIVE_INFINITY);
    await assert.rejects(
      migrateWhenReachable(f.store, 5_000, f.log, f.clock),
      (e: unknown) =>
        e instanceof DatabaseStartError &&
        /did not answer within 5 s \(COMPLIANCE_DB_START_TIMEOUT\)/.test(e.message),
    );
    // 100 ms per attempt and 2 s between: attempts end at 0.1, 2.2 and 4.3 s; the last wait is cut
    // to what is left, and the attempt after it gives up.
    assert.equal(f.calls(), 4);
    assert.equal(f.logged.at(-1)!.msg, "database unreachable; giving up");
    assert.equal(f.logged.at(-2)!.o.retry_in_ms, 700);
  });

  test("any other failure stops at once", async () => {
    const f = fakes(1, new Error("password authentication failed"));
    await assert.rejects(migrateWhenReachable(f.store, 60_000, f.log, f.clock), /password/);
    assert.equal(f.calls(), 1);
    assert.equal(f.logged.length, 0);
  });
});
