import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { collectReport, systemClock } from "@compliance/agent";
import { PolicyResultSchema, validateReport } from "@compliance/contract";
import Value from "typebox/value";
import { evaluateAll } from "./evaluate.ts";
import { loadStarterPolicies } from "./load.ts";
import { bareReport, cleanReport, compromisedReport } from "./report-fixtures.ts";

const policies = loadStarterPolicies();
const MINUTE = 60_000;
const context = (report: ReturnType<typeof cleanReport>) => ({
  report,
  intervalMs: MINUTE,
  previousCollectedAt: "2026-11-22T10:14:50Z",
});

/** Policies that look only at processes and sessions, which every agent collects. */
const PROCESS_AND_SESSION = ["no-cryptominers", "no-process-from-tmp", "no-remote-root-sessions"];

describe("the starter pack", () => {
  test("loads about twenty valid policies with unique ids", () => {
    assert.ok(policies.length >= 20, `${policies.length} policies`);
    assert.equal(new Set(policies.map((p) => p.policy.id)).size, policies.length);
    for (const p of policies) assert.match(p.hash, /^[0-9a-f]{64}$/);
  });

  test("every policy of a CIS item cites it", () => {
    for (const { policy } of policies) {
      if (policy.tags.includes("cis")) assert.ok(policy.references?.length, policy.id);
    }
  });

  test("the fixtures are valid reports", () => {
    for (const r of [cleanReport(), compromisedReport(), bareReport()]) {
      assert.deepEqual(validateReport(r), { ok: true, value: r });
    }
  });

  test("a clean, hardened server passes every policy", () => {
    const results = evaluateAll(policies, context(cleanReport()));
    for (const [id, result] of results)
      assert.equal(result.status, "pass", `${id}: ${JSON.stringify(result)}`);
  });

  test("a compromised server fails exactly the expected policies, with evidence", () => {
    const results = evaluateAll(policies, context(compromisedReport()));
    const failing = [...results]
      .filter(([, r]) => r.status === "fail")
      .map(([id]) => id)
      .sort();
    assert.deepEqual(failing, [
      "no-cleartext-listeners",
      "no-cryptominers",
      "no-empty-passwords",
      "no-process-from-tmp",
      "no-telnet-server",
      "sshd-no-root-login",
    ]);
    for (const [id, r] of results) {
      if (!failing.includes(id)) assert.equal(r.status, "pass", id);
    }
    const miner = results.get("no-cryptominers");
    assert.deepEqual(
      miner?.reasons.map((r) => [r.condition, r.items.map((i) => [i.pid, i.name, i.user])]),
      [
        ["check/none/0", [[6666, "xmrig", "www-data"]]],
        ["check/none/1", [[6666, "xmrig", "www-data"]]],
      ],
    );
    assert.match(String(miner?.reasons[0]?.items[0]?.cmdline), /stratum\+tcp:\/\/pool/);
    assert.deepEqual(results.get("no-process-from-tmp")?.reasons[0]?.items[0]?.pid, 6666);
    assert.deepEqual(results.get("no-telnet-server")?.reasons[0]?.items, [
      { name: "telnetd", version: "0.17+2.4-2", arch: "amd64", source: "deb" },
    ]);
    assert.deepEqual(results.get("no-cleartext-listeners")?.reasons[0]?.items, [
      { protocol: "tcp", address: "0.0.0.0", port: 23, pid: 700, process: "inetd" },
    ]);
    assert.equal(results.get("no-empty-passwords")?.reasons[0]?.items[0]?.name, "backup2");
    assert.deepEqual(results.get("sshd-no-root-login")?.reasons[0]?.items, [
      { option: "permitrootlogin", value: "yes" },
    ]);
    for (const r of results.values()) assert.ok(Value.Check(PolicyResultSchema, r));
  });

  test("without the inventory sections, what needs them is unknown, never pass", () => {
    const results = evaluateAll(policies, context(bareReport()));
    for (const [id, r] of results) {
      const needsOnlyWhatWasSent = [...PROCESS_AND_SESSION, "agent-reporting-on-time"].includes(id);
      assert.equal(r.status, needsOnlyWhatWasSent ? "pass" : "unknown", id);
      if (r.status === "unknown") assert.match(r.reasons[0]?.message ?? "", /not collected/);
    }
  });

  test("a router is not subject to the forwarding policies", () => {
    const report = cleanReport();
    if (report.settings?.sysctl) report.settings.sysctl["net.ipv4.ip_forward"] = "1";
    const plain = evaluateAll(policies, context(report));
    assert.equal(plain.get("ip-forwarding-disabled")?.status, "fail");
    const router = evaluateAll(policies, { ...context(report), tags: ["router"] });
    assert.equal(router.get("ip-forwarding-disabled")?.status, "not_applicable");
  });

  test("on a report of this very machine, every policy has a status and process ones decide", async () => {
    const report = await collectReport({ agentStats: false, cpuWindowMs: 0, clock: systemClock() });
    assert.equal(validateReport(report).ok, true);
    const results = evaluateAll(policies, { report, intervalMs: MINUTE });
    assert.equal(results.size, policies.length);
    const sessionsFailed = (report.errors ?? []).some((e) => e.collector === "sessions");
    for (const [id, r] of results) {
      assert.ok(Value.Check(PolicyResultSchema, r), id);
      if (!PROCESS_AND_SESSION.includes(id)) continue;
      // Sessions are unknown only where the agent said it could not read them (no utmp).
      const expectUnknown = id === "no-remote-root-sessions" && sessionsFailed;
      assert.equal(r.status === "unknown", expectUnknown, `${id}: ${JSON.stringify(r)}`);
    }
  });
});
