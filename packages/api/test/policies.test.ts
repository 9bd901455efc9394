import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { collectReport, systemClock } from "@compliance/agent";
import type { Report, ReportPackage, ReportProcess } from "@compliance/contract";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { ENGINES } from "./helpers/databases.ts";
import { expectedSignature, privateWebhooksApp, prng, startReceiver } from "./helpers/policies.ts";
import { makeProcess, makeReport } from "./helpers/reports.ts";

/**
 * Compliance policies end to end through the public API, on every engine, on a clock the
 * test moves itself (reports are stamped with it, the API reads it):
 *
 * miner-1 reports every hour for 10 days (day 1 00:00 to day 10 23:00). xmrig runs from
 * day 3 09:00 to day 5 14:00 (gone at 15:00); minerd from day 7 10:00 to 12:00. "Today" is
 * day 11, 12:00: the policy no-cryptominers (none: process name xmrig*) is created then,
 * and its job answers for the past. Then: live evaluation and late reports (late-1,
 * fresh-1), versions, unknown (packages never collected), webhooks to a receiver on
 * 127.0.0.1, access, and the starter pack on this machine's real report.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Day 1, 00:00. */
const BASE = Date.parse("2026-11-01T00:00:00Z");
const dayAt = (day: number, hour: number, minute = 0) =>
  BASE + (day - 1) * DAY + hour * HOUR + minute * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

const XMRIG_FROM = dayAt(3, 9);
const XMRIG_GONE = dayAt(5, 15);
const MINERD_FROM = dayAt(7, 10);
const MINERD_GONE = dayAt(7, 13);
const TODAY = dayAt(11, 12);

const STARTED = "2026-10-01T00:00:00.000Z";
const xmrig = makeProcess({
  pid: 4444,
  ppid: 1,
  name: "xmrig",
  user: "www-data",
  cmdline: "/var/www/.cache/xmrig -o pool.example:3333 --donate-level 1",
  started_at: iso(XMRIG_FROM - 5 * MIN),
});
const minerd = makeProcess({
  pid: 5555,
  ppid: 1,
  name: "minerd",
  user: "nobody",
  cmdline: "minerd -a scrypt",
  started_at: iso(MINERD_FROM - 5 * MIN),
});

/** What every host runs; a short-lived job on even hours, so the process list moves. */
function baseProcesses(at: number): ReportProcess[] {
  const list = [
    makeProcess({
      pid: 1,
      ppid: 0,
      name: "systemd",
      user: "root",
      cmdline: "/sbin/init",
      started_at: STARTED,
    }),
    makeProcess({
      pid: 812,
      name: "sshd",
      user: "root",
      cmdline: "sshd: /usr/sbin/sshd -D",
      started_at: STARTED,
    }),
  ];
  if (new Date(at).getUTCHours() % 2 === 0) {
    list.push(
      makeProcess({
        pid: 7000 + new Date(at).getUTCHours(),
        name: "logrotate",
        cmdline: "/usr/sbin/logrotate /etc/logrotate.conf",
        started_at: iso(at - MIN),
      }),
    );
  }
  return list;
}

/** A report of `identifier` collected at `at`, its hostname the identifier. */
function reportOf(
  identifier: string,
  at: number,
  extra: ReportProcess[] = [],
  overrides: Partial<Report> = {},
): Report {
  return makeReport({
    identifier,
    collected_at: iso(at),
    host: {
      identifier,
      hostname: identifier,
      primary_ip: "10.0.2.15",
      ip_addresses: ["10.0.2.15"],
    },
    processes: [...baseProcesses(at), ...extra],
    ...overrides,
  });
}

/** miner-1's history: xmrig and minerd in their windows. */
function minerHistoryReport(at: number): Report {
  const extra: ReportProcess[] = [];
  if (at >= XMRIG_FROM && at < XMRIG_GONE) extra.push(xmrig);
  if (at >= MINERD_FROM && at < MINERD_GONE) extra.push(minerd);
  return reportOf("miner-1", at, extra);
}

const POLICY_TEXT = {
  description: "Known miner programs mean the host's CPU is stolen.",
  resolution: "Treat the host as compromised.",
};

function minersPolicy(names: string[] = ["xmrig*"]) {
  return {
    id: "no-cryptominers",
    name: "No cryptocurrency miners",
    severity: "critical",
    ...POLICY_TEXT,
    tags: ["malware"],
    check: { none: [{ process: { name: names.length === 1 ? names[0] : names } }] },
  };
}

const telnetPolicy = {
  id: "telnet-package-absent",
  name: "No telnet server package",
  severity: "high",
  description: "Telnet sends passwords in clear text.",
  resolution: "Remove the package.",
  tags: ["cleartext"],
  check: { none: [{ package: { name: ["telnetd", "inetutils-telnetd"] } }] },
};

const STARTER_DIR = new URL("../policies/starter/", import.meta.url).pathname;

/** Which execution a read is about: one report, the one in effect at a time, or the latest. */
interface Pick {
  at?: number;
  report?: Report;
}

interface HostPolicyItem {
  policy_id: string;
  version: number;
  status: string;
  since: string | null;
  reasons: { condition: string; kind: string; message: string; items: any[]; total: number }[];
}

