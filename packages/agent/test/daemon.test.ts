import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AgentProcess, duplicates, serviceFixture, waitFor } from "./harness.ts";

/**
 * `compliance-agent run` as a real process against the real API, through a proxy that
 * goes down, answers 503/429, or drops connections, and with short intervals.
 */
describe("compliance-agent run (the service) against the real API", () => {
  const { start, spooled, fixture: f } = serviceFixture("daemon", "20ms");

  /** Stops the agent (SIGTERM must end it with 0), then checks every report is stored once. */
  const stopAndCheck = async (
    agent: AgentProcess,
    collected: () => string[],
    { allStored = true } = {},
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
    const [host] = await f.api.hosts();
    assert.ok(host);
    const stored = await f.api.reportIds(host.id);
    assert.deepEqual(duplicates(stored), [], "nothing stored twice");
    const produced = [...collected(), onceId];
    if (allStored) {
      assert.deepEqual([...stored].sort(), [...produced].sort(), "every report stored, once");
    } else {
      assert.ok(
        stored.every((id) => produced.includes(id)),
        "only reports the agent made",
      );
    }
    assert.equal(host.executions, stored.length, "the API's executions are the reports");
    return { stored, produced };
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

  test("503 and 429 with Retry-After are honoured; then everything is stored once", async () => {
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
    const agent = start();
    await waitFor(
      "delivery resumed after the 503 and the 429",
      () => f.proxy.to("/api/v1/reports").length >= 5,
    );
    const sends = f.proxy.to("/api/v1/reports");
    const gap1 = sends[2]!.at - sends[1]!.at;
    const gap2 = sends[3]!.at - sends[2]!.at;
    assert.ok(gap1 >= 950, `waited ${gap1} ms after Retry-After: 1 (503)`);
    assert.ok(gap2 >= 950, `waited ${gap2} ms after Retry-After: 1 (429)`);
    // Collection went on meanwhile: several reports were waiting.
    assert.ok(agent.collected().length >= 8);
    await waitFor("the backlog delivered", () => agent.stored().length >= 8);
    await stopAndCheck(agent, () => agent.collected());
  });

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
    await sleep(300); // a few more cycles: no further enrollment
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
    await waitFor(
      "several refusals",
      () => f.proxy.to("/api/v1/reports").filter((r) => r.action === "answer").length >= 3,
    );
    await sleep(500);
    assert.equal(f.proxy.to("/api/v1/enroll").length, 2, "one re-enrollment, not a loop");
    assert.ok(spooled().length >= 2, "the refused reports are kept");
    f.proxy.rule = () => ({ kind: "pass" });
    await waitFor(
      "the spool delivered",
      () => agent.stored().length >= agent.collected().length - 1,
    );
    await stopAndCheck(agent, () => agent.collected());
  });
});
