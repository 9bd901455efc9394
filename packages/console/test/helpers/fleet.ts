import type {
  Report,
  ReportAccount,
  ReportListening,
  ReportPackage,
  ReportProcess,
  ReportService,
  ReportSession,
  ReportSettings,
} from "@compliance/contract";
import { makeProcess, makeReport, makeSession } from "../../../api/test/helpers/reports.ts";

/**
 * A small fleet whose history is known exactly: the console tests assert on these names.
 *
 * The audited host, pay-gateway-01, reports four times, an hour apart:
 *   E1  systemd, sshd, cron, nginx, java-payments          alice logged in
 *   E2  + backup-agent                                      alice
 *   E3  − nginx, + redis-server                             alice, + bob
 *   E4  − backup-agent, + certbot, kernel upgraded          − alice, bob
 * so E2 → E4 started redis-server and certbot, ended nginx and backup-agent, opened bob's
 * session, closed alice's and changed os.kernel.
 *
 * Its inventory, collected every time:
 *   E1, E2  openssl 3.0.11, nginx, openjdk, kernel 6.1.0-18; nginx.service running
 *   E3      + redis-server (package, account, service, socket 6379); nginx.service stopped,
 *           its socket 443 closed
 *   E4      openssl upgraded to 3.0.13, + certbot, + kernel 6.1.0-20; nginx.service also
 *           disabled; the backup account locked; sshd password logins turned off
 * cache-01 could not read its package database: its packages are unknown, not none.
 */
export const AUDIT_HOST = "pay-gateway-01";
/** Processes in the order the API lists them (by pid); inventory items as shown, by name. */
export const AUDIT_DIFF_E2_E4 = {
  started: ["redis-server", "certbot"],
  ended: ["nginx", "backup-agent"],
  opened: ["bob"],
  closed: ["alice"],
  facts: ["os.kernel"],
  packagesInstalled: ["certbot", "linux-image-6.1.0-20-amd64", "redis-server"],
  /** Name, then old → new version. */
  packagesUpgraded: [["openssl", "3.0.11-1~deb12u2 → 3.0.13-1~deb12u1"]],
  /** Protocol, address, port. */
  socketsOpened: [["tcp", "127.0.0.1", "6379"]],
  socketsClosed: [["tcp", "0.0.0.0", "443"]],
  accountsAdded: ["redis"],
  accountsChanged: ["backup"],
  servicesAdded: ["certbot.timer", "redis-server.service"],
  /** Name, then the change in words. */
  servicesChanged: [["nginx.service", "stopped, disabled"]],
  settingsChanged: ["passwordauthentication"],
} as const;

/** The audited host's packages at E2 and at E4 (its latest), by name. */
export const AUDIT_PACKAGES = {
  e2: ["base-files", "linux-image-6.1.0-18-amd64", "nginx", "openjdk-17-jre-headless", "openssl"],
  latest: [
    "base-files",
    "certbot",
    "linux-image-6.1.0-18-amd64",
    "linux-image-6.1.0-20-amd64",
    "nginx",
    "openjdk-17-jre-headless",
    "openssl",
    "redis-server",
  ],
} as const;

/** The host that could not list its packages, and why. */
export const UNKNOWN_PACKAGES_HOST = "cache-01";
export const UNKNOWN_PACKAGES_REASON = "rpm: the package database is locked";

const HOUR = 3600_000;

function proc(pid: number, name: string, user: string, cmdline: string, cpu = 0.5) {
  return makeProcess({
    pid,
    ppid: pid === 1 ? 0 : 1,
    name,
    user,
    cmdline,
    cpu_percent: cpu,
    rss_bytes: (20 + (pid % 97)) * 1024 * 1024,
    started_at: "2026-01-10T08:00:00Z",
  });
}

const systemd = proc(1, "systemd", "root", "/sbin/init", 0.1);
const sshd = proc(812, "sshd", "root", "sshd: /usr/sbin/sshd -D", 0);
const cron = proc(900, "cron", "root", "/usr/sbin/cron -f", 0);
const nginx = proc(1200, "nginx", "www-data", "nginx: master process /usr/sbin/nginx", 1.2);
const java = proc(
  1500,
  "java-payments",
  "payments",
  "/usr/bin/java -Xmx2g -jar /opt/payments/gateway.jar --port 8443",
  37.5,
);
const backup = proc(2100, "backup-agent", "backup", "/opt/backup/bin/backup-agent --daily", 4);
const redis = proc(2300, "redis-server", "redis", "/usr/bin/redis-server 127.0.0.1:6379", 2.5);
const certbot = proc(2400, "certbot", "root", "/usr/bin/certbot renew --quiet", 8);

const alice = makeSession({
  user: "alice",
  terminal: "pts/0",
  remote_host: "10.20.0.7",
  started_at: "2026-01-10T08:30:00Z",
  pid: 3100,
});
const bob = makeSession({
  user: "bob",
  terminal: "pts/1",
  remote_host: "10.20.0.9",
  started_at: "2026-01-10T09:30:00Z",
  pid: 3200,
});

