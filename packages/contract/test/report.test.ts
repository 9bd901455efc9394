import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LIMITS, type Report, validateReport } from "../src/index.ts";

function valid(): Report {
  return {
    schema_version: 1,
    report_id: "2f1c6f3e-1b9a-4a3e-9c1e-3f2a1b4c5d6e",
    collected_at: "2026-11-22T10:15:53Z",
    agent: { version: "0.1.0" },
    host: {
      identifier: "machine-1",
      hostname: "web-1",
      primary_ip: "10.0.2.15",
      ip_addresses: ["10.0.2.15", "fe80::1"],
    },
    os: {
      platform: "linux",
      name: "Debian GNU/Linux",
      version: "12 (bookworm)",
      kernel: "6.1.0-18-amd64",
      arch: "x64",
    },
    cpu: {
      model: "Intel(R) Core(TM) i7-7500U CPU @ 2.70GHz",
      vendor: "GenuineIntel",
      cores: 4,
      usage_percent: 3.5,
    },
    memory: { total_bytes: 8_000_000_000, available_bytes: 4_000_000_000 },
    processes: [
      {
        pid: 1,
        ppid: 0,
        name: "systemd",
        user: "root",
        cpu_percent: 0,
        rss_bytes: 12_000_000,
        started_at: "2026-11-20T08:00:00Z",
        cmdline: "/sbin/init",
      },
      { pid: 2, ppid: 0, name: "kthreadd", user: "root", cpu_percent: 0, rss_bytes: 0 },
    ],
    sessions: [
      {
        user: "malasia",
        terminal: "pts/0",
        remote_host: "10.0.0.9",
        started_at: "2026-11-22T09:00:00Z",
        pid: 4242,
      },
    ],
  };
}

/** Applies a change to a fresh valid report and returns the problems found. */
function problems(change: (r: Record<string, any>) => void) {
  const r = valid() as unknown as Record<string, any>;
  change(r);
  const v = validateReport(r);
  assert.equal(v.ok, false, "the report should be rejected");
  return v.ok ? [] : v.problems;
}

describe("report contract v1", () => {
  test("the example report of PRODUCT.md is valid, with and without optional fields", () => {
    assert.deepEqual(validateReport(valid()), { ok: true, value: valid() });
    const r = valid();
    r.errors = [{ collector: "sessions", message: "no utmp at /run/utmp" }];
    r.agent = { version: "0.1.0", rss_bytes: 40_000_000, cpu_seconds: 0.12, dropped_reports: 3 };
    delete r.host.primary_ip;
    assert.equal(validateReport(r).ok, true);
  });

  const cases: [string, (r: Record<string, any>) => void, string][] = [
    ["missing report_id", (r) => delete r.report_id, "/report_id"],
    ["report_id not a uuid", (r) => (r.report_id = "abc"), "/report_id"],
    ["schema_version 2", (r) => (r.schema_version = 2), "/schema_version"],
    ["collected_at not a time", (r) => (r.collected_at = "yesterday"), "/collected_at"],
    ["missing host", (r) => delete r.host, "/host"],
    ["empty host identifier", (r) => (r.host.identifier = ""), "/host/identifier"],
    ["pid as a string", (r) => (r.processes[0].pid = "1"), "/processes/0/pid"],
    ["negative pid", (r) => (r.processes[1].pid = -5), "/processes/1/pid"],
    ["fractional pid", (r) => (r.processes[1].pid = 1.5), "/processes/1/pid"],
    ["negative rss", (r) => (r.processes[0].rss_bytes = -1), "/processes/0/rss_bytes"],
    ["cpu over the bound", (r) => (r.processes[0].cpu_percent = 1e9), "/processes/0/cpu_percent"],
    ["machine cpu over 100", (r) => (r.cpu.usage_percent = 100.5), "/cpu/usage_percent"],
    ["null where a string belongs", (r) => (r.processes[0].cmdline = null), "/processes/0/cmdline"],
    ["unknown top-level field", (r) => (r.extra = 1), "/extra"],
    ["unknown process field", (r) => (r.processes[0].color = "red"), "/processes/0/color"],
    [
      "cmdline over 4 KiB",
      (r) => (r.processes[0].cmdline = "x".repeat(LIMITS.cmdline + 1)),
      "/processes/0/cmdline",
    ],
    ["name over 255", (r) => (r.processes[0].name = "n".repeat(256)), "/processes/0/name"],
    [
      "too many IPs",
      (r) => (r.host.ip_addresses = new Array(LIMITS.ipAddresses + 1).fill("10.0.0.1")),
      "/host/ip_addresses",
    ],
    [
      "an IP with a space",
      (r) => (r.host.ip_addresses = ["10.0.0.1 10.0.0.2"]),
      "/host/ip_addresses/0",
    ],
    ["sessions not an array", (r) => (r.sessions = {}), "/sessions"],
    ["session without terminal", (r) => delete r.sessions[0].terminal, "/sessions/0/terminal"],
    ["processes missing", (r) => delete r.processes, "/processes"],
    ["memory as a string", (r) => (r.memory.total_bytes = "8G"), "/memory/total_bytes"],
    ["duplicate pid", (r) => (r.processes[1].pid = 1), "/processes/1/pid"],
    ["duplicate session", (r) => r.sessions.push({ ...r.sessions[0] }), "/sessions/1"],
    ["a NUL character in a name", (r) => (r.processes[1].name = "a\u0000b"), "/processes/1/name"],
    ["a NUL character in a session", (r) => (r.sessions[0].user = "\u0000"), "/sessions/0/user"],
    [
      "process started_at not a time",
      (r) => (r.processes[0].started_at = "2026-13-45T99:00:00Z"),
      "/processes/0/started_at",
    ],
  ];
  for (const [name, change, path] of cases) {
    test(`rejects ${name}, naming ${path}`, () => {
      const found = problems(change);
      assert.ok(
        found.some((p) => p.path === path),
        `expected a problem at ${path}, got ${JSON.stringify(found)}`,
      );
    });
  }

  test("20,000 processes are accepted, 20,001 are rejected (never truncated)", () => {
    const make = (n: number) => {
      const r = valid();
      r.processes = Array.from({ length: n }, (_, i) => ({
        pid: i + 1,
        ppid: 0,
        name: "p",
        user: "u",
        cpu_percent: 0,
        rss_bytes: 0,
      }));
      return r;
    };
    assert.equal(validateReport(make(LIMITS.processes)).ok, true);
    const v = validateReport(make(LIMITS.processes + 1));
    assert.equal(v.ok, false);
    assert.ok(!v.ok && v.problems.some((p) => p.path === "/processes"));
  });

  test("a report with thousands of errors answers with a short list", () => {
    const r = valid() as unknown as Record<string, any>;
    r.processes = Array.from({ length: 5000 }, () => ({ pid: "x" }));
    const v = validateReport(r);
    assert.equal(v.ok, false);
    assert.ok(!v.ok && v.problems.length <= 20 && v.problems.length > 0);
  });

  test("not an object at all", () => {
    for (const value of [null, 42, "report", []]) {
      const v = validateReport(value);
      assert.equal(v.ok, false);
    }
  });
});
