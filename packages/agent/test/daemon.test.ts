import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { retryDelay } from "../src/backoff.ts";
import { STOP_GRACE_MS } from "../src/daemon.ts";
import { SET_ASIDE_AFTER } from "../src/delivery.ts";
import { SET_ASIDE_DIR } from "../src/spool.ts";
import { FakeClock, HANG_LIMIT } from "./clock.ts";
import { AgentProcess, duplicates, serviceFixture, waitFor } from "./harness.ts";

/** A date for a fake clock that the API accepts whatever today is: after 2000, not ahead of it. */
const API_ACCEPTS = Date.UTC(2021, 0, 1);

/**
 * `compliance-agent run` as a real process against the real API, through a proxy that
 * goes down, answers 503/429, or drops connections, and with short intervals.
 */
describe("compliance-agent run (the service) against the real API", () => {
  const { start, startInProcess, spooled, fixture: f } = serviceFixture("daemon", "20ms");

  /** Checks what the API stored: every report `produced` once (or, not allStored, only those). */
  const checkApi = async (produced: readonly string[], { allStored = true } = {}) => {
    const [host] = await f.api.hosts();
    assert.ok(host);
    const stored = await f.api.reportIds(host.id);
    assert.deepEqual(duplicates(stored), [], "nothing stored twice");
    if (allStored) {
      assert.deepEqual([...stored].sort(), [...produced].sort(), "every report stored, once");
    } else {
      assert.ok(
        stored.every((id) => produced.includes(id)),
        "only reports the agent made",
      );
    }
    assert.equal(host.executions, stored.length, "the API's executions are the reports");
    return stored;
  };

  /**
   * Stops the agent process (SIGTERM must end it with 0), sends what it left in the spool
   * with one more check-in, then checks every report is stored once.
   */
  const stopAndCheck = async (
    agent: AgentProcess,
    collected: () => string[],
    options: { allStored?: boolean } = {},
  ) => {
    agent.kill("SIGTERM");
    assert.deepEqual(await agent.exited, { code: 0, signal: null }, agent.lines.join("\n"));
    // Whatever was collected after the last delivery is still spooled: one more check-in
    // sends it (and its own report).
    const once = new AgentProcess(f.bundle, [
      "run",
      "--once",
      "--server",
      f.proxy.url,
      "--state-dir",
      f.stateDir,
      "--cpu-window",
      "0",
    ]);
    assert.equal((await once.exited).code, 0, once.lines.join("\n"));
    const onceId = /stored report ([0-9a-f-]{36})/.exec(once.stdout)?.[1];
    assert.ok(onceId);
    assert.deepEqual(spooled(), []);
    const produced = [...collected(), onceId];
    return { stored: await checkApi(produced, options), produced };
  };

  test("API down for several cycles, then back: every report delivered once, oldest first", async () => {
    const port = f.proxy.port;
    await f.proxy.stop();
    const agent = start();
    await waitFor("5 reports while the API is down", () => agent.collected().length >= 5);
    assert.equal(agent.stored().length, 0);
    assert.ok(spooled().length >= 5, "they wait in the spool");
    const before = agent.collected();
    await f.proxy.start(port);
    await waitFor("the backlog delivered", () => before.every((id) => agent.stored().includes(id)));
    // Delivered in the order they were collected.
    assert.deepEqual(agent.stored().slice(0, before.length), before);
    await waitFor("reports flowing again", () => agent.stored().length >= before.length + 2);
    await stopAndCheck(agent, () => agent.collected());
  });

  test(
    "503 and 429 with Retry-After are honoured; then everything is stored once",
    HANG_LIMIT,
    async () => {
      f.proxy.rule = (path, index) => {
        if (path !== "/api/v1/reports") return { kind: "pass" };
        if (index === 1) {
          return {
            kind: "answer",
            status: 503,
            headers: { "retry-after": "1" },
            body: { error: { code: "database_unavailable", message: "down" } },
          };
        }
        if (index === 2) {
          return {
            kind: "answer",
            status: 429,
            headers: { "retry-after": "1" },
            body: { error: { code: "too_many_requests", message: "slow down" } },
          };
        }
        return { kind: "pass" };
      };
      // The service in this process on a clock of the test's: every wait is the agent's own
      // decision, measured exactly, whatever else the machine is doing.
      const clock = new FakeClock({ wall: API_ACCEPTS });
      f.proxy.time = () => clock.monotonic();
      const agent = startInProcess(clock);
      const sends = () => f.proxy.to("/api/v1/reports");
      while (sends().length < 4) await agent.cycle();
      await agent.idle();

      const [, refused, limited, resumed] = sends().map((r) => r.at);
      assert.deepEqual(
        sends()
          .slice(0, 4)
          .map((r) => r.status ?? r.action),
        [201, "answer", "answer", 201],
      );
      // The retry comes when Retry-After allows, not a cycle sooner (nor later).
      assert.equal(limited! - refused!, 1000, "waited Retry-After: 1 after the 503");
      assert.equal(resumed! - limited!, 1000, "waited Retry-After: 1 after the 429");
      // Collection went on meanwhile, one report every interval (100 ms): ten in each wait.
      const collectedIn = (from: number, to: number) =>
        agent.collected.filter((c) => c.at > from && c.at <= to).length;
      assert.equal(collectedIn(refused!, limited!), 10);
      assert.equal(collectedIn(limited!, resumed!), 10);
      // Once the API took reports again, the whole backlog went in one go, oldest first.
      const ids = agent.collected.map((c) => c.id);
      assert.deepEqual(agent.stored(), ids);
      assert.deepEqual(spooled(), []);

      agent.stop();
      await agent.done;
      await checkApi(ids);
    },
  );

  /** The reports set aside in the state directory, by report id. */
  const setAside = () => {
    const dir = join(f.stateDir, "spool", SET_ASIDE_DIR);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).flatMap(
      (file) => /^\d{12}-([0-9a-f-]{36})\.json$/.exec(file)?.[1] ?? [],
    );
  };
  const idOf = (body: string) => JSON.parse(body).report_id as string;

  test(
    `a report the API refuses ${SET_ASIDE_AFTER} times is set aside: the reports behind it are delivered, the next one tells the API`,
    HANG_LIMIT,
    async () => {
      // The API refuses the second report, whenever it comes, and takes every other one.
      let bad: string | undefined;
      f.proxy.rule = (path, index, body) => {
        if (path !== "/api/v1/reports") return { kind: "pass" };
        if (index === 1) bad = idOf(body);
        if (idOf(body) !== bad) return { kind: "pass" };
        return {
          kind: "answer",
          status: 400,
          body: { error: { code: "bad_report", message: "/processes/0/pid: must be an integer" } },
        };
      };
      const clock = new FakeClock({ wall: API_ACCEPTS });
      f.proxy.time = () => clock.monotonic();
      const agent = startInProcess(clock);
      while (setAside().length === 0) await agent.cycle();
      // Two more cycles, each with a report of its own: the backlog is gone.
      for (let i = 0; i < 2; i++) await agent.cycle();
      await agent.idle();

      // Each try is the report as a delta, refused, then whole, refused.
      const tries = f.proxy.to("/api/v1/reports").filter((r) => !r.delta && idOf(r.body) === bad);
      assert.equal(tries.length, SET_ASIDE_AFTER, "tried exactly up to the bound");
      // Each refusal was tried again after the usual backoff, not at the slowest pace.
      const policy = { initialMs: 50, maxMs: 300 };
      assert.deepEqual(
        tries.slice(1).map((t, i) => t.at - tries[i]!.at),
        tries.slice(1).map((_, i) => retryDelay(i + 1, policy, undefined, () => 0.5)),
      );
      assert.deepEqual(setAside(), [bad], "kept on disk, out of the spool");
      const kept = readdirSync(join(f.stateDir, "spool", SET_ASIDE_DIR))[0]!;
      assert.equal(idOf(readFileSync(join(f.stateDir, "spool", SET_ASIDE_DIR, kept), "utf8")), bad);
      assert.deepEqual(spooled(), []);
      const others = agent.collected.map((c) => c.id).filter((id) => id !== bad);
      assert.deepEqual(agent.stored(), others, "every other report delivered, oldest first");
      assert.ok(
        agent.lines.some((line) =>
          line.startsWith(
            `error report ${bad} set aside in ${join(f.stateDir, "spool", SET_ASIDE_DIR)}`,
          ),
        ),
        agent.lines.join("\n"),
      );

      // The first report delivered after it tells the API, through the real API's contract:
      // the one right behind it (the one before went first); none of the others do.
      const after = 1;
      const told = await f.api.report(agent.stored()[after]!);
      assert.deepEqual(told.agent.set_aside, {
        count: 1,
        last_status: 400,
        last_error: "report rejected: 400 bad_report: /processes/0/pid: must be an integer",
      });
      for (const [i, id] of agent.stored().entries()) {
        if (i !== after) assert.equal((await f.api.report(id)).agent.set_aside, undefined, id);
      }
      agent.stop();
      await agent.done;
      await checkApi(others);
    },
  );

  test(
    "503s and a broken network, however many, never set a report aside",
    HANG_LIMIT,
    async () => {
      const failures = 3 * SET_ASIDE_AFTER;
      f.proxy.rule = (path, index) => {
        if (path !== "/api/v1/reports" || index === 0 || index > 2 * failures) {
          return { kind: "pass" };
        }
        if (index <= failures) {
          return {
            kind: "answer",
            status: 503,
            body: { error: { code: "database_unavailable", message: "down" } },
          };
        }
        return { kind: "reset" };
      };
      const clock = new FakeClock({ wall: API_ACCEPTS });
      const agent = startInProcess(clock);
      while (f.proxy.to("/api/v1/reports").length <= 2 * failures) await agent.cycle();
      for (let i = 0; i < 2; i++) await agent.cycle();
      await agent.idle();

      const second = agent.collected[1]!.id;
      const sends = f.proxy.to("/api/v1/reports");
      assert.equal(
        sends.filter((r) => idOf(r.body) === second).length,
        2 * failures + 1,
        "the same report, tried again and again, then stored",
      );
      assert.deepEqual(setAside(), []);
      const ids = agent.collected.map((c) => c.id);
      assert.deepEqual(agent.stored(), ids);
      assert.deepEqual(spooled(), []);
      for (const id of ids) assert.equal((await f.api.report(id)).agent.set_aside, undefined);
      agent.stop();
      await agent.done;
      await checkApi(ids);
    },
  );

  test(
    "stopped with a send in flight: the send ends at its own timeout, its report stays spooled",
    HANG_LIMIT,
    async () => {
      f.proxy.rule = (path, index) =>
        path === "/api/v1/reports" && index >= 1
          ? { kind: "hold", forward: false }
          : { kind: "pass" };
      const clock = new FakeClock({ wall: API_ACCEPTS });
      const agent = startInProcess(clock, { timeoutMs: 800 });
      await agent.cycle(); // the first report is stored; the second goes out and is held
      await f.proxy.arrived("/api/v1/reports", 2);
      const timeout = await clock.sleeping((sleep) => sleep.ms === 800);
      const inFlight = agent.collected[1]!.id;

      agent.stop();
      const grace = await clock.sleeping((sleep) => sleep.ms === STOP_GRACE_MS);
      clock.advance(799);
      assert.deepEqual(clock.pending, [timeout, grace], "a millisecond early: still sending");
      clock.advance(1);
      await agent.done;
      assert.deepEqual(clock.pending, [], "the grace is called off once stopped");
      assert.ok(
        agent.lines.some((line) => /^warn delivery failed: no answer .* within 800 ms/.test(line)),
        agent.lines.join("\n"),
      );
      assert.ok(!agent.lines.some((line) => line.includes("aborted (stopping)")));
      assert.match(agent.lines.at(-1)!, /^info stopped; 1 reports waiting/);
      assert.deepEqual(spooled(), [inFlight]);
      assert.equal(f.proxy.to("/api/v1/reports").length, 2, "nothing sent after the stop");
    },
  );

  test(
    "stopped with a send that would outlast the grace: cut when the grace ends",
    HANG_LIMIT,
    async () => {
      f.proxy.rule = (path, index) =>
        path === "/api/v1/reports" && index >= 1
          ? { kind: "hold", forward: false }
          : { kind: "pass" };
      const clock = new FakeClock({ wall: API_ACCEPTS });
      const agent = startInProcess(clock, { timeoutMs: 60_000 });
      await agent.cycle();
      await f.proxy.arrived("/api/v1/reports", 2);
      const timeout = await clock.sleeping((sleep) => sleep.ms === 60_000);
      const inFlight = agent.collected[1]!.id;

      agent.stop();
      const grace = await clock.sleeping((sleep) => sleep.ms === STOP_GRACE_MS);
      clock.advance(STOP_GRACE_MS - 1);
      assert.deepEqual(clock.pending, [grace, timeout], "a millisecond early: still sending");
      clock.advance(1);
      await agent.done;
      assert.deepEqual(clock.pending, [], "the request's timeout ended with it");
      assert.ok(
        agent.lines.some((line) => /^warn delivery failed: .*aborted \(stopping\)/.test(line)),
        agent.lines.join("\n"),
      );
      assert.match(agent.lines.at(-1)!, /^info stopped; 1 reports waiting/);
      assert.deepEqual(spooled(), [inFlight]);
    },
  );

  test("the network failing mid-request: resent, and stored once even when the API had it", async () => {
    f.proxy.rule = (path, index) => {
      if (path !== "/api/v1/reports") return { kind: "pass" };
      // Dropped before the API saw it, then dropped after the API stored it.
      if (index === 1) return { kind: "reset" };
      if (index === 2) return { kind: "hold", forward: true, ms: 0 };
      return { kind: "pass" };
    };
    const agent = start();
    await waitFor("reports after the failures", () => agent.stored().length >= 5);
    const sends = f.proxy.to("/api/v1/reports");
    const idOf = (body: string) => JSON.parse(body).report_id as string;
    assert.equal(sends[2]!.status, 201, "the API stored the one whose answer was lost");
    const lost = idOf(sends[2]!.body);
    const resends = sends.filter((r) => idOf(r.body) === lost);
    assert.ok(resends.length >= 2, "the report whose answer was lost was sent again");
    assert.equal(idOf(sends[1]!.body), idOf(sends[2]!.body), "the reset one was retried first");
    await stopAndCheck(agent, () => agent.collected());
  });

  test("spool full: the oldest are dropped, and the next delivered report says how many", async () => {
    const port = f.proxy.port;
    await f.proxy.stop();
    const agent = start(["--spool-max-reports", "3"]);
    await waitFor("8 reports while the API is down", () => agent.collected().length >= 8);
    await waitFor("the spool at its bound", () => spooled().length === 3);
    await f.proxy.start(port);
    await waitFor("deliveries", () => agent.stored().length >= 4);
    const { stored } = await stopAndCheck(agent, () => agent.collected(), { allStored: false });
    const collected = agent.collected();
    const dropped = collected.filter((id) => !stored.includes(id));
    assert.ok(dropped.length >= 5, `${dropped.length} dropped`);
    // The dropped ones are the oldest of the outage: each precedes every report delivered.
    const firstStored = collected.indexOf(stored[0]!);
    assert.ok(dropped.every((id) => collected.indexOf(id) < firstStored));
    const first = await f.api.report(stored[0]!);
    assert.equal(
      first.agent.dropped_reports,
      dropped.length,
      "counted on the next delivered report",
    );
    let told = 0;
    for (const id of stored) told += (await f.api.report(id)).agent.dropped_reports ?? 0;
    assert.equal(told, dropped.length, "told once");
  });

  test("a revoked key: exactly one re-enrollment, then reports flow again", async () => {
    const agent = start();
    await waitFor("reports", () => agent.stored().length >= 2);
    const [host] = await f.api.hosts();
    await f.api.revokeKey(host!.id);
    const storedBefore = agent.stored().length;
    await waitFor("reports after the revocation", () => agent.stored().length >= storedBefore + 4);
    // A few more cycles, each a report accepted with the new key: none enrolled again.
    const storedSince = agent.stored().length;
    await waitFor("three more cycles", () => agent.stored().length >= storedSince + 3);
    assert.equal(f.proxy.to("/api/v1/enroll").length, 2, "first enrollment and one more");
    assert.ok(agent.lines.some((line) => /stored report .* \(enrolled\)/.test(line)));
    const refused = f.proxy.to("/api/v1/reports").filter((r) => r.status === 401);
    assert.equal(refused.length, 1, "one report refused, then resent with the new key");
    const hosts = await f.api.hosts();
    assert.equal(hosts.length, 1, "still the same host");
    await stopAndCheck(agent, () => agent.collected());
  });

  test("a key the API refuses even after enrolling: no enrollment loop, reports kept", async () => {
    const agent = start();
    await waitFor("reports", () => agent.stored().length >= 1);
    f.proxy.rule = (path) =>
      path === "/api/v1/reports"
        ? {
            kind: "answer",
            status: 401,
            body: { error: { code: "invalid_node_key", message: "no" } },
          }
        : { kind: "pass" };
    const refusals = () => f.proxy.to("/api/v1/reports").filter((r) => r.action === "answer");
    await waitFor("several refusals", () => refusals().length >= 3);
    // More refused sends: after each, the agent could have enrolled again before the next.
    const refusedSoFar = refusals().length;
    await waitFor("three more refusals", () => refusals().length >= refusedSoFar + 3);
    const lastRefusal = f.proxy.requests.indexOf(refusals().at(-1)!);
    assert.equal(
      f.proxy.requests.slice(0, lastRefusal).filter((r) => r.path === "/api/v1/enroll").length,
      2,
      "one re-enrollment, not a loop",
    );
    assert.ok(spooled().length >= 2, "the refused reports are kept");
    f.proxy.rule = () => ({ kind: "pass" });
    await waitFor(
      "the spool delivered",
      () => agent.stored().length >= agent.collected().length - 1,
    );
    await stopAndCheck(agent, () => agent.collected());
  });
});
