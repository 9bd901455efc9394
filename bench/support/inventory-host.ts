import {
  canonicalJson,
  compareText,
  type Report,
  type ReportAccount,
  type ReportListening,
  type ReportPackage,
  type ReportProcess,
  type ReportService,
  type ReportSettings,
} from "@compliance/contract";
import { ChurningHost } from "./churn.ts";
import { debianPackages, upgradedVersion } from "./debian-packages.ts";
import { seeded } from "./seeded.ts";

/**
 * How a host's agent orders its lists: as the system tools give them (dpkg by package
 * name, /etc/passwd order, systemctl by unit name, ...), or sorted by canonical JSON, the
 * order the API stores items in (then it need not keep the order sent).
 */
export type ListOrder = "native" | "canonical";

/** A list sorted by its items' canonical JSON; sorted once per list (lists are replaced, not changed). */
const sortedCache = new WeakMap<object[], object[]>();
function canonicalOrder<T extends object>(items: T[]): T[] {
  let sorted = sortedCache.get(items);
  if (!sorted) {
    sorted = items
      .map((item) => ({ key: canonicalJson(item), item }))
      .sort((a, b) => compareText(a.key, b.key))
      .map((x) => x.item);
    sortedCache.set(items, sorted);
  }
  return sorted as T[];
}

/**
 * A Debian server with every inventory section: its processes evolve as a ChurningHost's
 * do, and it has installed packages, listening sockets, accounts, systemd services and
 * settings (sysctl, sshd, file modes) that stay as they are unless the benchmark changes
 * them (an upgrade, a hardening fix, a drift).
 */
export class InventoryHost {
  private readonly churn: ChurningHost;
  packages: ReportPackage[];
  listening: ReportListening[];
  accounts: ReportAccount[];
  services: ReportService[];
  settings: ReportSettings;
  /** Extra processes (an intruder's miner), added to the churning ones while present. */
  extraProcesses: ReportProcess[] = [];
  private readonly rng: () => number;
  private readonly order: ListOrder;