for (const engine of ENGINES) {
  describe(`compliance policies on ${engine}`, () => {
    let clock = BASE;
    let t: TestApp;
    const hosts: Record<string, { nodeKey: string; hostId: number }> = {};

    before(async () => {
      t = await startTestApp(engine, { now: () => clock });
    });
    after(() => t?.close());

    const call = (
      method: "GET" | "POST" | "PUT" | "DELETE",
      url: string,
      payload?: unknown,
      headers: Record<string, string> = t.admin,
    ) =>
      t.app.inject({
        method,
        url,
        headers,
        ...(payload === undefined ? {} : { payload: payload as object }),
      });

    /** A write that must answer `status`; its JSON. */
    const write = async (
      method: "POST" | "PUT" | "DELETE",
      url: string,
      payload: unknown,
      status: number,
    ) => {
      const r = await call(method, url, payload);
      assert.equal(r.statusCode, status, `${method} ${url}: ${r.body}`);
      return r.body ? r.json() : null;
    };

    /** Moves the test's clock forward (never back: the API's clock only moves on). */
    const advanceTo = (ms: number) => {
      assert.ok(ms >= clock, `the clock would go back from ${iso(clock)} to ${iso(ms)}`);
      clock = ms;
    };

    const enroll = async (identifier: string) => {
      hosts[identifier] = await t.enroll(identifier);
      return hosts[identifier];
    };

    /** Stores a report with the clock just after its collection. */
    const send = async (identifier: string, report: Report) => {
      clock = Math.max(clock, Date.parse(report.collected_at) + 30_000);
      return t.store201(hosts[identifier]!.nodeKey, report);
    };

    const jobs = async () => (await t.read<{ items: any[] }>("/api/v1/jobs")).items;
    const runJobs = () => t.app.services.jobs.runPending();

    /** A dry run of `policy` on the execution of `hostId` in effect at `at` (or its latest). */
    const dryRun = async (policy: unknown, hostId: number, at?: number) => {
      const body = await write(
        "POST",
        "/api/v1/policies/test",
        { policy, host_id: hostId, ...(at === undefined ? {} : { at: iso(at) }) },
        200,
      );
      assert.equal(body.items.length, 1);
      return body.items[0] as {
        status: string;
        report_id: string;
        collected_at: string;
        reasons: HostPolicyItem["reasons"];
      };
    };

    /** Every enabled policy's item of GET /hosts/{id}/policies at an execution (or now). */
    const hostItems = async (hostId: number, pick: Pick = {}): Promise<HostPolicyItem[]> => {
      const query = pick.report
        ? `?report=${pick.report.report_id}`
        : pick.at !== undefined
          ? `?at=${iso(pick.at)}`
          : "";
      const r = await t.get(`/api/v1/hosts/${hostId}/policies${query}`);
      if (r.statusCode === 200) return r.json().items;
      throw new Error(`GET /hosts/${hostId}/policies${query} answered ${r.statusCode}: ${r.body}`);
    };

    /** The item of one policy (undefined: not listed, e.g. disabled or deleted). */
    const hostItem = async (hostId: number, policyId: string, pick: Pick = {}) =>
      (await hostItems(hostId, pick)).find((i) => i.policy_id === policyId);

    test("the acceptance case: a policy created today answers for the 10 days before", async () => {
      const { hostId } = await enroll("miner-1");
      for (let at = dayAt(1, 0); at <= dayAt(10, 23); at += HOUR) {
        await send("miner-1", minerHistoryReport(at));
      }
      advanceTo(TODAY);
      const created = await write("POST", "/api/v1/policies", minersPolicy(), 201);
      assert.equal(created.items.length, 1);
      const policy = created.items[0];
      assert.equal(policy.id, "no-cryptominers");
      assert.equal(policy.version, 1);
      assert.equal(policy.enabled, true);
      assert.equal(policy.origin, "api");
      assert.equal(policy.created_at, iso(TODAY));
      assert.equal(typeof policy.job_id, "number");

      // Until its job runs, the past is unevaluated, not pass.
      const waiting = await hostItem(hostId, "no-cryptominers", { at: dayAt(4, 12) });
      assert.equal(waiting?.status, "unevaluated");
      assert.equal(waiting?.since, null);
      const queued = await t.read(`/api/v1/jobs/${policy.job_id}`);
      assert.equal(queued.status, "queued");
      assert.equal(queued.kind, "evaluate-policy");
      assert.equal(queued.subject, "no-cryptominers@1");

      assert.equal(await runJobs(), 1);
      const job = await t.read(`/api/v1/jobs/${policy.job_id}`);
      assert.equal(job.status, "done");
      assert.equal(job.error, null);
      assert.equal(job.total, 1);
      assert.equal(job.done, 1);
      assert.equal(job.finished_at, iso(TODAY));

      // Day 4: failing since the first execution with xmrig, xmrig in the reasons.
      const day4 = await hostItem(hostId, "no-cryptominers", { at: dayAt(4, 12, 30) });
      assert.equal(day4?.status, "fail");
      assert.equal(day4?.version, 1);
      assert.equal(day4?.since, iso(XMRIG_FROM));
      assert.equal(day4?.reasons.length, 1);
      assert.equal(day4?.reasons[0]?.kind, "process");
      assert.equal(day4?.reasons[0]?.condition, "check/none/0");
      assert.equal(day4?.reasons[0]?.total, 1);
      assert.deepEqual(
        day4?.reasons[0]?.items.map((p) => [p.pid, p.name, p.user, p.cmdline]),
        [[4444, "xmrig", "www-data", xmrig.cmdline]],
      );
      // The very first execution with it, and the last one before it.
      const first = await hostItem(hostId, "no-cryptominers", { at: XMRIG_FROM });
      assert.equal(first?.status, "fail");
      const justBefore = await hostItem(hostId, "no-cryptominers", { at: XMRIG_FROM - 1 });
      assert.equal(justBefore?.status, "pass");
      assert.equal(justBefore?.since, iso(dayAt(1, 0)));
      assert.deepEqual(justBefore?.reasons, []);

      // Now: passing since the first execution after xmrig left (minerd is not xmrig*).
      const now = await hostItem(hostId, "no-cryptominers");
      assert.equal(now?.status, "pass");
      assert.equal(now?.since, iso(XMRIG_GONE));
      assert.deepEqual(now?.reasons, []);
      const day7 = await hostItem(hostId, "no-cryptominers", { at: dayAt(7, 11) });
      assert.equal(day7?.status, "pass", "v1 does not look for minerd");

      // Which hosts failed on day 4: this one, since day 3, at its 12:00 execution.
      const failing = await t.read(
        `/api/v1/policies/no-cryptominers/hosts?status=failing&at=${iso(dayAt(4, 12, 30))}`,
      );
      assert.equal(failing.total, 1);
      assert.deepEqual(failing.items, [
        {
          host_id: hostId,
          hostname: "miner-1",
          status: "fail",
          since: iso(XMRIG_FROM),
          collected_at: iso(dayAt(4, 12)),
        },
      ]);
      const passingDay4 = await t.read(
        `/api/v1/policies/no-cryptominers/hosts?status=passing&at=${iso(dayAt(4, 12, 30))}`,
      );
      assert.equal(passingDay4.total, 0);
      const failingNow = await t.read("/api/v1/policies/no-cryptominers/hosts?status=failing");
      assert.equal(failingNow.total, 0);
      const passingNow = await t.read("/api/v1/policies/no-cryptominers/hosts?status=pass");
      assert.deepEqual(
        passingNow.items.map((h: any) => [h.host_id, h.since, h.collected_at]),
        [[hostId, iso(XMRIG_GONE), iso(dayAt(10, 23))]],
      );

      // Compliance over time: failing exactly while xmrig ran (days 3 to 5), nobody before
      // the host's first report.
      const history = await t.read(
        `/api/v1/policies/no-cryptominers/history?from=${iso(dayAt(0, 12))}&to=${iso(dayAt(10, 23))}`,
      );
      assert.equal(history.policy_id, "no-cryptominers");
      assert.equal(history.version, 1);
      assert.ok(history.points.length >= 40, `${history.points.length} points`);
      let failPoints = 0;
      for (const p of history.points) {
        const at = Date.parse(p.at);
        const reported = at >= dayAt(1, 0);
        const failed = at >= XMRIG_FROM && at < XMRIG_GONE;
        if (failed) failPoints++;
        assert.deepEqual(
          [p.fail, p.pass, p.unknown, p.not_applicable, p.unevaluated],
          [failed ? 1 : 0, reported && !failed ? 1 : 0, 0, 0, 0],
          `at ${p.at}`,
        );
      }
      assert.ok(failPoints >= 5, `${failPoints} failing points over days 3 to 5`);

      const day4Compliance = await t.read(`/api/v1/compliance?at=${iso(dayAt(4, 12))}`);
      assert.equal(day4Compliance.at, iso(dayAt(4, 12)));
      assert.equal(day4Compliance.hosts, 1);
      assert.equal(day4Compliance.compliant_hosts, 0);
      assert.deepEqual(day4Compliance.policies, [
        {
          policy_id: "no-cryptominers",
          name: "No cryptocurrency miners",
          severity: "critical",
          counts: { pass: 0, fail: 1, unknown: 0, not_applicable: 0, unevaluated: 0 },
        },
      ]);
      assert.deepEqual(day4Compliance.by_severity, {
        critical: { pass: 0, fail: 1, unknown: 0, not_applicable: 0, unevaluated: 0 },
      });
      const before = await t.read(`/api/v1/compliance?at=${iso(dayAt(0, 12))}`);
      assert.equal(before.hosts, 0);
      const nowCompliance = await t.read("/api/v1/compliance");
      assert.equal(nowCompliance.hosts, 1);
      assert.equal(nowCompliance.compliant_hosts, 1);
      assert.equal(nowCompliance.policies[0].counts.pass, 1);

      const list = await t.read("/api/v1/policies");
      assert.deepEqual(
        list.items.map((p: any) => [p.id, p.version, p.counts.pass, p.counts.fail]),
        [["no-cryptominers", 1, 1, 0]],
      );
    });

    test("GET /hosts/{id}/policies answers now, at a time and at a report while a policy is enabled", async () => {
      const { hostId } = hosts["miner-1"]!;
      const latest = await t.read(`/api/v1/hosts/${hostId}/reports?limit=1`);
      for (const query of [
        "",
        `?at=${iso(dayAt(4, 12))}`,
        `?report=${latest.items[0].report_id}`,
      ]) {
        const r = await t.get(`/api/v1/hosts/${hostId}/policies${query}`);
        assert.equal(r.statusCode, 200, `${query}: ${r.body}`);
        assert.deepEqual(
          r.json().items.map((i: HostPolicyItem) => i.policy_id),
          ["no-cryptominers"],
        );
      }
    });

    test("the job's results equal the evaluator at sampled executions of the 10 days", async () => {
      const { hostId } = hosts["miner-1"]!;
      const doc = minersPolicy();
      const times: number[] = [];
      for (let at = dayAt(1, 0); at <= dayAt(10, 23); at += 7 * HOUR) times.push(at);
      times.push(XMRIG_FROM - HOUR, XMRIG_FROM, XMRIG_GONE - HOUR, XMRIG_GONE, dayAt(10, 23));
      for (const at of times) {
        const stored = await hostItem(hostId, "no-cryptominers", { at: at });
        const alone = await dryRun(doc, hostId, at);
        assert.equal(stored?.status, alone.status, `at ${iso(at)}`);
        assert.equal(alone.collected_at, iso(at));
      }
    });

    test("reports stored once the policy exists are evaluated as they arrive, no job needed", async () => {
      const { hostId } = hosts["miner-1"]!;
      const jobsBefore = await jobs();
      assert.ok(jobsBefore.every((j) => j.status === "done"));

      const withMiner = reportOf("miner-1", TODAY + 5 * MIN, [
        makeProcess({
          pid: 9001,
          name: "xmrig-notls",
          user: "www-data",
          cmdline: "./xmrig-notls",
          started_at: iso(TODAY + 4 * MIN),
        }),
      ]);
      await send("miner-1", withMiner);
      const failing = await hostItem(hostId, "no-cryptominers");
      assert.equal(failing?.status, "fail");
      assert.equal(failing?.since, iso(TODAY + 5 * MIN));
      assert.deepEqual(
        failing?.reasons[0]?.items.map((p) => p.name),
        ["xmrig-notls"],
      );
      const listed = await t.read("/api/v1/policies/no-cryptominers/hosts?status=failing");
      assert.deepEqual(
        listed.items.map((h: any) => [h.host_id, h.since]),
        [[hostId, iso(TODAY + 5 * MIN)]],
      );
      assert.equal((await t.read("/api/v1/compliance")).compliant_hosts, 0);

      const clean = reportOf("miner-1", TODAY + 10 * MIN);
      await send("miner-1", clean);
      const passing = await hostItem(hostId, "no-cryptominers");
      assert.equal(passing?.status, "pass");
      assert.equal(passing?.since, iso(TODAY + 10 * MIN));
      // The failing execution keeps its status.
      const atMiner = await hostItem(hostId, "no-cryptominers", { report: withMiner });
      assert.equal(atMiner?.status, "fail");
      assert.equal(atMiner?.since, iso(TODAY + 5 * MIN));
      assert.equal((await t.read("/api/v1/compliance")).compliant_hosts, 1);

      assert.deepEqual(await jobs(), jobsBefore, "no job was queued or run");
    });

    test("late reports split runs: every execution's status is that execution's alone", async () => {
      const { hostId } = await enroll("late-1");
      const doc = (await t.read("/api/v1/policies/no-cryptominers")).document;
      const random = prng(engine.length * 7919 + 17);
      const start = TODAY + HOUR;
      const n = 16;
      const planned = Array.from({ length: n }, (_, i) => ({
        at: start + i * 5 * MIN,
        miner: random() < 0.4,
      }));
      // Some stretches for sure: a miner at the very first and the very last execution.
      planned[0]!.miner = true;
      planned[n - 1]!.miner = true;
      const order = planned.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      advanceTo(start + n * 5 * MIN + HOUR);
      const reports = planned.map((p, i) =>
        reportOf(
          "late-1",
          p.at,
          p.miner
            ? [
                makeProcess({
                  pid: 3000 + i,
                  name: "xmrig",
                  cmdline: "xmrig",
                  started_at: iso(p.at - MIN),
                }),
              ]
            : [],
        ),
      );
      const stored = new Set<number>();
      let checks = 0;
      for (const i of order) {
        await t.store201(hosts["late-1"]!.nodeKey, reports[i]!);
        stored.add(i);
        // The new execution alone, by the dry run: what the model below expects.
        const alone = await dryRun(doc, hostId, planned[i]!.at);
        assert.equal(alone.report_id, reports[i]!.report_id);
        assert.equal(alone.status, planned[i]!.miner ? "fail" : "pass");
        const present = [...stored].sort((a, b) => a - b);
        for (let k = 0; k < present.length; k++) {
          const idx = present[k]!;
          const expected = planned[idx]!.miner ? "fail" : "pass";
          // Since: the first execution of the stretch of equal statuses this one ends.
          let first = k;
          while (first > 0 && planned[present[first - 1]!]!.miner === planned[idx]!.miner) first--;
          const item = await hostItem(hostId, "no-cryptominers", { report: reports[idx]! });
          const where = `execution ${idx} after ${stored.size} arrivals (order ${order.join(",")})`;
          assert.equal(item?.status, expected, where);
          assert.equal(item?.since, iso(planned[present[first]!]!.at), where);
          checks++;
        }
        const latest = planned[present.at(-1)!]!;
        const now = await t.read(
          `/api/v1/policies/no-cryptominers/hosts?status=${latest.miner ? "fail" : "pass"}`,
        );
        assert.ok(
          now.items.some((h: any) => h.host_id === hostId && h.collected_at === iso(latest.at)),
          "the host's status now is its latest execution's",
        );
      }
      assert.equal(checks, (n * (n + 1)) / 2);
      // Once all are in, each stored status against the dry run of its execution again.
      for (const [i, p] of planned.entries()) {
        const alone = await dryRun(doc, hostId, p.at);
        const item = await hostItem(hostId, "no-cryptominers", { report: reports[i]! });
        assert.equal(item?.status, alone.status, `execution ${i}`);
      }
      assert.ok((await jobs()).every((j) => j.status === "done"));
    });

    test("a late report re-evaluates the next execution when the policy reads the previous one (freshness)", async () => {
      const { hostId } = await enroll("fresh-1");
      const fresh = {
        id: "reports-on-time",
        name: "Reports on time",
        severity: "medium",
        ...POLICY_TEXT,
        tags: [],
        check: { all: [{ freshness: { intervals: 3 } }] },
      };
      await write("POST", "/api/v1/policies", fresh, 201);
      try {
        // The agent interval is 300 s: late means more than 15 minutes after the previous one.
        const t0 = TODAY + 6 * HOUR;
        const times = [t0, t0 + 5 * MIN, t0 + 10 * MIN, t0 + 40 * MIN];
        const reports = times.map((at) => reportOf("fresh-1", at));
        for (const r of reports) await send("fresh-1", r);
        const gap = await hostItem(hostId, "reports-on-time", { report: reports[3]! });
        assert.equal(gap?.status, "fail", "30 minutes after the previous one");
        // The missing report arrives late: the last one is now 15 minutes after it.
        const late = reportOf("fresh-1", t0 + 25 * MIN);
        await send("fresh-1", late);
        for (const [at, r] of [...times, t0 + 25 * MIN].map(
          (at, i) => [at, [...reports, late][i]!] as const,
        )) {
          const alone = await dryRun(fresh, hostId, at);
          const item = await hostItem(hostId, "reports-on-time", { report: r });
          assert.equal(alone.status, "pass", `${iso(at)} alone`);
          assert.equal(item?.status, alone.status, `${iso(at)} stored`);
        }
      } finally {
        await write("DELETE", "/api/v1/policies/reports-on-time", undefined, 204);
        await runJobs(); // its job, with nothing left to do
      }
    });

    test("a changed document is version 2 with its own job; the same document is not a new version", async () => {
      const { hostId } = hosts["miner-1"]!;
      const v2doc = minersPolicy(["xmrig*", "minerd"]);
      advanceTo(TODAY + 7 * HOUR);
      const v2 = await write("PUT", "/api/v1/policies/no-cryptominers", v2doc, 200);
      assert.equal(v2.version, 2);
      assert.equal(v2.created_at, iso(TODAY));
      assert.equal(v2.updated_at, iso(clock));
      assert.equal(typeof v2.job_id, "number");
      assert.deepEqual(v2.document.check, v2doc.check);
      const job = await t.read(`/api/v1/jobs/${v2.job_id}`);
      assert.equal(job.subject, "no-cryptominers@2");
      assert.equal(job.status, "queued");

      // Version 2 has no results yet: unevaluated, never version 1's.
      const waiting = await hostItem(hostId, "no-cryptominers", { at: dayAt(7, 11) });
      assert.equal(waiting?.version, 2);
      assert.equal(waiting?.status, "unevaluated");
      const detail = await t.read("/api/v1/policies/no-cryptominers");
      const withHistory = (await t.read("/api/v1/hosts")).total;
      assert.equal(detail.counts.unevaluated, withHistory);

      assert.equal(await runJobs(), 1);
      assert.equal((await t.read(`/api/v1/jobs/${v2.job_id}`)).status, "done");
      const day7 = await hostItem(hostId, "no-cryptominers", { at: dayAt(7, 11) });
      assert.equal(day7?.version, 2);
      assert.equal(day7?.status, "fail", "version 2 looks for minerd");
      assert.equal(day7?.since, iso(MINERD_FROM));
      assert.deepEqual(
        day7?.reasons[0]?.items.map((p) => p.name),
        ["minerd"],
      );
      const after = await hostItem(hostId, "no-cryptominers", { at: MINERD_GONE });
      assert.equal(after?.status, "pass");
      assert.equal(after?.since, iso(MINERD_GONE));
      const day4 = await hostItem(hostId, "no-cryptominers", { at: dayAt(4, 0) });
      assert.deepEqual([day4?.version, day4?.status, day4?.since], [2, "fail", iso(XMRIG_FROM)]);
      const history = await t.read(
        `/api/v1/policies/no-cryptominers/history?from=${iso(MINERD_FROM)}&to=${iso(MINERD_GONE - 1)}`,
      );
      assert.equal(history.version, 2);
      assert.ok(history.points.length > 0);
      for (const p of history.points) assert.equal(p.fail, 1, p.at);
      const failingDay7 = await t.read(
        `/api/v1/policies/no-cryptominers/hosts?status=fail&at=${iso(dayAt(7, 11))}`,
      );
      assert.deepEqual(
        failingDay7.items.map((h: any) => h.host_id),
        [hostId],
      );

      // The same document again, as a document or as YAML text in another key order: no
      // new version, no job.
      const jobCount = (await jobs()).length;
      clock += MIN;
      const same = await write("PUT", "/api/v1/policies/no-cryptominers", v2doc, 200);
      assert.deepEqual([same.version, same.job_id], [2, null]);
      const yaml = [
        "# the same policy, written by hand",
        "check:",
        "  none:",
        "    - process: { name: [xmrig*, minerd] }",
        "tags: [malware]",
        `resolution: ${POLICY_TEXT.resolution}`,
        `description: "${POLICY_TEXT.description}"`,
        "severity: critical",
        "name: No cryptocurrency miners",
        "id: no-cryptominers",
        "",
      ].join("\n");
      const sameText = await write("PUT", "/api/v1/policies/no-cryptominers", { text: yaml }, 200);
      assert.deepEqual([sameText.version, sameText.job_id], [2, null]);
      const posted = await write("POST", "/api/v1/policies", { text: yaml }, 201);
      assert.deepEqual([posted.items[0].version, posted.items[0].job_id], [2, null]);
      assert.equal((await jobs()).length, jobCount, "no job queued");
      assert.equal(await runJobs(), 0);
      const stillFailing = await hostItem(hostId, "no-cryptominers", { at: dayAt(7, 11) });
      assert.deepEqual([stillFailing?.version, stillFailing?.status], [2, "fail"]);
    });

    test("a disabled policy is not evaluated; enabled again, its job fills the gap", async () => {
      const { hostId } = hosts["miner-1"]!;
      const v2doc = minersPolicy(["xmrig*", "minerd"]);
      advanceTo(TODAY + 7 * HOUR + 10 * MIN);
      const off = await write(
        "PUT",
        "/api/v1/policies/no-cryptominers",
        { ...v2doc, enabled: false },
        200,
      );
      assert.deepEqual([off.version, off.enabled, off.job_id], [2, false, null]);
      assert.equal(await hostItem(hostId, "no-cryptominers"), undefined, "not listed for the host");
      assert.deepEqual(
        (await t.read("/api/v1/compliance")).policies.map((p: any) => p.policy_id),
        [],
      );

      const whileOff = reportOf("miner-1", TODAY + 7 * HOUR + 15 * MIN, [xmrig]);
      await send("miner-1", whileOff);
      const hostsNow = await t.read("/api/v1/policies/no-cryptominers/hosts");
      assert.ok(
        !hostsNow.items.some((h: any) => h.host_id === hostId),
        "no result for an execution stored while it was off",
      );
      assert.equal(await hostItem(hostId, "no-cryptominers", { report: whileOff }), undefined);
      const listed = (await t.read("/api/v1/policies")).items.find(
        (p: any) => p.id === "no-cryptominers",
      );
      assert.equal(listed.enabled, false);

      advanceTo(TODAY + 7 * HOUR + 20 * MIN);
      const on = await write("PUT", "/api/v1/policies/no-cryptominers", v2doc, 200);
      assert.deepEqual([on.version, on.enabled], [2, true]);
      assert.equal(typeof on.job_id, "number", "switching it on evaluates what it missed");
      await runJobs();
      const now = await hostItem(hostId, "no-cryptominers");
      assert.deepEqual([now?.status, now?.since], ["fail", whileOff.collected_at]);
      const clean = reportOf("miner-1", TODAY + 7 * HOUR + 25 * MIN);
      await send("miner-1", clean);
      const passing = await hostItem(hostId, "no-cryptominers");
      assert.deepEqual([passing?.status, passing?.since], ["pass", clean.collected_at]);
    });

    test("a bad document is a 400 naming the field (and the line, for YAML text); nothing stored", async () => {
      const good = minersPolicy();
      const before = await t.read("/api/v1/policies");
      const jobCount = (await jobs()).length;

      const severity = await call("POST", "/api/v1/policies", {
        ...good,
        id: "bad-severity",
        severity: "urgent",
      });
      assert.equal(severity.statusCode, 400);
      assert.match(severity.json().error.message, /^body\/severity /);
      assert.ok(severity.json().error.details.some((d: any) => d.path === "body/severity"));

      const field = await call("POST", "/api/v1/policies", {
        ...good,
        id: "bad-field",
        check: { none: [{ process: { nme: "xmrig" } }] },
      });
      assert.equal(field.statusCode, 400);
      assert.ok(
        field.json().error.details.some((d: any) => d.path === "body/check/none/0/process/nme"),
        field.body,
      );

      const regex = await call("POST", "/api/v1/policies", {
        ...good,
        id: "bad-regex",
        check: { none: [{ process: { name: "/(x)\\1/" } }] },
      });
      assert.equal(regex.statusCode, 400);
      assert.equal(regex.json().error.code, "invalid_policy");
      assert.match(
        regex.json().error.message,
        /^body\/check\/none\/0\/process\/name .*backreference/,
      );

      const yaml = [
        "id: bad-yaml",
        "name: Bad",
        "severity: high",
        "description: d",
        "resolution: r",
        "tags: []",
        "check:",
        "  none:",
        "    - process: { name: xmrig }",
        "    - process: { nme: minerd }",
        "",
      ].join("\n");
      const text = await call("POST", "/api/v1/policies", { text: yaml });
      assert.equal(text.statusCode, 400);
      assert.equal(text.json().error.code, "invalid_policy");
      assert.match(text.json().error.message, /^line 10: check\/none\/1\/process\/nme: /);

      const syntax = await call("POST", "/api/v1/policies", {
        text: "id: bad-syntax\nname: [unclosed\nseverity: high\n",
      });
      assert.equal(syntax.statusCode, 400);
      assert.match(syntax.json().error.message, /line \d+/);

      // Two documents in one text, the second bad: all or none.
      const both = await call("POST", "/api/v1/policies", {
        text: `${yaml.replace("bad-yaml", "fine-one").replace("nme:", "name:")}---\n${yaml}`,
      });
      assert.equal(both.statusCode, 400);
      assert.match(both.json().error.message, /^line 21: /);

      assert.deepEqual(await t.read("/api/v1/policies"), before, "nothing stored");
      assert.equal((await jobs()).length, jobCount, "no job queued");
    });

    test("an unknown field is named by the 400's message, without unrelated details", async () => {
      const r = await call("POST", "/api/v1/policies", {
        ...minersPolicy(),
        id: "bad-field",
        check: { none: [{ process: { nme: "xmrig" } }] },
      });
      assert.equal(r.statusCode, 400);
      assert.match(r.json().error.message, /^body\/check\/none\/0\/process\/nme /);
      assert.ok(!r.json().error.details.some((d: any) => /\/(session|os)$/.test(d.path)), r.body);
    });

    test("PUT with another id than the path's is refused and stores nothing", async () => {
      const r = await call("PUT", "/api/v1/policies/no-cryptominers", {
        ...minersPolicy(),
        id: "stowaway",
      });
      assert.equal(r.statusCode, 400);
      assert.match(r.json().error.message, /^body\/id /);
      const stowaway = await call("GET", "/api/v1/policies/stowaway");
      if (stowaway.statusCode === 200) {
        await write("DELETE", "/api/v1/policies/stowaway", undefined, 204);
      }
      assert.equal(stowaway.statusCode, 404, "the refused policy was stored");
    });

    test("DELETE removes a policy and its results", async () => {
      const { hostId } = hosts["miner-1"]!;
      const scratch = {
        id: "scratch",
        name: "Scratch",
        severity: "low",
        ...POLICY_TEXT,
        tags: [],
        check: { none: [{ process: { name: "sshd" } }] },
      };
      await write("POST", "/api/v1/policies", scratch, 201);
      await runJobs();
      assert.equal((await hostItem(hostId, "scratch"))?.status, "fail");
      assert.ok((await t.read("/api/v1/policies/scratch/hosts?status=fail")).total >= 1);

      await write("DELETE", "/api/v1/policies/scratch", undefined, 204);
      assert.equal((await call("GET", "/api/v1/policies/scratch")).statusCode, 404);
      assert.equal((await call("GET", "/api/v1/policies/scratch/hosts")).statusCode, 404);
      assert.equal((await call("GET", "/api/v1/policies/scratch/history")).statusCode, 404);
      assert.equal(await hostItem(hostId, "scratch"), undefined);
      assert.ok(
        !(await t.read("/api/v1/compliance")).policies.some((p: any) => p.policy_id === "scratch"),
      );
      assert.equal((await call("DELETE", "/api/v1/policies/scratch")).statusCode, 404);

      // The same id again is a new policy: version 1 with no results, not the old ones.
      const again = await write(
        "POST",
        "/api/v1/policies",
        { ...scratch, check: { none: [{ process: { name: "nothing-runs-this" } }] } },
        201,
      );
      assert.equal(again.items[0].version, 1);
      const fresh = await hostItem(hostId, "scratch");
      assert.deepEqual([fresh?.version, fresh?.status], [1, "unevaluated"]);
      assert.equal((await t.read("/api/v1/policies/scratch/hosts")).total, 0);
      await runJobs();
      assert.equal((await hostItem(hostId, "scratch"))?.status, "pass");
      await write("DELETE", "/api/v1/policies/scratch", undefined, 204);
    });

    test("a policy on packages is unknown where packages were not collected, never pass or fail", async () => {
      await write("POST", "/api/v1/policies", telnetPolicy, 201);
      await runJobs();
      const all = await t.read("/api/v1/policies/telnet-package-absent/hosts");
      const withHistory = (await t.read("/api/v1/hosts")).total;
      assert.equal(all.total, withHistory);
      assert.ok(
        all.items.every((h: any) => h.status === "unknown"),
        JSON.stringify(all.items),
      );
      for (const s of ["pass", "fail"]) {
        assert.equal(
          (await t.read(`/api/v1/policies/telnet-package-absent/hosts?status=${s}`)).total,
          0,
        );
      }
      const overTime = await t.read(
        `/api/v1/policies/telnet-package-absent/history?from=${iso(dayAt(1, 0))}&to=${iso(TODAY)}`,
      );
      for (const p of overTime.points) {
        assert.deepEqual([p.pass, p.fail, p.unevaluated], [0, 0, 0], p.at);
        assert.ok(p.unknown >= 1, p.at);
      }
      const miner = await hostItem(hosts["miner-1"]!.hostId, "telnet-package-absent", {
        at: dayAt(4, 0),
      });
      assert.equal(miner?.status, "unknown");
      assert.match(miner?.reasons[0]?.message ?? "", /packages/);
      assert.match(miner?.reasons[0]?.message ?? "", /not collected/);

      // A host whose packages come and go, evaluated as its reports arrive.
      const { hostId } = await enroll("pkg-1");
      const t0 = TODAY + 8 * HOUR;
      const openssh: ReportPackage = {
        name: "openssh-server",
        version: "1:9.2p1-2",
        source: "deb",
      };
      const telnetd: ReportPackage = { name: "telnetd", version: "0.17+2.4-2", source: "deb" };
      const steps: { packages?: ReportPackage[]; errors?: Report["errors"]; status: string }[] = [
        { status: "unknown" },
        { packages: [], status: "pass" },
        { packages: [openssh], status: "pass" },
        { packages: [openssh, telnetd], status: "fail" },
        {
          errors: [{ collector: "packages", message: "dpkg status database is locked" }],
          status: "unknown",
        },
        { packages: [openssh], status: "pass" },
      ];
      let since = t0;
      for (const [i, step] of steps.entries()) {
        const { status, ...sections } = step;
        if (i > 0 && status !== steps[i - 1]!.status) since = t0 + i * 5 * MIN;
        const r = reportOf("pkg-1", t0 + i * 5 * MIN, [], sections);
        await send("pkg-1", r);
        const item = await hostItem(hostId, "telnet-package-absent");
        assert.equal(item?.status, status, `step ${i}`);
        assert.equal(item?.since, iso(since), `step ${i}`);
        if (status === "unknown") {
          assert.equal(item?.reasons.length, 1);
          assert.match(
            item?.reasons[0]?.message ?? "",
            step.errors ? /dpkg status database is locked/ : /not collected/,
          );
        }
        if (status === "fail") {
          assert.deepEqual(
            item?.reasons[0]?.items.map((p) => p.name),
            ["telnetd"],
          );
        }
      }
      const unknownNow = await t.read(
        `/api/v1/policies/telnet-package-absent/hosts?status=unknown&at=${iso(t0 + 4 * 5 * MIN)}`,
      );
      assert.ok(unknownNow.items.some((h: any) => h.host_id === hostId));
    });

    test("webhooks: one signed delivery per change, retried until the receiver takes it", async () => {
      const receiver = await startReceiver();
      const priv = await privateWebhooksApp(t.store, () => clock);
      try {
        const created = await priv.inject({
          method: "POST",
          url: "/api/v1/webhooks",
          headers: t.admin,
          payload: { url: receiver.url, events: ["failing", "passing"] },
        });
        assert.equal(created.statusCode, 201, created.body);
        const hook = created.json();
        assert.equal(typeof hook.secret, "string");
        assert.ok(hook.secret.length >= 32);
        assert.deepEqual(hook.events, ["failing", "passing"]);
        const listed = await priv.inject({
          method: "GET",
          url: "/api/v1/webhooks",
          headers: t.admin,
        });
        assert.ok(!listed.body.includes(hook.secret), "the secret is shown only once");

        const policy = await t.read("/api/v1/policies/no-cryptominers");
        const { hostId } = await enroll("hook-1");
        const dispatch = () => priv.services.webhooks.dispatch();
        const deliveries = async () =>
          (
            await priv.inject({
              method: "GET",
              url: `/api/v1/webhooks/${hook.id}/deliveries`,
              headers: t.admin,
            })
          ).json().items as any[];
        const check = (request: (typeof receiver.requests)[number]) => {
          const timestamp = request.headers["x-compliance-timestamp"] as string;
          assert.match(timestamp, /^\d+$/);
          assert.equal(
            request.headers["x-compliance-signature"],
            expectedSignature(hook.secret, timestamp, request.body),
          );
          assert.notEqual(
            request.headers["x-compliance-signature"],
            expectedSignature(hook.secret, timestamp, `${request.body} `),
          );
          assert.equal(request.method, "POST");
          assert.equal(request.path, "/hooks/compliance");
          assert.match(String(request.headers["content-type"]), /^application\/json/);
          return JSON.parse(request.body);
        };

        const t0 = TODAY + 9 * HOUR;
        await send("hook-1", reportOf("hook-1", t0));
        await dispatch();
        assert.equal(receiver.requests.length, 0, "a first pass is no change to tell");

        const bad = reportOf("hook-1", t0 + 5 * MIN, [xmrig]);
        await send("hook-1", bad);
        await dispatch();
        assert.equal(receiver.requests.length, 1);
        const failing = check(receiver.requests[0]!);
        assert.equal(
          receiver.requests[0]!.headers["x-compliance-timestamp"],
          String(Math.floor(clock / 1000)),
        );
        assert.deepEqual(failing, {
          event: "failing",
          event_id: failing.event_id,
          policy: {
            id: "no-cryptominers",
            name: "No cryptocurrency miners",
            severity: "critical",
            version: policy.version,
          },
          host: { id: hostId, hostname: "hook-1" },
          before: "pass",
          after: "fail",
          report_id: bad.report_id,
          collected_at: bad.collected_at,
          received_at: iso(Date.parse(bad.collected_at) + 30_000),
        });
        assert.equal(typeof failing.event_id, "number");
        clock += HOUR;
        await dispatch();
        assert.equal(receiver.requests.length, 1, "delivered exactly once");
        let log = await deliveries();
        assert.equal(log.length, 1);
        assert.equal(log[0].status, "delivered");
        assert.equal(log[0].attempts, 1);
        assert.equal(log[0].last_status, 200);
        assert.equal(log[0].event_id, failing.event_id);
        assert.deepEqual(log[0].payload, failing);

        const good = reportOf("hook-1", clock + MIN);
        await send("hook-1", good);
        await dispatch();
        assert.equal(receiver.requests.length, 2);
        const passing = check(receiver.requests[1]!);
        assert.deepEqual(
          [passing.event, passing.before, passing.after, passing.report_id, passing.host.id],
          ["passing", "fail", "pass", good.report_id, hostId],
        );

        // A late report with a miner, between the first clean execution and the failing one:
        // it fails there, but the host's status now has not changed, so nothing is posted.
        const late = reportOf("hook-1", t0 + 2 * MIN, [xmrig]);
        await send("hook-1", late);
        assert.equal((await hostItem(hostId, "no-cryptominers", { report: late }))?.status, "fail");
        assert.equal((await hostItem(hostId, "no-cryptominers"))?.status, "pass");
        await dispatch();
        assert.equal(receiver.requests.length, 2, "a late report is no change of status now");
        assert.equal((await deliveries()).length, 2);

        // The receiver is down: attempts grow, the log says why, then it is delivered once.
        receiver.state.status = 500;
        const again = reportOf("hook-1", clock + MIN, [xmrig]);
        await send("hook-1", again);
        await dispatch();
        assert.equal(receiver.requests.length, 3);
        log = await deliveries();
        assert.equal(log.length, 3);
        assert.deepEqual(
          [log[0].status, log[0].attempts, log[0].last_status, log[0].delivered_at],
          ["pending", 1, 500, null],
        );
        assert.match(log[0].last_error, /500/);
        await dispatch();
        assert.equal(receiver.requests.length, 3, "not again before its backoff");
        clock += 5_000;
        await dispatch();
        assert.equal(receiver.requests.length, 4);
        log = await deliveries();
        assert.deepEqual([log[0].status, log[0].attempts, log[0].last_status], ["pending", 2, 500]);
        receiver.state.status = 200;
        clock += 10_000;
        await dispatch();
        assert.equal(receiver.requests.length, 5);
        log = await deliveries();
        assert.deepEqual(
          [
            log[0].status,
            log[0].attempts,
            log[0].last_status,
            log[0].last_error,
            log[0].delivered_at,
          ],
          ["delivered", 3, 200, null, iso(clock)],
        );
        clock += HOUR;
        await dispatch();
        assert.equal(receiver.requests.length, 5, "nothing more once delivered");
        const retried = receiver.requests.slice(2);
        const bodies = retried.map((r) => check(r));
        assert.deepEqual(new Set(retried.map((r) => r.body)).size, 1, "the same body each time");
        assert.equal(new Set(retried.map((r) => r.headers["x-compliance-delivery"])).size, 1);
        assert.deepEqual(
          [bodies[0].event, bodies[0].report_id, bodies[0].before, bodies[0].after],
          ["failing", again.report_id, "pass", "fail"],
        );
        // Back to clean for what follows.
        await send("hook-1", reportOf("hook-1", clock + MIN));
      } finally {
        await priv.close();
        await receiver.close();
      }
    });

    test("without the private setting, a webhook to loopback or a private address is a 400 on body/url", async () => {
      for (const url of [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://[::1]:9/hook",
        "http://10.1.2.3/hook",
        "https://192.168.1.10/hook",
      ]) {
        const r = await call("POST", "/api/v1/webhooks", { url });
        assert.equal(r.statusCode, 400, `${url}: ${r.body}`);
        assert.match(r.json().error.message, /^body\/url /, url);
        assert.equal(r.json().error.details[0].path, "body/url");
      }
      const list = await t.read("/api/v1/webhooks");
      assert.ok(
        list.items.every(
          (w: any) => w.url.startsWith("http://127.0.0.1:") && w.url.endsWith("/hooks/compliance"),
        ),
        "only the receiver created with the setting on",
      );
    });

    test("readers read policies and results; only admins write; no token is a 401", async () => {
      const created = await write(
        "POST",
        "/api/v1/tokens",
        { name: "auditor", role: "reader" },
        201,
      );
      const reader = { authorization: `Bearer ${created.token}` };
      const agent = { authorization: `Bearer ${hosts["miner-1"]!.nodeKey}` };
      const hostId = hosts["miner-1"]!.hostId;
      const jobId = (await jobs())[0].id;
      const reads: [string, string, unknown?][] = [
        ["GET", "/api/v1/policies"],
        ["GET", "/api/v1/policies/no-cryptominers"],
        ["GET", "/api/v1/policies/no-cryptominers/hosts?status=failing"],
        ["GET", "/api/v1/policies/no-cryptominers/history"],
        ["GET", `/api/v1/hosts/${hostId}/policies`],
        ["GET", "/api/v1/compliance"],
        ["GET", "/api/v1/jobs"],
        ["GET", `/api/v1/jobs/${jobId}`],
        ["POST", "/api/v1/policies/test", { policy: minersPolicy(), host_id: hostId }],
      ];
      const writes: [string, string, unknown?][] = [
        ["POST", "/api/v1/policies", { ...minersPolicy(), id: "by-a-reader" }],
        ["PUT", "/api/v1/policies/no-cryptominers", { ...minersPolicy(), enabled: false }],
        ["DELETE", "/api/v1/policies/no-cryptominers"],
        ["GET", "/api/v1/webhooks"],
        ["POST", "/api/v1/webhooks", { url: "https://hooks.example.com/x" }],
        ["DELETE", "/api/v1/webhooks/1"],
        ["GET", "/api/v1/webhooks/1/deliveries"],
      ];
      const ask = (route: [string, string, unknown?], headers: Record<string, string>) =>
        call(route[0] as "GET", route[1], route[2], headers);
      for (const route of reads) {
        const ok = 200;
        assert.equal((await ask(route, reader)).statusCode, ok, `reader ${route[1]}`);
        assert.equal((await ask(route, t.admin)).statusCode, ok, `admin ${route[1]}`);
      }
      for (const route of writes) {
        const r = await ask(route, reader);
        assert.equal(r.statusCode, 403, `reader ${route[0]} ${route[1]}: ${r.body}`);
        assert.equal(r.json().error.code, "admin_required");
      }
      for (const route of [...reads, ...writes]) {
        assert.equal((await ask(route, {})).statusCode, 401, `no token ${route[1]}`);
        assert.equal(
          (await ask(route, { authorization: "Bearer not-a-token-at-all-0000" })).statusCode,
          401,
          `bad token ${route[1]}`,
        );
        assert.equal((await ask(route, agent)).statusCode, 401, `node key ${route[1]}`);
      }
      // Nothing the refused writes asked for happened.
      const policy = await t.read("/api/v1/policies/no-cryptominers");
      assert.equal(policy.enabled, true);
      assert.equal((await call("GET", "/api/v1/policies/by-a-reader")).statusCode, 404);
      assert.equal((await t.read("/api/v1/webhooks")).items.length, 1);
    });

    test("a new version's job evaluates per-execution values (CPU use) at every execution", async () => {
      const { hostId } = await enroll("busy-1");
      const t0 = TODAY + 12 * HOUR;
      const usage = [10, 95, 97, 20, 99, 30];
      const reports = usage.map((u, i) =>
        reportOf("busy-1", t0 + i * 10 * MIN, [], {
          cpu: {
            model: "Intel(R) Xeon(R) CPU",
            vendor: "GenuineIntel",
            cores: 4,
            usage_percent: u,
          },
        }),
      );
      for (const r of reports) await send("busy-1", r);
      const cpu = {
        id: "cpu-not-saturated",
        name: "CPU not saturated",
        severity: "low",
        ...POLICY_TEXT,
        tags: [],
        check: { none: [{ host: { cpu_usage_percent: "gt:90" } }] },
      };
      await write("POST", "/api/v1/policies", cpu, 201);
      try {
        await runJobs();
        for (const [i, r] of reports.entries()) {
          const alone = await dryRun(cpu, hostId, t0 + i * 10 * MIN);
          assert.equal(alone.status, usage[i]! > 90 ? "fail" : "pass", `${usage[i]}% alone`);
          const item = await hostItem(hostId, "cpu-not-saturated", { report: r });
          assert.equal(item?.status, alone.status, `${usage[i]}% stored by the job`);
        }
      } finally {
        await write("DELETE", "/api/v1/policies/cpu-not-saturated", undefined, 204);
      }
    });

    test("the starter pack evaluates this machine's real report without errors", async () => {
      const stateDir = mkdtempSync(join(tmpdir(), "compliance-policies-agent-"));
      try {
        const agentClock = { ...systemClock(), now: () => clock };
        advanceTo(TODAY + 14 * HOUR);
        const real = await collectReport({ stateDir, cpuWindowMs: 100, clock: agentClock });
        const identifier = real.host.identifier;
        hosts[identifier] = await t.enroll(identifier, real.host.hostname);
        const { hostId } = hosts[identifier]!;
        await send(identifier, real);

        // The starter files, as an operator would apply them, text and all.
        const files = readdirSync(STARTER_DIR)
          .filter((f) => f.endsWith(".yaml"))
          .sort();
        assert.ok(files.length >= 20, `${files.length} starter files`);
        const ids: string[] = [];
        for (const file of files) {
          const text = readFileSync(join(STARTER_DIR, file), "utf8");
          const r = await call("POST", "/api/v1/policies", { text });
          assert.equal(r.statusCode, 201, `${file}: ${r.body}`);
          ids.push(...r.json().items.map((p: any) => p.id));
        }
        assert.equal(new Set(ids).size, files.length);
        await runJobs();
        const all = await jobs();
        assert.deepEqual(
          all.filter((j) => j.status !== "done" || j.error !== null),
          [],
          "every job done without error",
        );

        // A second report, evaluated as it arrives.
        clock += 5 * MIN;
        const second = await collectReport({ stateDir, cpuWindowMs: 100, clock: agentClock });
        await send(identifier, second);

        const byProcesses = ["no-cryptominers", "no-process-from-tmp"];
        const documents = new Map<string, unknown>();
        for (const id of ids) documents.set(id, (await t.read(`/api/v1/policies/${id}`)).document);
        for (const report of [real, second]) {
          const items = await hostItems(hostId, { report });
          for (const id of ids) {
            const item = items.find((i) => i.policy_id === id);
            assert.ok(item, `${id} is listed`);
            assert.ok(
              ["pass", "fail", "unknown", "not_applicable"].includes(item.status),
              `${id}: ${item.status}`,
            );
            if (item.status === "unknown" || item.status === "fail") {
              assert.ok(item.reasons.length > 0, `${id} says why it is ${item.status}`);
            }
            const alone = await dryRun(documents.get(id), hostId, Date.parse(report.collected_at));
            assert.equal(alone.report_id, report.report_id);
            assert.equal(item.status, alone.status, `${id} stored vs alone`);
          }
          for (const id of byProcesses) {
            const item = items.find((i) => i.policy_id === id);
            assert.ok(
              item && (item.status === "pass" || item.status === "fail"),
              `${id}: ${item?.status} ${JSON.stringify(item?.reasons)}`,
            );
          }
          const onTime = items.find((i) => i.policy_id === "agent-reporting-on-time");
          assert.equal(onTime?.status, "pass", "reports five minutes apart are on time");
        }
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    });
  });
}
