import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import {
  makeDelta,
  type Report,
  type ReportProcess,
  type ReportSession,
  validateReport,
} from "@compliance/contract";
import { reportDigest } from "@compliance/contract/digest";
import fc from "fast-check";
import { ApiError } from "../src/errors.ts";
import { DeltaBases } from "../src/services/delta-bases.ts";
import { createServices } from "../src/services/index.ts";
import type { LatestSpans } from "../src/store/store.ts";
import { ENGINES } from "./helpers/databases.ts";
import { makeReport } from "./helpers/reports.ts";
import { storedReport, storeFixture } from "./helpers/store.ts";

/**
 * The heart of the store: whatever sequence of reports arrives (processes starting and
 * ending, pids reused, names changing, values odd, reports out of order or twice), every
 * stored execution rebuilds to exactly the report its agent sent.
 */

const NAMES = [
  "sshd",
  "nginx",
  "postgres",
  "bash",
  "-bash",
  "(sd-pam)",
  "NULL",
  "",
  'we"ird\\\\,{name} ü 🙂',
];
const USERS = ["root", "www-data", "postgres", "ana", "1001"];

const PACKAGES = ["openssl", "telnetd", "libc6", "nginx", "zlib1g"];
const VERSIONS = [
  "3.0.11-1~deb12u2",
  "3.0.15-1~deb12u1",
  "1:2.4-3",
  "1.2.13.dfsg-1",
  "2.36-9+deb12u9",
];
const SERVICES = ["ssh.service", "cron.service", "auditd.service"];
const SYSCTLS = ["net.ipv4.ip_forward", "kernel.randomize_va_space", "fs.suid_dumpable"];

interface World {
  processes: ReportProcess[];
  sessions: ReportSession[];
  /** Inventory, keyed by name so a change replaces the item. */
  packages: Map<string, { version: string; arch: string }>;
  ports: Set<number>;
  services: Map<string, { state: string; enabled: boolean }>;
  sysctl: Map<string, string>;
}

type Step =
  | { op: "start"; pid: number; name: number; user: number; withCmd: boolean; withStart: boolean }
  | { op: "end"; index: number }
  | { op: "rename"; index: number; name: number }
  | { op: "argv"; index: number }
  | { op: "load"; index: number; cpu: number; rss: number }
  | { op: "login"; user: number; tty: number; remote: boolean }
  | { op: "logout"; index: number }
  | { op: "install"; name: number; version: number; arch: boolean }
  | { op: "remove"; name: number }
  | { op: "port"; port: number }
  | { op: "service"; name: number; state: boolean; enabled: boolean }
  | { op: "sysctl"; key: number; value: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant("start" as const),
    pid: fc.integer({ min: 1, max: 40 }), // a small range: pids get reused
    name: fc.nat(NAMES.length - 1),
    user: fc.nat(USERS.length - 1),
    withCmd: fc.boolean(),
    withStart: fc.boolean(),
  }),
  fc.record({ op: fc.constant("end" as const), index: fc.nat(50) }),
  fc.record({
    op: fc.constant("rename" as const),
    index: fc.nat(50),
    name: fc.nat(NAMES.length - 1),
  }),
  // A process rewrites its command line, or its line can no longer be read.
  fc.record({ op: fc.constant("argv" as const), index: fc.nat(50) }),
  fc.record({
    op: fc.constant("load" as const),
    index: fc.nat(50),
    cpu: fc.oneof(
      fc.constantFrom(0, 0.5, 12.25, 99.99),
      fc.double({ min: 0, max: 400, noNaN: true, noDefaultInfinity: true }),
    ),
    rss: fc.oneof(
      fc.integer({ min: 0, max: 2 ** 40 }).map((k) => k * 1024),
      fc.integer({ min: 0, max: 2 ** 52 }),
    ),
  }),
  fc.record({
    op: fc.constant("login" as const),
    user: fc.nat(USERS.length - 1),
    tty: fc.nat(5),
    remote: fc.boolean(),
  }),
  fc.record({ op: fc.constant("logout" as const), index: fc.nat(10) }),
  fc.record({
    op: fc.constant("install" as const),
    name: fc.nat(PACKAGES.length - 1),
    version: fc.nat(VERSIONS.length - 1),
    arch: fc.boolean(),
  }),
  fc.record({ op: fc.constant("remove" as const), name: fc.nat(PACKAGES.length - 1) }),
  fc.record({ op: fc.constant("port" as const), port: fc.constantFrom(22, 23, 80, 443, 5432) }),
  fc.record({
    op: fc.constant("service" as const),
    name: fc.nat(SERVICES.length - 1),
    state: fc.boolean(),
    enabled: fc.boolean(),
  }),
  fc.record({
    op: fc.constant("sysctl" as const),
    key: fc.nat(SYSCTLS.length - 1),
    value: fc.nat(2),
  }),
);