  constructor(
    readonly identifier: string,
    options: {
      processes: number;
      packages: number;
      seed: number;
      start: number;
      order?: ListOrder;
    },
  ) {
    this.order = options.order ?? "native";
    this.churn = new ChurningHost(identifier, options.processes, options.start, options.seed);
    this.rng = seeded(options.seed * 7919 + 13);
    // Hosts come in a handful of roles, each with its own set of extra packages.
    this.packages = debianPackages(options.packages, 1 + (options.seed % 5));
    this.listening = [
      { protocol: "tcp", address: "0.0.0.0", port: 22, pid: 812, process: "sshd" },
      { protocol: "tcp6", address: "::", port: 22, pid: 812, process: "sshd" },
      { protocol: "udp", address: "127.0.0.1", port: 323, pid: 600, process: "chronyd" },
      { protocol: "tcp", address: "127.0.0.1", port: 25, pid: 1402, process: "exim4" },
    ];
    if (options.seed % 4 === 0) {
      this.listening.push(
        { protocol: "tcp", address: "0.0.0.0", port: 80, pid: 901, process: "nginx" },
        { protocol: "tcp", address: "0.0.0.0", port: 443, pid: 901, process: "nginx" },
      );
    }
    if (options.seed % 4 === 1) {
      this.listening.push({
        protocol: "tcp",
        address: "127.0.0.1",
        port: 5432,
        pid: 1100,
        process: "postgres",
      });
    }
    const system = (name: string, uid: number, home: string): ReportAccount => ({
      name,
      uid,
      gid: uid,
      home,
      shell: "/usr/sbin/nologin",
      password: "locked",
    });
    this.accounts = [
      { name: "root", uid: 0, gid: 0, home: "/root", shell: "/bin/bash", password: "locked" },
      system("daemon", 1, "/usr/sbin"),
      system("bin", 2, "/bin"),
      system("sys", 3, "/dev"),
      { ...system("sync", 4, "/bin"), shell: "/bin/sync" },
      system("games", 5, "/usr/games"),
      system("man", 6, "/var/cache/man"),
      system("lp", 7, "/var/spool/lpd"),
      system("mail", 8, "/var/mail"),
      system("news", 9, "/var/spool/news"),
      system("uucp", 10, "/var/spool/uucp"),
      system("proxy", 13, "/bin"),
      system("www-data", 33, "/var/www"),
      system("backup", 34, "/var/backups"),
      system("list", 38, "/var/list"),
      system("irc", 39, "/run/ircd"),
      system("_apt", 42, "/nonexistent"),
      system("nobody", 65534, "/nonexistent"),
      system("systemd-network", 998, "/"),
      system("messagebus", 100, "/nonexistent"),
      system("sshd", 101, "/run/sshd"),
      system("_chrony", 102, "/var/lib/chrony"),
      {
        name: "ana",
        uid: 1000,
        gid: 1000,
        home: "/home/ana",
        shell: "/bin/bash",
        password: "set",
      },
      {
        name: "deploy",
        uid: 1001,
        gid: 1001,
        home: "/home/deploy",
        shell: "/bin/bash",
        password: "locked",
      },
    ];
    const unit = (name: string, state = "active", enabled: boolean | undefined = true) =>
      enabled === undefined ? { name, state } : { name, state, enabled };
    this.services = [
      unit("apparmor.service"),
      unit("auditd.service"),
      unit("chrony.service"),
      unit("console-setup.service"),
      unit("cron.service"),
      unit("dbus.service", "active", undefined),
      unit("e2scrub_reap.service"),
      unit("exim4.service"),
      unit("getty@tty1.service"),
      unit("ifupdown-pre.service"),
      unit("keyboard-setup.service"),
      unit("kmod-static-nodes.service", "active", undefined),
      unit("networking.service"),
      unit("nftables.service", "inactive", false),
      unit("rsyslog.service"),
      unit("ssh.service"),
      unit("systemd-journal-flush.service", "active", undefined),
      unit("systemd-journald.service", "active", undefined),
      unit("systemd-logind.service", "active", undefined),
      unit("systemd-modules-load.service", "active", undefined),
      unit("systemd-random-seed.service", "active", undefined),
      unit("systemd-remount-fs.service", "active", undefined),
      unit("systemd-sysctl.service", "active", undefined),
      unit("systemd-timesyncd.service", "inactive", false),
      unit("systemd-tmpfiles-setup.service", "active", undefined),
      unit("systemd-udev-trigger.service", "active", undefined),
      unit("systemd-udevd.service", "active", undefined),
      unit("systemd-update-utmp.service", "active", undefined),
      unit("systemd-user-sessions.service", "active", undefined),
      unit("unattended-upgrades.service"),
      unit("user@1000.service", "active", undefined),
    ];
    if (options.seed % 4 === 0) this.services.push(unit("nginx.service"));
    if (options.seed % 4 === 1) this.services.push(unit("postgresql@15-main.service"));
    this.settings = {
      sysctl: {
        "fs.protected_hardlinks": "1",
        "fs.protected_symlinks": "1",
        "fs.suid_dumpable": "0",
        "kernel.dmesg_restrict": "1",
        "kernel.kptr_restrict": "1",
        "kernel.randomize_va_space": "2",
        "net.ipv4.conf.all.accept_redirects": "0",
        "net.ipv4.conf.all.send_redirects": "0",
        "net.ipv4.conf.default.accept_redirects": "0",
        "net.ipv4.conf.default.send_redirects": "0",
        "net.ipv4.ip_forward": "0",
        "net.ipv4.tcp_syncookies": "1",
        "net.ipv6.conf.all.accept_redirects": "0",
        "net.ipv6.conf.all.forwarding": "0",
      },
      sshd: {
        challengeresponseauthentication: "no",
        permitemptypasswords: "no",
        passwordauthentication: "no",
        permitrootlogin: "no",
        port: "22",
        pubkeyauthentication: "yes",
        usepam: "yes",
        x11forwarding: "no",
      },
      files: [
        { path: "/etc/group", mode: "0644", uid: 0, gid: 0 },
        { path: "/etc/gshadow", mode: "0640", uid: 0, gid: 42 },
        { path: "/etc/passwd", mode: "0644", uid: 0, gid: 0 },
        { path: "/etc/shadow", mode: "0640", uid: 0, gid: 42 },
        { path: "/etc/ssh/sshd_config", mode: "0600", uid: 0, gid: 0 },
      ],
    };
  }

  /** The installed version of a package, if any. */
  versionOf(name: string): string | undefined {
    return this.packages.find((p) => p.name === name)?.version;
  }

  /** Sets a package's version (a new array: earlier reports keep theirs). */
  setVersion(name: string, version: string): void {
    this.packages = this.packages.map((p) => (p.name === name ? { ...p, version } : p));
  }

  /** Upgrades `n` packages picked at random to their next version. */
  upgradeRandom(n: number): void {
    for (let k = 0; k < n; k++) {
      const p = this.packages[Math.floor(this.rng() * this.packages.length)]!;
      this.setVersion(p.name, upgradedVersion(p.version));
    }
  }

  setSshd(option: string, value: string): void {
    this.settings = { ...this.settings, sshd: { ...this.settings.sshd, [option]: value } };
  }

  setSysctl(name: string, value: string): void {
    this.settings = { ...this.settings, sysctl: { ...this.settings.sysctl, [name]: value } };
  }

  /** The next check-in: `processesChanged` processes replaced, everything else as it is now. */
  next(processesChanged: number, intervalMs = 300_000): Report {
    const report = this.churn.next(processesChanged, intervalMs);
    if (this.extraProcesses.length > 0) {
      report.processes = [...report.processes, ...this.extraProcesses];
    }
    const order = <T extends object>(items: T[]) =>
      this.order === "canonical" ? canonicalOrder(items) : items;
    report.packages = order(this.packages);
    report.listening = order(this.listening);
    report.accounts = order(this.accounts);
    report.services = order(this.services);
    report.settings =
      this.order === "canonical" && this.settings.files
        ? { ...this.settings, files: order(this.settings.files) }
        : this.settings;
    return report;
  }
}
