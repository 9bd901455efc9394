import assert from "node:assert/strict";
import {
  chmodSync,
  cpSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { canonicalJson, type Report, validateReport } from "@compliance/contract";
import { INVENTORY_COLLECTORS } from "@compliance/contract/collectors";
import { COLLECTORS } from "../src/collectors/index.ts";
import type { ExecFn, SystemPaths } from "../src/collectors/types.ts";
import { CommandNotFoundError } from "../src/exec.ts";
import { RPM_QUERY_ARGS } from "../src/linux/rpm.ts";
import { findSocketOwners } from "../src/linux/socket-owners.ts";
import { LIST_UNIT_FILES_ARGS, LIST_UNITS_ARGS } from "../src/linux/systemctl.ts";
import { type CollectOptions, CpuBaseline, collectReport } from "../src/report.ts";
import { FakeClock } from "./clock.ts";
import { tempDir } from "./harness.ts";
import { FIXTURES, fixture } from "./helpers.ts";

const inventory = (name: string) => fixture(`inventory/${name}`);

/** Command outputs by command line; an Error is thrown as the command's failure. */
function fakeExec(outputs: Record<string, string | Error>): ExecFn {
  return async (file, args) => {
    const output = outputs[[file, ...args].join(" ")];
    if (output === undefined) throw new CommandNotFoundError(`${file} not found`);
    if (output instanceof Error) throw output;
    return output;
  };
}

const COMMANDS = {
  [["rpm", ...RPM_QUERY_ARGS].join(" ")]: inventory("rpm-qa.txt"),
  [["systemctl", ...LIST_UNITS_ARGS].join(" ")]: inventory("systemctl-list-units.txt"),
  [["systemctl", ...LIST_UNIT_FILES_ARGS].join(" ")]: inventory("systemctl-list-unit-files.txt"),
  "sshd -T": inventory("sshd-T.txt"),
};

function write(path: string, text: string, mode?: number): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  if (mode !== undefined) chmodSync(path, mode);
}

/** A process of the fake /proc: its name and its descriptors' link targets. */
function fakeProcess(proc: string, pid: number, comm: string, links: string[] | undefined) {
  write(join(proc, String(pid), "comm"), `${comm}\n`);
  if (links === undefined) return;
  mkdirSync(join(proc, String(pid), "fd"), { recursive: true });
  links.forEach((target, fd) => {
    symlinkSync(target, join(proc, String(pid), "fd", String(fd)));
  });
}

/** A host's file system in a directory: /proc, /etc, databases, systemd's marker. */
function fakeHost(root: string): SystemPaths {
  const proc = join(root, "proc");
  for (const table of ["tcp", "tcp6", "udp", "udp6"]) {
    write(join(proc, "net", table), inventory(`proc-net-${table}.txt`));
  }
  fakeProcess(proc, 1, "init", ["/dev/null"]);
  // The parent of a forking server and its worker share the socket: the parent is named.
  fakeProcess(proc, 250, "sshd", ["/dev/null", "pipe:[77]", "socket:[1001]", "socket:[1004]"]);
  fakeProcess(proc, 300, "sshd", ["socket:[1001]", "socket:[1004]"]);
  fakeProcess(proc, 400, "kworker/0:1", undefined);
  fakeProcess(proc, 1200, "java", ["socket:[1006]", "socket:[9999]"]);
  fakeProcess(proc, 90, "systemd-resolve", ["socket:[1002]", "socket:[1008]"]);
  write(join(proc, "sys/net/ipv4/ip_forward"), "0\n");
  write(join(proc, "sys/net/ipv4/tcp_syncookies"), "1\n");
  write(join(proc, "sys/kernel/randomize_va_space"), "2\n");
  write(join(proc, "sys/fs/suid_dumpable"), "0\n");
  const etc = join(root, "etc");
  write(join(etc, "machine-id"), "0123456789abcdef0123456789abcdef\n");
  write(join(etc, "passwd"), inventory("passwd.txt"), 0o644);
  write(join(etc, "shadow"), inventory("shadow.txt"), 0o640);
  cpSync(join(FIXTURES, "inventory/sshd-root/etc/ssh"), join(etc, "ssh"), { recursive: true });
  chmodSync(join(etc, "ssh/sshd_config"), 0o600);
  mkdirSync(join(etc, "cron.d"), { recursive: true });
  chmodSync(join(etc, "cron.d"), 0o700);
  write(join(root, "var/lib/dpkg/status"), inventory("dpkg-status.txt"));
  write(join(root, "lib/apk/db/installed"), inventory("apk-installed.txt"));
  mkdirSync(join(root, "run/systemd/system"), { recursive: true });
  return {
    proc,
    etc,
    usrLib: join(root, "usr/lib"),
    utmp: join(root, "run/utmp"),
    varLib: join(root, "var/lib"),
    lib: join(root, "lib"),
    run: join(root, "run"),
    root,
  };
}

