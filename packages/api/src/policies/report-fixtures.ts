import type { Report, ReportProcess } from "@compliance/contract";

/**
 * Reports to evaluate policies on, for the tests and the evaluation benchmark: a clean,
 * hardened Debian server with every inventory section, and ways to spoil it.
 */

const proc = (pid: number, name: string, user: string, cmdline?: string): ReportProcess => ({
  pid,
  ppid: pid === 1 ? 0 : 1,
  name,
  user,
  cpu_percent: 0.1,
  rss_bytes: 8_000_000,
  ...(cmdline === undefined ? {} : { cmdline }),
});

const SYSCTL = {
  "net.ipv4.ip_forward": "0",
  "net.ipv6.conf.all.forwarding": "0",
  "kernel.randomize_va_space": "2",
  "fs.suid_dumpable": "0",
  "net.ipv4.conf.all.accept_redirects": "0",
  "net.ipv4.conf.default.accept_redirects": "0",
  "net.ipv4.conf.all.send_redirects": "0",
  "net.ipv4.conf.default.send_redirects": "0",
};

const SSHD = {
  permitrootlogin: "no",
  permitemptypasswords: "no",
  passwordauthentication: "no",
  x11forwarding: "no",
  port: "22",
};

/** A clean report: every starter policy passes on it. */
export function cleanReport(): Report {
  return {
    schema_version: 1,
    report_id: "0b7d7f1e-3c4a-4d8e-9f00-5a6b7c8d9e0f",
    collected_at: "2026-11-22T10:15:53Z",
    agent: { version: "0.1.0" },
    host: {
      identifier: "4f1c0d2e9a8b7c6d",
      hostname: "web-1",
      primary_ip: "10.0.2.15",
      ip_addresses: ["10.0.2.15", "fe80::a00:27ff:fe4e:66a1"],
    },
    os: {
      platform: "linux",
      name: "Debian GNU/Linux",
      version: "12 (bookworm)",
      kernel: "6.1.0-18-amd64",
      arch: "x64",
    },
    cpu: { model: "Intel(R) Xeon(R)", vendor: "GenuineIntel", cores: 4, usage_percent: 3.5 },
    memory: { total_bytes: 8_000_000_000, available_bytes: 5_000_000_000 },
    processes: [
      proc(1, "systemd", "root", "/sbin/init"),
      proc(2, "kthreadd", "root"),
      proc(15, "kworker/0:1", "root"),
      proc(412, "cron", "root", "/usr/sbin/cron -f"),
      proc(420, "auditd", "root", "/sbin/auditd"),
      proc(512, "rsyslogd", "root", "/usr/sbin/rsyslogd -n -iNONE"),
      proc(812, "sshd", "root", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"),
      proc(901, "nginx", "root", "nginx: master process /usr/sbin/nginx"),
      proc(902, "nginx", "www-data", "nginx: worker process"),
      proc(4242, "bash", "alice", "-bash"),
    ],
    sessions: [
      { user: "alice", terminal: "pts/0", remote_host: "10.0.0.9", pid: 4242 },
      { user: "root", terminal: "tty1" },
    ],
    packages: [
      { name: "openssh-server", version: "1:9.2p1-2+deb12u3", arch: "amd64", source: "deb" },
      { name: "openssl", version: "3.0.15-1~deb12u1", arch: "amd64", source: "deb" },
      { name: "auditd", version: "1:3.0.9-1", arch: "amd64", source: "deb" },
      { name: "cron", version: "3.0pl1-162", arch: "amd64", source: "deb" },
      { name: "nginx", version: "1.22.1-9", arch: "amd64", source: "deb" },
      { name: "telnet", version: "0.17+2.4-2", arch: "all", source: "deb" },
    ],
    listening: [
      { protocol: "tcp", address: "0.0.0.0", port: 22, pid: 812, process: "sshd" },
      { protocol: "tcp6", address: "::", port: 22, pid: 812, process: "sshd" },
      { protocol: "tcp", address: "0.0.0.0", port: 443, pid: 901, process: "nginx" },
      { protocol: "udp", address: "127.0.0.1", port: 514, pid: 512, process: "rsyslogd" },
    ],
    accounts: [
      { name: "root", uid: 0, gid: 0, home: "/root", shell: "/bin/bash", password: "locked" },
      {
        name: "daemon",
        uid: 1,
        gid: 1,
        home: "/usr/sbin",
        shell: "/usr/sbin/nologin",
        password: "locked",
      },
      {
        name: "www-data",
        uid: 33,
        gid: 33,
        home: "/var/www",
        shell: "/usr/sbin/nologin",
        password: "locked",
      },
      {
        name: "alice",
        uid: 1000,
        gid: 1000,
        home: "/home/alice",
        shell: "/bin/bash",
        password: "set",
      },
    ],
    services: [
      { name: "ssh.service", state: "active", enabled: true },
      { name: "auditd.service", state: "active", enabled: true },
      { name: "cron.service", state: "active", enabled: true },
      { name: "nginx.service", state: "active", enabled: true },
      { name: "systemd-journald.service", state: "active" },
    ],
    settings: {
      sysctl: { ...SYSCTL },
      sshd: { ...SSHD },
      files: [
        { path: "/etc/shadow", mode: "0640", uid: 0, gid: 42 },
        { path: "/etc/passwd", mode: "0644", uid: 0, gid: 0 },
      ],
    },
    errors: [],
  };
}

/**
 * The clean report after a break-in: a miner running from /tmp and talking to a pool,
 * telnetd installed and listening, an account with an empty password, root logins over SSH.
 */
export function compromisedReport(): Report {
  const r = cleanReport();
  r.processes.push(
    {
      ...proc(6666, "xmrig", "www-data", "/tmp/.x/xmrig -o stratum+tcp://pool.example:3333 -u 4A"),
      cpu_percent: 390,
    },
    proc(700, "inetd", "root", "/usr/sbin/inetd"),
  );
  r.packages?.push({ name: "telnetd", version: "0.17+2.4-2", arch: "amd64", source: "deb" });
  r.listening?.push({ protocol: "tcp", address: "0.0.0.0", port: 23, pid: 700, process: "inetd" });
  r.accounts?.push({
    name: "backup2",
    uid: 1001,
    gid: 1001,
    home: "/home/backup2",
    shell: "/bin/sh",
    password: "empty",
  });
  if (r.settings?.sshd) r.settings.sshd.permitrootlogin = "yes";
  return r;
}

/** The clean report as an agent without the inventory collectors sends it. */
export function bareReport(): Report {
  const { packages, listening, accounts, services, settings, ...rest } = cleanReport();
  return rest;
}

/** A large report: n processes and m packages, for timing. */
export function largeReport(processes: number, packages: number): Report {
  const r = cleanReport();
  for (let i = 0; i < processes; i++) {
    r.processes.push(
      proc(
        10_000 + i,
        `worker-${i % 40}`,
        i % 3 ? "app" : "root",
        `/opt/app/bin/worker --id ${i} --queue jobs-${i % 7}`,
      ),
    );
  }
  for (let i = 0; i < packages; i++) {
    r.packages?.push({
      name: `lib-package-${i}`,
      version: `1.${i % 50}.${i % 7}-1`,
      arch: "amd64",
      source: "deb",
    });
  }
  return r;
}