/** The inventory part of a step: a new world, or null when the step is not about it. */
function applyInventory(world: World, step: Step): World | null {
  const next = {
    ...world,
    packages: new Map(world.packages),
    ports: new Set(world.ports),
    services: new Map(world.services),
    sysctl: new Map(world.sysctl),
  };
  switch (step.op) {
    case "install":
      next.packages.set(PACKAGES[step.name]!, {
        version: VERSIONS[step.version]!,
        arch: step.arch ? "amd64" : "all",
      });
      return next;
    case "remove":
      next.packages.delete(PACKAGES[step.name]!);
      return next;
    case "port":
      if (!next.ports.delete(step.port)) next.ports.add(step.port);
      return next;
    case "service":
      next.services.set(SERVICES[step.name]!, {
        state: step.state ? "active" : "inactive",
        enabled: step.enabled,
      });
      return next;
    case "sysctl":
      next.sysctl.set(SYSCTLS[step.key]!, String(step.value));
      return next;
    default:
      return null;
  }
}

function apply(world: World, step: Step, t: number): World {
  const inventory = applyInventory(world, step);
  if (inventory) return inventory;
  const processes = world.processes.map((p) => ({ ...p }));
  const sessions = [...world.sessions];
  const at = (i: number) => (processes.length === 0 ? -1 : i % processes.length);
  switch (step.op) {
    case "start": {
      const existing = processes.findIndex((p) => p.pid === step.pid);
      if (existing >= 0) processes.splice(existing, 1); // the old one ended; the pid is reused
      const p: ReportProcess = {
        pid: step.pid,
        ppid: 1,
        name: NAMES[step.name]!,
        user: USERS[step.user]!,
        cpu_percent: 0,
        rss_bytes: 4096,
      };
      if (step.withStart) p.started_at = new Date(t - 1000).toISOString();
      if (step.withCmd) p.cmdline = `/usr/bin/${p.name} --run ${step.pid}`;
      processes.push(p);
      break;
    }
    case "end": {
      const i = at(step.index);
      if (i >= 0) processes.splice(i, 1);
      break;
    }
    case "rename": {
      const i = at(step.index);
      if (i >= 0) processes[i]!.name = NAMES[step.name]!;
      break;
    }
    case "argv": {
      const i = at(step.index);
      if (i < 0) break;
      const p = processes[i]!;
      if (p.cmdline === undefined) p.cmdline = `${p.name}: worker`;
      else delete p.cmdline;
      break;
    }
    case "load": {
      const i = at(step.index);
      if (i >= 0) {
        processes[i]!.cpu_percent = step.cpu;
        processes[i]!.rss_bytes = step.rss;
      }
      break;
    }
    case "login": {
      const s: ReportSession = { user: USERS[step.user]!, terminal: `pts/${step.tty}` };
      if (step.remote) s.remote_host = "10.0.0.9";
      s.started_at = new Date(t).toISOString();
      if (!sessions.some((x) => JSON.stringify(x) === JSON.stringify(s))) sessions.push(s);
      break;
    }
    case "logout": {
      if (sessions.length > 0) sessions.splice(step.index % sessions.length, 1);
      break;
    }
  }
  return { ...world, processes, sessions };
}

