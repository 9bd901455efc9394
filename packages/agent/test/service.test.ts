import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { AgentProcess, duplicates, serviceFixture, waitFor } from "./harness.ts";

/** The service's process life: killed, stopped, measured. */
describe("the agent process", () => {
  const { start, spooled, fixture: f } = serviceFixture("service", "0");

  const idOf = (body: string) => JSON.parse(body).report_id as string;

  test("SIGKILL during a send, before and after the API stored it: nothing lost, nothing twice", async () => {
    // First life: killed while the API has not seen the report yet.
    let held: string | undefined;
    f.proxy.rule = (path, index) =>
      path === "/api/v1/reports" && index === 2
        ? { kind: "hold", forward: false }
        : { kind: "pass" };
    const first = start();
    await waitFor("the held send", () => f.proxy.to("/api/v1/reports").length >= 3);
    held = idOf(f.proxy.to("/api/v1/reports")[2]!.body);
    first.kill("SIGKILL");
    await first.exited;
    assert.ok(spooled().includes(held), "the report in flight is in the spool");

    // Second life: killed after the API stored the report, before the agent heard of it.
    const sendsSoFar = f.proxy.to("/api/v1/reports").length;
    f.proxy.rule = (path, index) =>
      path === "/api/v1/reports" && index === sendsSoFar + 1
        ? { kind: "hold", forward: true }
        : { kind: "pass" };
    const second = start();
    const storedButUnanswered = await waitFor("the API storing the held report", () => {
      const request = f.proxy.to("/api/v1/reports")[sendsSoFar + 1];
      return request?.status === 201 ? idOf(request.body) : undefined;
    });
    second.kill("SIGKILL");
    await second.exited;
    assert.ok(spooled().includes(storedButUnanswered), "still spooled: no acknowledgement came");

    // Third life: delivers what the others left, then stops cleanly.
    f.proxy.rule = () => ({ kind: "pass" });
    const third = start();
    await waitFor("the leftovers delivered", () => {
      const waiting = spooled();
      return (
        third.stored().length >= 2 &&
        !waiting.includes(held!) &&
        !waiting.includes(storedButUnanswered)
      );
    });
    third.kill("SIGTERM");
    assert.equal((await third.exited).code, 0);
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
    assert.deepEqual(spooled(), []);

    const produced = new Set([
      ...first.collected(),
      ...second.collected(),
      ...third.collected(),
      /stored report ([0-9a-f-]{36})/.exec(once.stdout)![1]!,
    ]);
    const [host] = await f.api.hosts();
    const stored = await f.api.reportIds(host!.id);
    assert.deepEqual(duplicates(stored), [], "nothing stored twice");
    assert.deepEqual(new Set(stored), produced, "nothing lost");
    assert.equal(host!.executions, produced.size);
    const resent = f.proxy
      .to("/api/v1/reports")
      .filter((r) => idOf(r.body) === storedButUnanswered);
    assert.ok(resent.length >= 2, "the stored-but-unanswered report was sent again");
    assert.ok(
      f.proxy.to("/api/v1/reports").every((r) => r.gzipped),
      "every report travelled gzip-compressed, and the real API stored it",
    );
  });

  test("SIGTERM with a send in flight: exits 0 within the request's time, the report spooled", async () => {
    f.proxy.rule = (path, index) =>
      path === "/api/v1/reports" && index >= 1
        ? { kind: "hold", forward: false }
        : { kind: "pass" };
    const agent = start(["--timeout", "800ms"]);
    await waitFor("a send in flight", () => f.proxy.to("/api/v1/reports").length >= 2);
    const inFlight = idOf(f.proxy.to("/api/v1/reports")[1]!.body);
    agent.kill("SIGTERM");
    const exit = await agent.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, agent.lines.join("\n"));
    // Sends end by their own timeout, never cut by the stop's grace (5 s, longer than the
    // request's): the agent stopped within the request's time, however slow the machine.
    // (The exact moments are checked on a fake clock in daemon.test.ts.)
    assert.ok(agent.lines.includes("info stopping"), agent.lines.join("\n"));
    assert.ok(
      agent.lines.some((line) => /^warn delivery failed: no answer .* within 800 ms/.test(line)),
      agent.lines.join("\n"),
    );
    assert.ok(!agent.lines.some((line) => line.includes("aborted (stopping)")));
    assert.match(agent.lines.at(-1)!, /^info stopped; \d+ reports waiting/);
    assert.ok(spooled().includes(inFlight), "the report in flight stays spooled");
    assert.equal(readdirSync(f.stateDir).includes("agent.lock"), false, "the lock is released");
  });

  test("a second agent on the same state directory: exit 2, it says which pid holds it", async () => {
    const agent = start();
    await waitFor("the first agent running", () => agent.stored().length >= 1);
    const second = start();
    const exit = await second.exited;
    assert.equal(exit.code, 2);
    assert.ok(
      second.lines.some((line) => line.includes(`another compliance-agent (pid ${agent.pid})`)),
      second.lines.join("\n"),
    );
  });

  test("each report carries the agent's RSS and the CPU of its own cycle, not of its life", async () => {
    const agent = start(["--interval", "50ms"]);
    await waitFor("12 reports", () => agent.stored().length >= 12);
    // The agent's whole CPU time so far, from the kernel.
    const stat = readFileSync(`/proc/${agent.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const lifetime = (Number(fields[11]) + Number(fields[12])) / 100;
    const vmRss =
      Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${agent.pid}/status`, "utf8"))![1]) *
      1024;
    const ids = agent.stored().slice(0, 12);
    const reports = await Promise.all(ids.map((id) => f.api.report(id)));
    const cpu = reports.map((r) => r.agent.cpu_seconds as number);
    const sum = cpu.reduce((a, b) => a + b, 0);
    assert.ok(cpu.every((c) => c >= 0));
    // Lifetime numbers would grow with each report and sum to several lifetimes.
    assert.ok(sum <= lifetime + 0.05, `sum of cycles ${sum} s vs lifetime ${lifetime} s`);
    assert.ok(cpu.at(-1)! < lifetime / 3, `last cycle ${cpu.at(-1)} s vs lifetime ${lifetime} s`);
    const rss = reports.at(-1)!.agent.rss_bytes as number;
    assert.ok(rss > vmRss / 2 && rss < vmRss * 2, `rss ${rss} vs VmRSS ${vmRss}`);
    agent.kill("SIGTERM");
    assert.equal((await agent.exited).code, 0);
  });
});