const INVENTORY_ONLY = Object.fromEntries(
  INVENTORY_COLLECTORS.map((name) => [name, COLLECTORS[name]!]),
);

describe("inventory from a host's files", () => {
  let root: string;
  let paths: SystemPaths;
  const collect = (over: Partial<CollectOptions> = {}) =>
    collectReport({
      clock: new FakeClock(),
      cpuWindowMs: 0,
      platform: "linux",
      paths,
      exec: fakeExec(COMMANDS),
      collectors: { identifier: COLLECTORS.identifier!, ...INVENTORY_ONLY },
      ...over,
    });

  before(() => {
    root = tempDir("agent-inventory-");
    paths = fakeHost(root);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test("every section, sorted by canonical JSON, and the report passes the contract", async () => {
    const report = await collect();
    const check = validateReport(report);
    assert.ok(check.ok, JSON.stringify(!check.ok && check.problems));
    assert.deepEqual(report.errors, []);
    for (const list of [
      report.packages,
      report.listening,
      report.accounts,
      report.services,
      report.settings?.files,
    ]) {
      const keys = (list ?? []).map(canonicalJson);
      assert.deepEqual(keys, [...keys].sort(), "sorted by canonical JSON");
      assert.ok(keys.length > 0);
    }
  });

  test("packages of every manager present: dpkg, apk and rpm", async () => {
    const { packages = [] } = await collect();
    const count = (source: string) => packages.filter((p) => p.source === source).length;
    assert.deepEqual([count("deb"), count("apk"), count("rpm")], [5, 3, 6]);
    assert.ok(packages.some((p) => p.name === "openssl-libs" && p.version === "1:3.0.7-27.el9"));
    assert.ok(
      packages.some((p) => p.name === "vim-common" && p.version === "2:9.0.1378-2+deb12u2"),
    );
  });

  test("listening sockets with their process: the lowest pid of a shared socket", async () => {
    const { listening = [] } = await collect();
    const row = (l: Report["listening"] & object) =>
      l.map((s) => `${s.protocol} ${s.address} ${s.port} ${s.pid ?? "-"} ${s.process ?? "-"}`);
    assert.deepEqual(row(listening).sort(), [
      "tcp 0.0.0.0 22 250 sshd",
      "tcp 127.0.0.53 53 90 systemd-resolve",
      "tcp 192.168.1.10 443 - -",
      "tcp6 2001:db8::1:0:0:1 80 - -",
      "tcp6 :: 22 250 sshd",
      "tcp6 ::1 5432 - -",
      "tcp6 ::ffff:127.0.0.1 8080 1200 java",
      "udp 0.0.0.0 68 - -",
      "udp 127.0.0.53 53 90 systemd-resolve",
      "udp6 :: 5353 - -",
      "udp6 fe80::1 546 - -",
    ]);
  });

  test("the descriptor scan stops at its bound, and when every socket has its owner", () => {
    const all = findSocketOwners(paths.proc, new Set([1001, 1006]));
    assert.deepEqual([...all.owners].sort(), [
      [1001, 250],
      [1006, 1200],
    ]);
    assert.equal(all.truncated, false);
    const cut = findSocketOwners(paths.proc, new Set([1001, 1006]), new Map(), 6);
    assert.deepEqual([...cut.owners], [[1001, 250]]);
    assert.equal(cut.truncated, true);
  });

  test("the previous collection's holders are checked, not searched for again", () => {
    const hinted = findSocketOwners(
      paths.proc,
      new Set([1001, 1003, 1006]),
      new Map([
        [1001, { pid: 300, fd: "0" }], // still there: taken as is
        [1003, null], // nobody visible held it: not searched for
        [1006, { pid: 250, fd: "2" }], // that descriptor is another socket now: searched
      ]),
    );
    assert.deepEqual([...hinted.owners].sort(), [
      [1001, 300],
      [1006, 1200],
    ]);
    assert.deepEqual(hinted.holders.get(1006), { pid: 1200, fd: "0" });
    assert.equal(hinted.holders.get(1003), null);
    const first = findSocketOwners(paths.proc, new Set([1001, 1003]));
    assert.equal(first.holders.get(1003), null, "a complete search remembers who had none");
    const cut = findSocketOwners(paths.proc, new Set([1003]), new Map(), 3);
    assert.equal(cut.holders.has(1003), false, "a cut search does not");
  });

  test("daemon mode: an unchanged package database is not parsed again", async () => {
    const baseline = new CpuBaseline();
    const status = join(paths.varLib, "dpkg/status");
    const options = {
      collectors: { identifier: COLLECTORS.identifier!, packages: COLLECTORS.packages! },
      cpuBaseline: baseline,
    };
    const mtime = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    utimesSync(status, mtime, mtime);
    const first = await collect(options);
    // The same size, the same inode and time: to the agent, the same file.
    const text = readFileSync(status, "utf8");
    writeFileSync(status, text.replace("Package: adduser", "Package: adduseR"));
    utimesSync(status, mtime, mtime);
    const second = await collect(options);
    assert.deepEqual(second.packages, first.packages);
    // Written by dpkg (a new file): parsed again.
    rmSync(status);
    writeFileSync(status, text.replace("Package: adduser", "Package: adduseR"));
    const third = await collect(options);
    assert.ok(third.packages?.some((p) => p.name === "adduseR"));
    writeFileSync(status, text);
  });

  test("daemon mode: rpm is asked again only when its database changed", async () => {
    const baseline = new CpuBaseline();
    let asked = 0;
    const exec: ExecFn = (file, args) => {
      if (file === "rpm") asked++;
      return fakeExec(COMMANDS)(file, args);
    };
    const options = {
      collectors: { identifier: COLLECTORS.identifier!, packages: COLLECTORS.packages! },
      cpuBaseline: baseline,
      exec,
    };
    const rpmCount = (r: Report) => r.packages?.filter((p) => p.source === "rpm").length;
    // No database where rpm keeps it: asked at every collection.
    await collect(options);
    await collect(options);
    assert.equal(asked, 2);

    const database = join(paths.varLib, "rpm/rpmdb.sqlite");
    write(database, "packages");
    write(join(paths.varLib, "rpm/rpmdb.sqlite-shm"), "touched by every read");
    try {
      const first = await collect(options);
      assert.equal(asked, 3);
      // The shared memory file changes with every read: it is not part of the database.
      write(join(paths.varLib, "rpm/rpmdb.sqlite-shm"), "touched by every read, again");
      const second = await collect(options);
      assert.equal(asked, 3, "the same database: not asked again");
      assert.equal(rpmCount(second), 6);
      assert.deepEqual(second.packages, first.packages);
      // A package installed: the log beside the database grows.
      write(`${database}-wal`, "one more package");
      await collect(options);
      assert.equal(asked, 4);
      await collect(options);
      assert.equal(asked, 4);
      // Without the previous collection (one-shot runs): asked.
      await collect({ ...options, cpuBaseline: undefined });
      assert.equal(asked, 5);
    } finally {
      rmSync(join(paths.varLib, "rpm"), { recursive: true, force: true });
    }
  });

  test("accounts with their password state, and never a hash", async () => {
    const report = await collect();
    const state = Object.fromEntries((report.accounts ?? []).map((a) => [a.name, a.password]));
    assert.deepEqual(state, {
      root: "set",
      daemon: "locked",
      ana: "set",
      bob: "locked",
      kiosk: "empty",
      backup: "locked",
      svc: "locked",
      legacy: "none",
    });
    const text = JSON.stringify(report);
    for (const line of inventory("shadow.txt").trim().split("\n")) {
      const hash = line.split(":")[1]!;
      if (hash.length > 2) assert.ok(!text.includes(hash), "a hash reached the report");
    }
    assert.doesNotMatch(text, /\$6\$|\$y\$|Fixture/);
  });

  test("services from systemctl, the settings from /proc/sys, sshd -T and the files", async () => {
    const report = await collect();
    assert.equal(report.services?.length, 12);
    assert.deepEqual(report.settings?.sysctl, {
      "fs.suid_dumpable": "0",
      "kernel.randomize_va_space": "2",
      "net.ipv4.ip_forward": "0",
      "net.ipv4.tcp_syncookies": "1",
    });
    assert.equal(report.settings?.sshd?.permitrootlogin, "without-password");
    // Sorted by canonical JSON, whose first key is gid, then mode.
    const id = { uid: process.getuid!(), gid: process.getgid!() };
    assert.deepEqual(report.settings?.files, [
      { path: "/etc/ssh/sshd_config", mode: "0600", ...id },
      { path: "/etc/shadow", mode: "0640", ...id },
      { path: "/etc/passwd", mode: "0644", ...id },
      { path: "/etc/cron.d", mode: "0700", ...id },
    ]);
  });

  test("the list of sensitive files is a setting; missing ones are left out", async () => {
    const report = await collect({ sensitiveFiles: ["/etc/passwd", "/etc/nope", "/etc/passwd"] });
    assert.deepEqual(
      report.settings?.files?.map((f) => f.path),
      ["/etc/passwd"],
    );
  });

  test("without sshd -T (not installed, or failing as non-root): sshd_config as parsed", async () => {
    const notInstalled: Record<string, string | Error> = { ...COMMANDS };
    delete notInstalled["sshd -T"];
    const failing = { ...COMMANDS, "sshd -T": new Error("sshd -T failed: no hostkeys available") };
    for (const outputs of [notInstalled, failing]) {
      const report = await collect({ exec: fakeExec(outputs) });
      assert.equal(report.settings?.sshd?.permitrootlogin, "no");
      assert.equal(report.settings?.sshd?.allowusers, "ana bob carol");
      assert.deepEqual(report.errors, []);
    }
  });

  test("switched off: absent, and nothing in errors", async () => {
    const report = await collect({ skip: [...INVENTORY_COLLECTORS] });
    for (const field of ["packages", "listening", "accounts", "services", "settings"] as const) {
      assert.equal(report[field], undefined, field);
    }
    assert.deepEqual(report.errors, []);
    const required = await collect({ skip: ["identifier", ...INVENTORY_COLLECTORS] });
    assert.equal(required.host.identifier, "0123456789abcdef0123456789abcdef", "runs anyway");
    const some = await collect({ skip: ["packages", "sshd", "files"] });
    assert.equal(some.packages, undefined);
    assert.deepEqual(Object.keys(some.settings ?? {}), ["sysctl"]);
    assert.ok(some.listening && some.accounts && some.services);
  });
});

describe("inventory collectors that cannot work: errors, never empty lists", () => {
  let root: string;
  let paths: SystemPaths;
  before(() => {
    root = tempDir("agent-inventory-bare-");
    paths = fakeHost(root);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const errorsOf = (report: Report) =>
    Object.fromEntries((report.errors ?? []).map((e) => [e.collector, e.message]));

  test("no package database, no systemd, no sshd, no socket tables", async () => {
    const bare = tempDir("agent-inventory-empty-");
    try {
      mkdirSync(join(bare, "proc"));
      write(join(bare, "etc/machine-id"), "0123456789abcdef0123456789abcdef\n");
      const report = await collectReport({
        clock: new FakeClock(),
        cpuWindowMs: 0,
        platform: "linux",
        paths: {
          proc: join(bare, "proc"),
          etc: join(bare, "etc"),
          varLib: join(bare, "var/lib"),
          lib: join(bare, "lib"),
          run: join(bare, "run"),
          root: bare,
        },
        exec: fakeExec({}),
        collectors: { identifier: COLLECTORS.identifier!, ...INVENTORY_ONLY },
      });
      assert.ok(validateReport(report).ok);
      const errors = errorsOf(report);
      assert.match(
        errors.packages!,
        /^no package database could be read: no .*dpkg\/status, no .*apk\/db\/installed, no rpm$/,
      );
      assert.match(
        errors.services!,
        /systemd is not running \(no .*\/run\/systemd\/system\): services unknown/,
      );
      assert.match(errors.sshd!, /^sshd not found; no .*sshd_config: sshd settings unknown$/);
      assert.match(errors.listening!, /no socket tables/);
      assert.match(errors.accounts!, /cannot read .*passwd \(ENOENT\)/);
      assert.match(errors.sysctl!, /kernel parameters unknown/);
      for (const field of ["packages", "listening", "accounts", "services"] as const) {
        assert.equal(report[field], undefined, field);
      }
      // Only the file modes could be read (none of the files exist): an empty list, known.
      assert.deepEqual(report.settings, { files: [] });
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  test("one package manager failing while another works: its packages, and why in errors", async () => {
    rmSync(join(paths.varLib, "dpkg/status"));
    mkdirSync(join(paths.varLib, "dpkg/status"));
    const report = await collectReport({
      clock: new FakeClock(),
      cpuWindowMs: 0,
      platform: "linux",
      paths,
      exec: fakeExec({
        ...COMMANDS,
        [["rpm", ...RPM_QUERY_ARGS].join(" ")]: new Error("rpm -qa failed: db locked"),
      }),
      collectors: { identifier: COLLECTORS.identifier!, packages: COLLECTORS.packages! },
    });
    assert.deepEqual(
      report.packages?.map((p) => p.source),
      ["apk", "apk", "apk"],
    );
    assert.deepEqual(
      report.errors?.map((e) => e.message),
      [`cannot read ${paths.varLib}/dpkg/status (EISDIR)`, "rpm -qa failed: db locked"],
    );
  });

  test("an unreadable /etc/shadow leaves the password state out; no shadow file means none", async () => {
    const accountsOnly = { identifier: COLLECTORS.identifier!, accounts: COLLECTORS.accounts! };
    const options = {
      clock: new FakeClock(),
      cpuWindowMs: 0,
      platform: "linux" as const,
      paths,
      collectors: accountsOnly,
    };
    rmSync(join(paths.etc, "shadow"));
    mkdirSync(join(paths.etc, "shadow")); // reading it fails as EACCES would for a non-root agent
    const unreadable = await collectReport(options);
    assert.ok(unreadable.accounts!.every((a) => a.password === undefined));
    assert.deepEqual(unreadable.errors, []);
    rmSync(join(paths.etc, "shadow"), { recursive: true });
    const none = await collectReport(options);
    assert.ok(none.accounts!.every((a) => a.password === "none"));
  });

  test("not Linux: each inventory collector says so; absent sections", async () => {
    const report = await collectReport({
      clock: new FakeClock(),
      cpuWindowMs: 0,
      platform: "aix",
      collectors: { identifier: COLLECTORS.identifier!, ...INVENTORY_ONLY },
    });
    assert.deepEqual(
      report.errors?.map((e) => e.collector),
      [...INVENTORY_COLLECTORS],
    );
    assert.equal(report.settings, undefined);
  });
});