/**
 * The inventory sections of a check-in: some absent (not collected), some empty, in
 * canonical or other order, settings with some of their parts.
 */
function inventoryOf(world: World, i: number, reverse: boolean): Partial<Report> {
  const order = <T>(items: T[]) => (reverse ? items.reverse() : items);
  const sections: Partial<Report> = {};
  if (i % 3 !== 1) {
    sections.packages = order(
      [...world.packages].map(([name, p]) => ({
        name,
        version: p.version,
        arch: p.arch,
        source: "deb",
      })),
    );
  }
  if (i % 4 !== 2) {
    sections.listening = order(
      [...world.ports].map((port) => ({
        protocol: "tcp" as const,
        address: "0.0.0.0",
        port,
        ...(port === 22 ? { pid: 812, process: "sshd" } : {}),
      })),
    );
  }
  if (i % 5 !== 3) {
    sections.services = order([...world.services].map(([name, s]) => ({ name, ...s })));
  }
  if (i % 2 === 0)
    sections.accounts = [
      { name: "root", uid: 0, gid: 0, home: "/root", shell: "/bin/bash", password: "set" },
    ];
  if (i % 3 !== 2) {
    sections.settings = {
      ...(i % 2 === 0 ? { sysctl: Object.fromEntries(world.sysctl) } : {}),
      ...(i % 4 === 0 ? { sshd: { permitrootlogin: i % 8 === 0 ? "no" : "yes" } } : {}),
      ...(i % 3 === 0 ? { files: [{ path: "/etc/shadow", mode: "0640", uid: 0, gid: 42 }] } : {}),
    };
  }
  return sections;
}

const scenarioArb = fc.record({
  // each check-in applies a few steps to the world before it is reported
  checkIns: fc.array(fc.array(stepArb, { maxLength: 6 }), { minLength: 1, maxLength: 14 }),
  // the order reports arrive in, and which are sent twice
  arrival: fc.array(fc.nat(1000), { minLength: 14, maxLength: 14 }),
  resend: fc.array(fc.boolean(), { minLength: 14, maxLength: 14 }),
  shuffleLists: fc.array(fc.boolean(), { minLength: 14, maxLength: 14 }),
  sameMs: fc.array(fc.boolean(), { minLength: 14, maxLength: 14 }),
});

