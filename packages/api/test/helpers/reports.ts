import { randomUUID } from "node:crypto";
import type { Report, ReportProcess, ReportSession } from "@compliance/contract";

/** Builds contract-valid reports for tests; every field can be overridden. */
export function makeReport(overrides: Partial<Report> & { identifier?: string } = {}): Report {
  const { identifier, ...rest } = overrides;
  return {
    schema_version: 1,
    report_id: randomUUID(),
    collected_at: new Date().toISOString(),
    agent: { version: "0.1.0" },
    host: {
      identifier: identifier ?? "host-test-1",
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
    memory: { total_bytes: 8 * 1024 ** 3, available_bytes: 5 * 1024 ** 3 },
    processes: [
      makeProcess({ pid: 1, ppid: 0, name: "systemd", user: "root", cmdline: "/sbin/init" }),
      makeProcess({ pid: 2, ppid: 0, name: "kthreadd", user: "root" }),
      makeProcess({
        pid: 812,
        ppid: 1,
        name: "sshd",
        user: "root",
        cmdline: "sshd: /usr/sbin/sshd -D",
      }),
    ],
    sessions: [
      makeSession({ user: "malasia", terminal: "pts/0", remote_host: "10.0.0.9", pid: 4242 }),
    ],
    ...rest,
  };
}

export function makeProcess(p: Partial<ReportProcess> & { pid: number }): ReportProcess {
  return {
    ppid: 1,
    name: `proc-${p.pid}`,
    user: "root",
    cpu_percent: 0,
    rss_bytes: 4096 * 100,
    started_at: "2026-11-20T08:00:00Z",
    ...p,
  };
}

export function makeSession(s: Partial<ReportSession> & { user: string }): ReportSession {
  return { terminal: "pts/0", started_at: "2026-11-22T09:00:00Z", ...s };
}

/** A report with n processes (pids 100..), for load and storage tests. */
export function reportWithProcesses(
  n: number,
  overrides: Partial<Report> & { identifier?: string } = {},
): Report {
  const processes: ReportProcess[] = [];
  for (let i = 0; i < n; i++) {
    processes.push(
      makeProcess({
        pid: 100 + i,
        name: `worker-${i % 40}`,
        user: i % 3 === 0 ? "www-data" : "root",
        cmdline: `/usr/bin/worker-${i % 40} --id ${i} --config /etc/worker/${i % 40}.conf`,
        rss_bytes: (1000 + i * 37) * 1024,
      }),
    );
  }
  return makeReport({ processes, ...overrides });
}