const deb = (name: string, version: string, arch = "amd64"): ReportPackage => ({
  name,
  version,
  arch,
  source: "deb",
});
const tcp = (address: string, port: number, pid: number, process: string): ReportListening => ({
  protocol: address.includes(":") ? "tcp6" : "tcp",
  address,
  port,
  pid,
  process,
});
const account = (
  name: string,
  uid: number,
  home: string,
  shell: string,
  password: ReportAccount["password"],
): ReportAccount => ({ name, uid, gid: uid, home, shell, password });
const service = (name: string, state: string, enabled?: boolean): ReportService =>
  enabled === undefined ? { name, state } : { name, state, enabled };

/** The audited host's inventory at E1 to E4 (see above). */
function auditInventory(
  i: number,
): Pick<Report, "packages" | "listening" | "accounts" | "services" | "settings"> {
  const e3 = i >= 2;
  const e4 = i >= 3;
  const packages = [
    deb("base-files", "12.4+deb12u5"),
    deb("linux-image-6.1.0-18-amd64", "6.1.76-1"),
    deb("nginx", "1.22.1-9"),
    deb("openjdk-17-jre-headless", "17.0.10+7-1~deb12u1"),
    deb("openssl", e4 ? "3.0.13-1~deb12u1" : "3.0.11-1~deb12u2"),
    ...(e3 ? [deb("redis-server", "5:7.0.15-1~deb12u1")] : []),
    ...(e4
      ? [deb("certbot", "2.1.0-4", "all"), deb("linux-image-6.1.0-20-amd64", "6.1.85-1")]
      : []),
  ];
  const listening = [
    tcp("0.0.0.0", 22, 812, "sshd"),
    ...(e3 ? [tcp("127.0.0.1", 6379, 2300, "redis-server")] : [tcp("0.0.0.0", 443, 1200, "nginx")]),
    tcp("::", 8443, 1500, "java-payments"),
  ];
  const accounts = [
    account("root", 0, "/root", "/bin/bash", "set"),
    account("www-data", 33, "/var/www", "/usr/sbin/nologin", "locked"),
    account(
      "backup",
      34,
      "/var/backups",
      e4 ? "/usr/sbin/nologin" : "/bin/sh",
      e4 ? "locked" : "set",
    ),
    account("payments", 1001, "/opt/payments", "/usr/sbin/nologin", "locked"),
    ...(e3 ? [account("redis", 105, "/var/lib/redis", "/usr/sbin/nologin", "locked")] : []),
  ];
  const services = [
    service("cron.service", "active", true),
    service("nginx.service", e3 ? "inactive" : "active", !e4),
    service("payments.service", "active", true),
    service("ssh.service", "active", true),
    ...(e3 ? [service("redis-server.service", "active", true)] : []),
    ...(e4 ? [service("certbot.timer", "active", true)] : []),
    service("systemd-journald.service", "active"),
  ];
  const settings: ReportSettings = {
    sysctl: {
      "kernel.randomize_va_space": "2",
      "net.ipv4.conf.all.accept_redirects": "0",
      "net.ipv4.ip_forward": "0",
    },
    sshd: {
      passwordauthentication: e4 ? "no" : "yes",
      permitrootlogin: "prohibit-password",
      x11forwarding: "no",
    },
    files: [
      { path: "/etc/shadow", mode: "0640", uid: 0, gid: 42 },
      { path: "/etc/ssh/sshd_config", mode: "0644", uid: 0, gid: 0 },
    ],
  };
  return { packages, listening, accounts, services, settings };
}

/** When each of the audited host's executions was collected, oldest first. */
export function auditTimes(now: number): number[] {
  return [5, 4, 3, 2].map((h) => now - h * HOUR);
}

export function auditReports(now: number): Report[] {
  const states: { processes: ReportProcess[]; sessions: ReportSession[]; kernel: string }[] = [
    { processes: [systemd, sshd, cron, nginx, java], sessions: [alice], kernel: "6.1.0-18-amd64" },
    {
      processes: [systemd, sshd, cron, nginx, java, backup],
      sessions: [alice],
      kernel: "6.1.0-18-amd64",
    },
    {
      processes: [systemd, sshd, cron, java, backup, redis],
      sessions: [alice, bob],
      kernel: "6.1.0-18-amd64",
    },
    {
      processes: [systemd, sshd, cron, java, redis, certbot],
      sessions: [bob],
      kernel: "6.1.0-20-amd64",
    },
  ];
  return auditTimes(now).map((t, i) => {
    const state = states[i]!;
    return makeReport({
      identifier: "machine-id-pay-gateway-01",
      collected_at: new Date(t).toISOString(),
      host: {
        identifier: "machine-id-pay-gateway-01",
        hostname: AUDIT_HOST,
        primary_ip: "10.20.1.15",
        ip_addresses: ["10.20.1.15", "fe80::5054:ff:fe12:3456"],
      },
      os: {
        platform: "linux",
        name: "Debian GNU/Linux",
        version: "12 (bookworm)",
        kernel: state.kernel,
        arch: "x64",
      },
      cpu: {
        model: "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",
        vendor: "GenuineIntel",
        cores: 16,
        usage_percent: [22, 31, 46, 28][i]!,
      },
      processes: state.processes,
      sessions: state.sessions,
      ...auditInventory(i),
    });
  });
}