const deltaScenarioArb = fc.record({
  scenario: scenarioArb,
  // which acknowledged report each delta is based on
  base: fc.array(fc.nat(20), { minLength: 14, maxLength: 14 }),
  // a delta sent first with a base the API does not hold, or a wrong digest
  lost: fc.array(fc.boolean(), { minLength: 14, maxLength: 14 }),
  badDigest: fc.array(fc.boolean(), { minLength: 14, maxLength: 14 }),
  cache: fc.constantFrom("kept", "packed", "none"),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function buildReports(scenario: Scenario, identifier: string) {
  let world: World = {
    processes: [],
    sessions: [],
    packages: new Map(),
    ports: new Set(),
    services: new Map(),
    sysctl: new Map(),
  };
  const reports: Report[] = [];
  let t = Date.parse("2026-11-01T00:00:00Z");
  scenario.checkIns.forEach((steps, i) => {
    // Some check-ins share a millisecond with the previous one: ties must keep both.
    t += scenario.sameMs[i] && i > 0 ? 0 : 60_000 + i;
    for (const s of steps) world = apply(world, s, t);
    let processes = world.processes.map((p) => ({ ...p }));
    let sessions = [...world.sessions];
    if (scenario.shuffleLists[i]) {
      processes = processes.reverse();
      sessions = sessions.reverse();
    } else {
      processes.sort((a, b) => a.pid - b.pid);
    }
    reports.push(
      makeReport({
        identifier,
        collected_at: new Date(t).toISOString(),
        processes,
        sessions,
        cpu: { model: "m", vendor: "v", cores: 2, usage_percent: (i * 7.3) % 100 },
        ...inventoryOf(world, i, scenario.shuffleLists[i] ?? false),
        ...(i % 5 === 4 ? { errors: [{ collector: "sessions", message: "no utmp" }] } : {}),
      }),
    );
    if (i % 4 === 3) reports[i]!.os.version = `12.${i}`;
  });
  return reports;
}

for (const engine of ENGINES) {
  describe(`history on ${engine}`, () => {
    const fixture = storeFixture(engine);

    test("every execution rebuilds to the report its agent sent, whatever the arrival order", async () => {
      let run = 0;
      const spanReads = { none: 0, ended: 0, around: 0 };
      await fc.assert(
        fc.asyncProperty(scenarioArb, async (scenario) => {
          run++;
          const identifier = `prop-${engine}-${run}-${Math.random().toString(36).slice(2)}`;
          const reports = buildReports(scenario, identifier);
          for (const r of reports) assert.deepEqual(validateReport(r), { ok: true, value: r });
          const { hostId } = await fixture.store.enrollHost({
            identifier,
            hostname: "h",
            nodeKeyHash: identifier,
            source: "agent",
          });

          const order = reports
            .map((_, i) => i)
            .sort((a, b) => (scenario.arrival[a] ?? 0) - (scenario.arrival[b] ?? 0));
          // As the API does: each ingest told the spans open at the host's latest execution
          // as the last newest one left them (stale after a late report cut them).
          let latest: LatestSpans | undefined;
          for (const i of order) {
            const first = await fixture.store.ingest(hostId, reports[i]!, 1, { latest });
            latest = first.latest ?? latest;
            if (first.spanReads) spanReads[first.spanReads]++;
            assert.equal(first.duplicate, false);
            if (scenario.resend[i]) {
              const again = await fixture.store.ingest(hostId, reports[i]!, 2);
              assert.equal(again.duplicate, true);
              assert.equal(again.execution.id, first.execution.id);
            }
          }
          for (const r of reports) {
            const stored = await storedReport(fixture.store, r.report_id);
            assert.ok(stored, `report ${r.report_id} is stored`);
            assert.deepEqual(stored.report, r);
          }
          // The timeline is in collected_at order (ties: in arrival order), whatever the arrival.
          const timeline = await fixture.store.listExecutions(
            hostId,
            {},
            { limit: 100, offset: 0, sort: "collected_at" },
          );
          assert.equal(timeline.items.length, reports.length);
          const times = timeline.items.map((e) => Date.parse(e.collected_at));
          assert.deepEqual(
            times,
            [...times].sort((a, b) => a - b),
          );
          // The host's latest state is the newest report, whatever arrived last.
          const host = await fixture.store.getHost(hostId);
          const newest = reports.find((r) => r.report_id === timeline.items.at(-1)!.report_id)!;
          assert.equal(Date.parse(newest.collected_at), Date.parse(reports.at(-1)!.collected_at));
          assert.equal(host?.last_report_id, newest.report_id);
          assert.equal(host?.process_count, newest.processes.length);
          assert.equal(host?.executions, reports.length);
          // Each execution's change counts agree with its predecessor in time.
          timeline.items.forEach((e, i) => {
            if (i === 0) {
              assert.equal(e.changes, null);
              return;
            }
            const before = reports.find((r) => r.report_id === timeline.items[i - 1]!.report_id)!;
            const now = reports.find((r) => r.report_id === e.report_id)!;
            const key = (p: ReportProcess) =>
              JSON.stringify([p.pid, p.ppid, p.name, p.user, p.started_at, p.cmdline]);
            const a = new Set(before.processes.map(key));
            const b = new Set(now.processes.map(key));
            assert.equal(e.changes?.processes_started, [...b].filter((k) => !a.has(k)).length);
            assert.equal(e.changes?.processes_ended, [...a].filter((k) => !b.has(k)).length);
          });
        }),
        { numRuns: engine === "sqlite" ? 60 : 15 },
      );
      // Both ways of reading spans were taken: by the latest execution's, and all around.
      assert.ok(spanReads.ended > 0 && spanReads.around > 0, JSON.stringify(spanReads));
    });

    test("delta check-ins store what the whole reports would have: any base, any order, a lost base", async () => {
      let run = 0;
      const found = { kept: 0, packed: 0, none: 0 };
      await fc.assert(
        fc.asyncProperty(deltaScenarioArb, async ({ scenario, base, lost, badDigest, cache }) => {
          run++;
          const deltaBases = new DeltaBases(cache === "none" ? 0 : 64 * 1024 * 1024, {
            forms: cache === "kept" ? "kept" : "packed",
          });
          deltaBases.onFound = (f) => found[f]++;
          const identifier = `delta-${engine}-${run}-${Math.random().toString(36).slice(2)}`;
          const reports = buildReports(scenario, identifier);
          const services = createServices(fixture.store, {
            secrets: { adminTokenHash: "x", enrollSecretHash: "x" },
            now: () => Date.parse("2026-11-30T00:00:00Z"),
            version: "test",
            intervalMs: 300_000,
            webhookAllowPrivate: false,
            log: { info() {}, error() {} },
            // Bases as objects, packed, or none: every base is rebuilt from the database.
            deltaBases,
          });
          const { hostId } = await fixture.store.enrollHost({
            identifier,
            hostname: "h",
            nodeKeyHash: identifier,
            source: "agent",
          });
          const node = { id: hostId, identifier, source: "agent" as const };
          const refusal = async (delta: Parameters<typeof services.ingest.acceptDelta>[1]) => {
            try {
              await services.ingest.acceptDelta(node, delta);
            } catch (e) {
              if (e instanceof ApiError) return e;
              throw e;
            }
            assert.fail("the delta was stored");
          };

          const order = reports
            .map((_, i) => i)
            .sort((a, b) => (scenario.arrival[a] ?? 0) - (scenario.arrival[b] ?? 0));
          const acknowledged: Report[] = [];
          for (const i of order) {
            const report = reports[i]!;
            if (acknowledged.length === 0) {
              await services.ingest.accept(node, report);
              acknowledged.push(report);
              continue;
            }
            // Any report acknowledged so far, older or newer than this one.
            const from = acknowledged[(base[i] ?? 0) % acknowledged.length]!;
            const delta = makeDelta(from, report, from.report_id, reportDigest(report));
            if (lost[i]) {
              const e = await refusal({ ...delta, base_report_id: randomUUID() });
              assert.equal(e.statusCode, 409);
              assert.equal(e.code, "delta_base_unknown");
            }
            if (badDigest[i]) {
              const e = await refusal({ ...delta, digest: "0".repeat(64) });
              assert.equal(e.statusCode, 409);
              assert.equal(e.code, "delta_mismatch");
              assert.equal(await storedReport(fixture.store, report.report_id), null);
            }
            const stored = await services.ingest.acceptDelta(node, delta);
            assert.equal(stored.duplicate, false);
            assert.equal(stored.report_id, report.report_id);
            if (scenario.resend[i]) {
              const again = await services.ingest.acceptDelta(node, delta);
              assert.equal(again.duplicate, true);
            }
            acknowledged.push(report);
          }
          for (const r of reports) {
            const stored = await storedReport(fixture.store, r.report_id);
            assert.ok(stored, `report ${r.report_id} is stored`);
            assert.deepEqual(stored.report, r);
          }
          const host = await fixture.store.getHost(hostId);
          assert.equal(host?.executions, reports.length);
        }),
        { numRuns: engine === "sqlite" ? 40 : 10 },
      );
      // Bases were found kept and packed, and rebuilt from the database.
      assert.ok(found.kept > 0 && found.packed > 0 && found.none > 0, JSON.stringify(found));
    });
  });
}
