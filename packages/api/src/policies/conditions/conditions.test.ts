import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Policy, PolicyStatus, Report } from "@compliance/contract";
import { compilePolicy, evaluate } from "../evaluate.ts";
import { cleanReport } from "../report-fixtures.ts";

const policyOf = (condition: Record<string, unknown>): Policy =>
  ({
    id: "p",
    name: "p",
    severity: "low",
    description: "",
    resolution: "",
    tags: [],
    check: { all: [condition] },
  }) as Policy;

type Case = {
  name: string;
  condition: Record<string, unknown>;
  expected: PolicyStatus;
  report?: (r: Report) => void;
  context?: { previousCollectedAt?: string; now?: Date; intervalMs?: number };
};

const drop =
  (key: "packages" | "listening" | "accounts" | "services" | "settings") => (r: Report) => {
    delete r[key];
  };
const failed = (collector: string) => (r: Report) => {
  r.errors = [{ collector, message: "permission denied" }];
};

const CASES: Case[] = [
  // process
  { name: "process by name", condition: { process: { name: "sshd" } }, expected: "pass" },
  {
    name: "process by glob",
    condition: { process: { name: "ngin*", user: "www-data" } },
    expected: "pass",
  },
  {
    name: "process by regex",
    condition: { process: { cmdline: "/^nginx: (master|worker)/" } },
    expected: "pass",
  },
  { name: "process absent", condition: { process: { name: "postgres" } }, expected: "fail" },
  { name: "process count", condition: { process: { name: "nginx", count: 2 } }, expected: "pass" },
  {
    name: "process count bounds",
    condition: { process: { name: "nginx", count: "ge:3" } },
    expected: "fail",
  },
  { name: "process cpu above", condition: { process: { cpu_percent: "gt:50" } }, expected: "fail" },
  { name: "process rss above", condition: { process: { rss_bytes: "gt:7MiB" } }, expected: "pass" },
  {
    name: "process negated user",
    condition: { process: { name: "nginx", user: { not: ["root", "www-data"] } } },
    expected: "fail",
  },
  {
    name: "processes unknown",
    condition: { process: { name: "sshd" } },
    expected: "unknown",
    report: failed("processes"),
  },
  {
    name: "cmdline not collected at all",
    condition: { process: { cmdline: "*nginx*" } },
    expected: "unknown",
    report: (r) => {
      for (const p of r.processes) delete p.cmdline;
    },
  },
  // session
  {
    name: "session remote in range",
    condition: { session: { address: "10.0.0.0/8" } },
    expected: "pass",
  },
  {
    name: "session remote out of range",
    condition: { session: { address: { not: ["10.0.0.0/8", "fd00::/8"] } } },
    expected: "fail",
  },
  {
    name: "session local is not remote",
    condition: { session: { user: "root", remote: true } },
    expected: "fail",
  },
  { name: "session terminal", condition: { session: { terminal: "tty?" } }, expected: "pass" },
  {
    name: "session IPv6 in range",
    condition: { session: { address: "2001:db8::/32" } },
    expected: "pass",
    report: (r) => {
      r.sessions.push({ user: "bob", terminal: "pts/1", remote_host: "2001:db8::7" });
    },
  },
  {
    name: "session from a host name is undecidable",
    condition: { session: { address: "192.168.0.0/16" } },
    expected: "unknown",
    report: (r) => {
      r.sessions = [{ user: "bob", terminal: "pts/1", remote_host: "laptop.example" }];
    },
  },
  {
    name: "sessions unknown",
    condition: { session: { user: "alice" } },
    expected: "unknown",
    report: failed("sessions"),
  },
  // os
  {
    name: "os name and version",
    condition: { os: { name: "Debian*", version: "ge:12" } },
    expected: "pass",
  },
  { name: "os version too old", condition: { os: { version: "ge:13" } }, expected: "fail" },
  {
    name: "kernel range",
    condition: { os: { kernel: { all: ["ge:6.1", "lt:6.2"] } } },
    expected: "pass",
  },
  {
    name: "os unknown",
    condition: { os: { platform: "linux" } },
    expected: "unknown",
    report: failed("os"),
  },
  // host
  {
    name: "host memory",
    condition: { host: { memory_bytes: "ge:4GiB", cores: "ge:2" } },
    expected: "pass",
  },
  { name: "host too small", condition: { host: { memory_bytes: "ge:16GB" } }, expected: "fail" },
  { name: "host address", condition: { host: { address: "10.0.2.0/24" } }, expected: "pass" },
  {
    name: "host address elsewhere",
    condition: { host: { address: "192.168.0.0/16" } },
    expected: "fail",
  },
  {
    name: "host memory unknown",
    condition: { host: { memory_bytes: "ge:1GiB" } },
    expected: "unknown",
    report: failed("memory"),
  },
  // package
  { name: "package installed", condition: { package: { name: "openssl" } }, expected: "pass" },
  { name: "package missing", condition: { package: { name: "aide" } }, expected: "fail" },
  {
    name: "package version below (dpkg order)",
    condition: { package: { name: "openssl", version: "lt:3.0.15" } },
    expected: "fail",
  },
  {
    name: "package version at least",
    condition: { package: { name: "openssl", version: "ge:3.0.13" } },
    expected: "pass",
  },
  {
    name: "package epoch",
    condition: { package: { name: "openssh-server", version: "gt:9.9" } },
    expected: "pass",
  },
  {
    name: "package glob name",
    condition: { package: { name: "openss*", count: 2 } },
    expected: "pass",
  },
  {
    name: "packages not collected",
    condition: { package: { name: "openssl" } },
    expected: "unknown",
    report: drop("packages"),
  },
  {
    name: "packages failed",
    condition: { package: { name: "openssl" } },
    expected: "unknown",
    report: failed("packages"),
  },
  // listening
  {
    name: "listening port",
    condition: { listening: { port: 22, process: "sshd" } },
    expected: "pass",
  },
  {
    name: "listening exposed",
    condition: { listening: { port: 514, loopback: false } },
    expected: "fail",
  },
  {
    name: "listening address range",
    condition: { listening: { port: 514, address: "127.0.0.0/8" } },
    expected: "pass",
  },
  {
    name: "listening not collected",
    condition: { listening: { port: 22 } },
    expected: "unknown",
    report: drop("listening"),
  },
  // account
  {
    name: "account root uid 0",
    condition: { account: { name: "root", uid: 0 } },
    expected: "pass",
  },
  {
    name: "account shells",
    condition: { account: { uid: "ge:1000", shell: { not: ["/bin/bash", "/bin/sh"] } } },
    expected: "fail",
  },
  {
    name: "account password unknown",
    condition: { account: { password: "empty" } },
    expected: "unknown",
    report: (r) => {
      for (const a of r.accounts ?? []) delete a.password;
    },
  },
  {
    name: "accounts not collected",
    condition: { account: { name: "root" } },
    expected: "unknown",
    report: drop("accounts"),
  },
  // service
  {
    name: "service active",
    condition: { service: { name: "cron.service", active: true, enabled: true } },
    expected: "pass",
  },
  {
    name: "service state",
    condition: { service: { name: "auditd.service", state: "failed" } },
    expected: "fail",
  },
  {
    name: "static unit is not enabled",
    condition: { service: { name: "systemd-journald.service", enabled: true } },
    expected: "fail",
  },
  {
    name: "services not collected",
    condition: { service: { name: "cron.service" } },
    expected: "unknown",
    report: drop("services"),
  },
  // sysctl, sshd
  {
    name: "sysctl value",
    condition: { sysctl: { name: "kernel.randomize_va_space", value: 2 } },
    expected: "pass",
  },
  {
    name: "sysctl comparison",
    condition: { sysctl: { name: "kernel.randomize_va_space", value: "ge:3" } },
    expected: "fail",
  },
  {
    name: "sysctl glob over names",
    condition: { sysctl: { name: "net.ipv4.conf.*.accept_redirects", value: 0 } },
    expected: "pass",
  },
  {
    name: "sysctl not sent",
    condition: { sysctl: { name: "kernel.kptr_restrict", value: 1 } },
    expected: "unknown",
  },
  {
    name: "sysctl section absent",
    condition: { sysctl: { name: "fs.suid_dumpable", value: 0 } },
    expected: "unknown",
    report: drop("settings"),
  },
  {
    name: "sshd option",
    condition: { sshd: { option: "permitrootlogin", value: "no" } },
    expected: "pass",
  },
  {
    name: "sshd option case-blind regex",
    condition: { sshd: { option: "x11forwarding", value: "/^yes$/i" } },
    expected: "fail",
  },
  // file
  {
    name: "file mode no wider",
    condition: { file: { path: "/etc/shadow", max_mode: "0640", uid: 0 } },
    expected: "pass",
  },
  {
    name: "file mode too wide",
    condition: { file: { path: "/etc/passwd", max_mode: "0600" } },
    expected: "fail",
  },
  { name: "file owner", condition: { file: { path: "/etc/shadow", gid: 0 } }, expected: "fail" },
  {
    name: "file not sent",
    condition: { file: { path: "/etc/gshadow", max_mode: "0640" } },
    expected: "unknown",
  },
  // freshness
  {
    name: "fresh",
    condition: { freshness: {} },
    expected: "pass",
    context: { previousCollectedAt: "2026-11-22T10:14:53Z", intervalMs: 60_000 },
  },
  {
    name: "late after the previous",
    condition: { freshness: { intervals: 2 } },
    expected: "fail",
    context: { previousCollectedAt: "2026-11-22T10:00:00Z", intervalMs: 60_000 },
  },
  {
    name: "first report",
    condition: { freshness: {} },
    expected: "pass",
    context: { intervalMs: 60_000 },
  },
  {
    name: "stale at read time",
    condition: { freshness: {} },
    expected: "fail",
    context: { intervalMs: 60_000, now: new Date("2026-11-22T11:00:00Z") },
  },
  { name: "interval unknown", condition: { freshness: {} }, expected: "unknown", context: {} },
];

describe("condition kinds", () => {
  for (const c of CASES) {
    test(`${Object.keys(c.condition)[0]}: ${c.name} -> ${c.expected}`, () => {
      const report = cleanReport();
      c.report?.(report);
      const result = evaluate(compilePolicy(policyOf(c.condition)), { report, ...c.context });
      assert.equal(result.status, c.expected, JSON.stringify(result));
    });
  }

  test("a failing all shows near misses: the named service and its state", () => {
    const result = evaluate(
      compilePolicy(policyOf({ service: { name: "auditd.service", state: "failed" } })),
      { report: cleanReport() },
    );
    assert.deepEqual(result.reasons[0]?.items, [
      { name: "auditd.service", state: "active", enabled: true },
    ]);
  });

  test("evidence is bounded, the total is not", () => {
    const report = cleanReport();
    for (let i = 0; i < 100; i++)
      report.processes.push({ ...report.processes[0]!, pid: 50_000 + i });
    const result = evaluate(
      compilePolicy({ ...policyOf({}), check: { none: [{ process: { name: "systemd" } }] } }),
      { report },
    );
    assert.equal(result.status, "fail");
    assert.equal(result.reasons[0]?.items.length, 20);
    assert.equal(result.reasons[0]?.total, 101);
  });
});
