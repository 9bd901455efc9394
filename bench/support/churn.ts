import { randomUUID } from "node:crypto";
import type { Report, ReportProcess } from "@compliance/contract";

/**
 * A host whose processes evolve like a real server's: most are idle daemons with steady
 * RSS and 0 % CPU; a few are busy (their CPU and RSS move every check-in); each check-in
 * replaces `changed` processes by new ones (short jobs ending, new ones starting).
 */
export class ChurningHost {
  private processes: ReportProcess[];
  private nextPid = 20_000;
  private t: number;
  private rng: () => number;

  constructor(
    readonly identifier: string,
    size = 300,
    start = Date.parse("2026-01-01T00:00:00Z"),
    seed = 1,
    private readonly busyShare = 0.1,
  ) {
    let s = seed >>> 0 || 1;
    this.rng = () => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) / 2 ** 32;
    };
    this.t = start;
    this.processes = Array.from({ length: size }, (_, i) => this.make(100 + i));
  }

  private make(pid: number): ReportProcess {
    const name = ["nginx", "postgres", "sshd", "cron", "node", "python3", "java", "redis-server"][
      pid % 8
    ]!;
    return {
      pid,
      ppid: 1,
      name,
      user: pid % 3 === 0 ? "www-data" : "root",
      cpu_percent: 0,
      rss_bytes: (2_000 + (pid % 97) * 311) * 1024,
      started_at: new Date(this.t - 3600_000).toISOString(),
      cmdline: `/usr/bin/${name} --worker ${pid} --config /etc/${name}/${name}.conf`,
    };
  }

  /** The next check-in, `intervalMs` after the previous one. */
  next(changed: number, intervalMs = 300_000): Report {
    this.t += intervalMs;
    for (let k = 0; k < changed; k++) {
      const i = Math.floor(this.rng() * this.processes.length);
      this.processes[i] = this.make(this.nextPid++);
    }
    const busy = Math.floor(this.processes.length * this.busyShare);
    const processes = this.processes.map((p, i) =>
      i < busy
        ? {
            ...p,
            cpu_percent: Math.round(this.rng() * 500) / 100,
            rss_bytes: p.rss_bytes + Math.floor(this.rng() * 64) * 4096,
          }
        : p,
    );
    processes.sort((a, b) => a.pid - b.pid);
    return {
      schema_version: 1,
      report_id: randomUUID(),
      collected_at: new Date(this.t).toISOString(),
      agent: { version: "0.1.0" },
      host: {
        identifier: this.identifier,
        hostname: this.identifier,
        primary_ip: "10.0.0.1",
        ip_addresses: ["10.0.0.1"],
      },
      os: {
        platform: "linux",
        name: "Debian GNU/Linux",
        version: "12 (bookworm)",
        kernel: "6.1.0-18-amd64",
        arch: "x64",
      },
      cpu: {
        model: "Intel(R) Xeon(R)",
        vendor: "GenuineIntel",
        cores: 4,
        usage_percent: Math.round(this.rng() * 1000) / 10,
      },
      memory: {
        total_bytes: 16 * 1024 ** 3,
        available_bytes: Math.floor(8 * 1024 ** 3 * (1 + this.rng())),
      },
      processes,
      sessions: [
        {
          user: "ana",
          terminal: "pts/0",
          remote_host: "10.0.0.9",
          started_at: "2026-01-01T00:00:00Z",
          pid: 4242,
        },
      ],
    };
  }
}