const OTHERS = [
  {
    name: "web-01",
    os: ["Ubuntu", "22.04.4 LTS (Jammy Jellyfish)"],
    cpu: "AMD EPYC 7763 64-Core Processor",
  },
  {
    name: "web-02",
    os: ["Ubuntu", "22.04.4 LTS (Jammy Jellyfish)"],
    cpu: "AMD EPYC 7763 64-Core Processor",
  },
  {
    name: "web-03",
    os: ["Ubuntu", "24.04 LTS (Noble Numbat)"],
    cpu: "AMD EPYC 7763 64-Core Processor",
  },
  {
    name: "db-01",
    os: ["Debian GNU/Linux", "12 (bookworm)"],
    cpu: "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",
  },
  {
    name: "db-02",
    os: ["Debian GNU/Linux", "12 (bookworm)"],
    cpu: "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",
  },
  {
    name: "cache-01",
    os: ["Rocky Linux", "9.4 (Blue Onyx)"],
    cpu: "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",
  },
  {
    name: "build-01",
    os: ["Rocky Linux", "9.4 (Blue Onyx)"],
    cpu: "AMD EPYC 7763 64-Core Processor",
  },
] as const;

/**
 * The other hosts' inventory: packages of their distribution (but on cache-01, which could
 * not read them), sshd listening, and no settings collected.
 */
function fleetInventory(name: string, rpm: boolean): Partial<Report> {
  const listening: ReportListening[] = [tcp("0.0.0.0", 22, 812, "sshd")];
  const services = [service("sshd.service", "active", true)];
  if (name === UNKNOWN_PACKAGES_HOST) {
    return {
      listening,
      services,
      errors: [{ collector: "packages", message: UNKNOWN_PACKAGES_REASON }],
    };
  }
  const packages: ReportPackage[] = rpm
    ? [
        { name: "openssl", version: "1:3.0.7-27.el9", arch: "x86_64", source: "rpm" },
        { name: "openssh-server", version: "8.7p1-38.el9", arch: "x86_64", source: "rpm" },
      ]
    : [deb("openssl", "3.0.11-1~deb12u2"), deb("openssh-server", "1:9.2p1-2+deb12u2")];
  return { packages, listening, services };
}

/** The rest of the fleet: a few hosts, three executions each, one process coming and going. */
export function fleetReports(now: number): Report[] {
  const reports: Report[] = [];
  OTHERS.forEach((h, n) => {
    for (let k = 0; k < 3; k++) {
      const processes = [
        systemd,
        sshd,
        cron,
        proc(
          1300 + n,
          h.name.startsWith("db") ? "postgres" : "node",
          "app",
          `/usr/bin/${h.name}-service`,
          3 + n,
        ),
      ];
      if (k === 1)
        processes.push(
          proc(4000 + n, "logrotate", "root", "/usr/sbin/logrotate /etc/logrotate.conf"),
        );
      reports.push(
        makeReport({
          identifier: `machine-id-${h.name}`,
          collected_at: new Date(now - (3 - k) * HOUR - n * 60_000).toISOString(),
          host: {
            identifier: `machine-id-${h.name}`,
            hostname: h.name,
            primary_ip: `10.20.2.${10 + n}`,
            ip_addresses: [`10.20.2.${10 + n}`],
          },
          os: {
            platform: "linux",
            name: h.os[0],
            version: h.os[1],
            kernel: "6.8.0-31-generic",
            arch: "x64",
          },
          cpu: {
            model: h.cpu,
            vendor: h.cpu.startsWith("AMD") ? "AuthenticAMD" : "GenuineIntel",
            cores: 8,
            usage_percent: 5 + n * 3 + k,
          },
          processes,
          sessions:
            k === 2 && n % 2 === 0
              ? [makeSession({ user: "deploy", terminal: "pts/0", pid: 5000 + n })]
              : [],
          ...fleetInventory(h.name, h.os[0] === "Rocky Linux"),
        }),
      );
    }
  });
  return reports;
}

/**
 * A policy the audited host breaks from E3 on, when redis-server starts there: no cache
 * server on a payment host. Scoped by hostname, so the machine running the tests (which
 * may run Redis itself) passes it.
 */
export const NO_REDIS_ON_PAYMENT_HOSTS = {
  id: "no-redis-on-payment-hosts",
  name: "No Redis on payment hosts",
  severity: "high",
  description: "Payment hosts hold card data; a cache server there widens the audited scope.",
  resolution: "Stop and remove redis-server on the host; use the cache tier instead.",
  tags: ["pci"],
  references: ["PCI DSS 4.0 requirement 2.2.3"],
  check: {
    none: [{ all: [{ host: { hostname: "pay-*" } }, { process: { name: "redis-server" } }] }],
  },
} as const;

/** The process that breaks it, as the evidence shows it. */
export const OFFENDING_PROCESS = {
  pid: "2300",
  name: "redis-server",
  user: "redis",
  cmdline: "/usr/bin/redis-server 127.0.0.1:6379",
} as const;
