import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { octalMode } from "../src/collectors/files.ts";
import { parseApkInstalled } from "../src/linux/apk.ts";
import { DpkgStatusParser, isInstalledStatus, parseDpkgStatus } from "../src/linux/dpkg.ts";
import { expandGlob, segmentPattern } from "../src/linux/glob.ts";
import { parsePasswdAccounts } from "../src/linux/passwd.ts";
import { decodeProcAddress, formatIPv6, parseProcNet } from "../src/linux/proc-net.ts";
import { parseRpmQuery } from "../src/linux/rpm.ts";
import { parseShadow, passwordState } from "../src/linux/shadow.ts";
import { socketInode } from "../src/linux/socket-owners.ts";
import { type ConfigFiles, parseSshdConfig, parseSshdT } from "../src/linux/sshd-config.ts";
import { sysctlPath, sysctlValue } from "../src/linux/sysctl.ts";
import {
  enabledOf,
  parseListUnitFiles,
  parseListUnits,
  servicesOf,
} from "../src/linux/systemctl.ts";
import { FIXTURES, fixture } from "./helpers.ts";

const inventory = (name: string) => fixture(`inventory/${name}`);

describe("dpkg status", () => {
  test("installed packages only, versions verbatim, multi-line fields skipped", () => {
    assert.deepEqual(parseDpkgStatus(inventory("dpkg-status.txt")), [
      { name: "adduser", version: "3.134", arch: "all", source: "deb" },
      { name: "libc6", version: "2.36-9+deb12u14", arch: "amd64", source: "deb" },
      { name: "libc6", version: "2.36-9+deb12u14", arch: "i386", source: "deb" },
      { name: "openssl", version: "3.0.15-1~deb12u1", arch: "amd64", source: "deb" },
      { name: "vim-common", version: "2:9.0.1378-2+deb12u2", arch: "all", source: "deb" },
    ]);
  });

  test("installed is the third word of Status, held packages included", () => {
    assert.equal(isInstalledStatus("install ok installed"), true);
    assert.equal(isInstalledStatus("hold ok installed"), true);
    assert.equal(isInstalledStatus("deinstall ok config-files"), false);
    assert.equal(isInstalledStatus("install ok unpacked"), false);
    assert.equal(isInstalledStatus("purge ok not-installed"), false);
  });

  test("pushed in pieces of any size, lines cut anywhere: the same packages", () => {
    const text = inventory("dpkg-status.txt");
    const whole = parseDpkgStatus(text);
    for (const size of [1, 7, 64, 1000]) {
      const parser = new DpkgStatusParser();
      for (let at = 0; at < text.length; at += size) parser.push(text.slice(at, at + size));
      assert.deepEqual(parser.end(), whole, `pieces of ${size}`);
    }
  });

  test("CRLF line ends and a last stanza without a blank line after it", () => {
    const text =
      "Package: a\r\nStatus: install ok installed\r\nVersion: 1\r\n\r\nPackage: b\nStatus: install ok installed\nVersion: 2";
    assert.deepEqual(parseDpkgStatus(text), [
      { name: "a", version: "1", source: "deb" },
      { name: "b", version: "2", source: "deb" },
    ]);
  });
});

describe("rpm -qa", () => {
  test("epoch:version-release, the epoch only when there is one; no arch for (none)", () => {
    assert.deepEqual(parseRpmQuery(inventory("rpm-qa.txt")), [
      { name: "bash", version: "5.2.15-3.el9", arch: "x86_64", source: "rpm" },
      { name: "openssl-libs", version: "1:3.0.7-27.el9", arch: "x86_64", source: "rpm" },
      { name: "kernel-core", version: "5.14.0-427.13.1.el9_4", arch: "x86_64", source: "rpm" },
      { name: "kernel-core", version: "5.14.0-362.8.1.el9_3", arch: "x86_64", source: "rpm" },
      { name: "gpg-pubkey", version: "fd431d51-4ae0493b", source: "rpm" },
      { name: "tzdata", version: "2024a-1.el9", arch: "noarch", source: "rpm" },
    ]);
  });

  test("lines that are not five fields are not packages", () => {
    assert.deepEqual(parseRpmQuery("warning: something\n\n"), []);
  });
});

describe("apk installed database", () => {
  test("name, version and architecture of each block", () => {
    assert.deepEqual(parseApkInstalled(inventory("apk-installed.txt")), [
      { name: "musl", version: "1.2.5-r0", arch: "x86_64", source: "apk" },
      { name: "busybox", version: "1.36.1-r28", arch: "x86_64", source: "apk" },
      { name: "alpine-baselayout-data", version: "3.6.5-r0", source: "apk" },
    ]);
  });
});

describe("/proc/net socket tables", () => {
  test("IPv4 TCP: listeners only, addresses and ports decoded (little-endian host)", () => {
    assert.deepEqual(parseProcNet(inventory("proc-net-tcp.txt"), "tcp", true), [
      { protocol: "tcp", address: "0.0.0.0", port: 22, inode: 1001 },
      { protocol: "tcp", address: "127.0.0.53", port: 53, inode: 1002 },
      { protocol: "tcp", address: "192.168.1.10", port: 443, inode: 1003 },
    ]);
  });

  test("IPv6 TCP: canonical text, IPv4-mapped in dotted form", () => {
    assert.deepEqual(parseProcNet(inventory("proc-net-tcp6.txt"), "tcp6", true), [
      { protocol: "tcp6", address: "::", port: 22, inode: 1004 },
      { protocol: "tcp6", address: "::1", port: 5432, inode: 1005 },
      { protocol: "tcp6", address: "::ffff:127.0.0.1", port: 8080, inode: 1006 },
      { protocol: "tcp6", address: "2001:db8::1:0:0:1", port: 80, inode: 1007 },
    ]);
  });

  test("UDP: bound, unconnected sockets; connected ones are not listening", () => {
    assert.deepEqual(parseProcNet(inventory("proc-net-udp.txt"), "udp", true), [
      { protocol: "udp", address: "127.0.0.53", port: 53, inode: 1008 },
      { protocol: "udp", address: "0.0.0.0", port: 68, inode: 1009 },
    ]);
    assert.deepEqual(parseProcNet(inventory("proc-net-udp6.txt"), "udp6", true), [
      { protocol: "udp6", address: "::", port: 5353, inode: 1010 },
      { protocol: "udp6", address: "fe80::1", port: 546, inode: 1011 },
    ]);
  });

  test("a big-endian host prints the words in network order", () => {
    assert.equal(decodeProcAddress("7F000001", false), "127.0.0.1");
    assert.equal(decodeProcAddress("0100007F", true), "127.0.0.1");
    assert.equal(decodeProcAddress("00000000000000000000000000000001", false), "::1");
    assert.equal(decodeProcAddress("zz", true), undefined);
  });

  test("RFC 5952: the longest zero run, the first of equal ones, never a single group", () => {
    const bytes = (groups: number[]) => groups.flatMap((g) => [g >> 8, g & 0xff]);
    assert.equal(formatIPv6(bytes([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])), "2001:db8::1:0:0:1");
    assert.equal(formatIPv6(bytes([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1])), "2001:db8:0:1:1:1:1:1");
    assert.equal(formatIPv6(bytes([0x2001, 0, 0, 1, 0, 0, 0, 1])), "2001:0:0:1::1");
    assert.equal(
      formatIPv6(bytes([0xfe80, 0, 0, 0, 0xa00, 0x27ff, 0xfe4e, 0x66a1])),
      "fe80::a00:27ff:fe4e:66a1",
    );
    assert.equal(formatIPv6(bytes([0, 0, 0, 0, 0, 0, 0, 0])), "::");
    assert.equal(formatIPv6(bytes([1, 0, 0, 0, 0, 0, 0, 0])), "1::");
  });

  test("descriptor links name their socket's inode", () => {
    assert.equal(socketInode("socket:[4908]"), 4908);
    assert.equal(socketInode("pipe:[4908]"), undefined);
    assert.equal(socketInode("/dev/null"), undefined);
  });
});

describe("passwd and shadow", () => {
  test("accounts in file order, the first of a name wins, NIS lines and bad ids skipped", () => {
    assert.deepEqual(
      parsePasswdAccounts(inventory("passwd.txt")).map((a) => [
        a.name,
        a.uid,
        a.gid,
        a.home,
        a.shell,
      ]),
      [
        ["root", 0, 0, "/root", "/bin/bash"],
        ["daemon", 1, 1, "/usr/sbin", "/usr/sbin/nologin"],
        ["ana", 1000, 1000, "/home/ana", "/bin/bash"],
        ["bob", 1001, 1001, "/home/bob", "/bin/sh"],
        ["kiosk", 1002, 1002, "/home/kiosk", "/bin/sh"],
        ["backup", 34, 34, "/var/backups", "/usr/sbin/nologin"],
        ["svc", 998, 998, "/nonexistent", "/usr/sbin/nologin"],
        ["legacy", 1003, 1003, "/home/legacy", "/bin/bash"],
      ],
    );
  });

  test("every password form: a hash is set, '' empty, '!' and '*' prefixes locked", () => {
    assert.deepEqual(Object.fromEntries(parseShadow(inventory("shadow.txt"))), {
      root: "set",
      daemon: "locked",
      ana: "set",
      bob: "locked",
      kiosk: "empty",
      backup: "locked",
      svc: "locked",
    });
    assert.equal(passwordState("$6$x$y"), "set");
    assert.equal(passwordState("!"), "locked");
    assert.equal(passwordState("*"), "locked");
    assert.equal(passwordState("!!"), "locked");
    assert.equal(passwordState(""), "empty");
  });

  test("the states hold nothing of the hashes", () => {
    const text = JSON.stringify([...parseShadow(inventory("shadow.txt"))]);
    assert.doesNotMatch(text, /\$|Fixture|salt/);
  });
});

describe("systemctl", () => {
  const units = parseListUnits(inventory("systemctl-list-units.txt"));
  const files = parseListUnitFiles(inventory("systemctl-list-unit-files.txt"));

  test("list-units: unit, load and active state, with or without the status bullet", () => {
    assert.equal(units.length, 10);
    assert.deepEqual(units[2], { name: "auditd.service", load: "not-found", active: "inactive" });
    assert.deepEqual(units[4], { name: "nginx.service", load: "loaded", active: "failed" });
  });

  test("list-unit-files: unit file and its state", () => {
    assert.equal(files.get("ssh.service"), "enabled");
    assert.equal(files.get("sshd.service"), "alias");
    assert.equal(files.get("apt-daily.service"), "static");
    assert.equal(parseListUnitFiles("old.service enabled\n").get("old.service"), "enabled");
  });

  test("enabled: true, false, or left out when the state says nothing about boot", () => {
    assert.equal(enabledOf("enabled"), true);
    assert.equal(enabledOf("enabled-runtime"), true);
    assert.equal(enabledOf("disabled"), false);
    assert.equal(enabledOf("masked"), false);
    for (const state of ["static", "indirect", "generated", "transient", "alias", undefined]) {
      assert.equal(enabledOf(state), undefined, String(state));
    }
  });

  test("services: loaded units and the unit files never loaded; no templates, aliases, not-found", () => {
    const byName = new Map(servicesOf(units, files).map((s) => [s.name, s]));
    assert.deepEqual([...byName.keys()].sort(), [
      "apt-daily.service",
      "cron.service",
      "dbus.service",
      "getty@tty1.service",
      "nginx.service",
      "postgresql.service",
      "rsync.service",
      "ssh.service",
      "systemd-fsck-root.service",
      "systemd-journald.service",
      "telnet.service",
      "udisks2.service",
    ]);
    assert.deepEqual(byName.get("ssh.service"), {
      name: "ssh.service",
      state: "active",
      enabled: true,
    });
    assert.deepEqual(byName.get("nginx.service"), {
      name: "nginx.service",
      state: "failed",
      enabled: true,
    });
    assert.deepEqual(byName.get("rsync.service"), {
      name: "rsync.service",
      state: "inactive",
      enabled: false,
    });
    assert.deepEqual(byName.get("telnet.service"), {
      name: "telnet.service",
      state: "inactive",
      enabled: false,
    });
    assert.deepEqual(byName.get("dbus.service"), { name: "dbus.service", state: "active" });
    assert.deepEqual(byName.get("getty@tty1.service"), {
      name: "getty@tty1.service",
      state: "active",
    });
    assert.deepEqual(byName.get("postgresql.service"), {
      name: "postgresql.service",
      state: "activating",
      enabled: true,
    });
  });
});

/** An in-memory file system for the sshd_config parser. */
function memoryFiles(files: Record<string, string>): ConfigFiles {
  return {
    read: (path) => files[path],
    glob: (pattern) => {
      const regex = new RegExp(`^${pattern.replace(/[.]/g, "\\.").replace(/\*/g, "[^/]*")}$`);
      return Object.keys(files)
        .filter((p) => regex.test(p))
        .sort();
    },
  };
}

describe("sshd", () => {
  test("sshd -T: keyword per line; repeated keywords joined in order", () => {
    const options = parseSshdT(inventory("sshd-T.txt"));
    assert.equal(options.get("permitrootlogin"), "without-password");
    assert.equal(options.get("passwordauthentication"), "yes");
    assert.equal(options.get("port"), "22 2222");
    assert.equal(options.get("listenaddress"), "[::]:22 0.0.0.0:22");
    assert.equal(options.get("acceptenv"), "LANG LC_*");
    assert.equal(
      options.get("hostkey"),
      "/etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_ecdsa_key /etc/ssh/ssh_host_ed25519_key",
    );
    assert.equal(options.get("authorizedkeysfile"), ".ssh/authorized_keys .ssh/authorized_keys2");
    assert.equal(options.size, 27);
  });

  test("sshd_config: first value wins, Includes in place, Match blocks not global", () => {
    const root = join(FIXTURES, "inventory", "sshd-root");
    const files: ConfigFiles = {
      read: (path) => {
        try {
          return fixture(`inventory/sshd-root${path}`);
        } catch {
          return undefined;
        }
      },
      glob: (pattern) => expandGlob(pattern, root),
    };
    const options = parseSshdConfig(
      fixture("inventory/sshd-root/etc/ssh/sshd_config"),
      "/etc/ssh",
      files,
    );
    assert.deepEqual(Object.fromEntries([...options].sort()), {
      acceptenv: "LANG LC_*",
      allowusers: "ana bob carol",
      banner: "/etc/issue.net",
      ciphers: "aes256-gcm@openssh.com",
      clientaliveinterval: "300",
      kbdinteractiveauthentication: "no",
      logingracetime: "30",
      maxauthtries: "3",
      passwordauthentication: "yes",
      permitrootlogin: "no",
      port: "2222 22",
      printmotd: "no",
      subsystem: "sftp /usr/lib/openssh/sftp-server",
      usepam: "yes",
      x11forwarding: "yes",
    });
  });

  test("an Include inside a Match block applies only there; nested Includes stop at a depth", () => {
    const loop = memoryFiles({
      "/etc/ssh/sshd_config":
        "Match User x\nInclude /etc/ssh/inner.conf\nMatch all\nInclude /etc/ssh/loop.conf\n",
      "/etc/ssh/inner.conf": "PermitRootLogin yes\n",
      "/etc/ssh/loop.conf": "Include /etc/ssh/loop.conf\nPort 2022\n",
    });
    const options = parseSshdConfig(loop.read("/etc/ssh/sshd_config")!, "/etc/ssh", loop);
    assert.equal(options.get("permitrootlogin"), undefined);
    assert.equal(options.get("port"), Array(16).fill("2022").join(" "));
  });

  test("glob segments: *, ?, classes, negation; dot files only for a dotted pattern", () => {
    assert.ok(segmentPattern("*.conf").test("10-a.conf"));
    assert.ok(!segmentPattern("*.conf").test("a.conf.bak"));
    assert.ok(segmentPattern("1?-*.conf").test("10-a.conf"));
    assert.ok(segmentPattern("[0-9]*").test("5x"));
    assert.ok(!segmentPattern("[!0-9]*").test("5x"));
    const root = join(FIXTURES, "inventory", "sshd-root");
    assert.deepEqual(expandGlob("/etc/ssh/sshd_config.d/*.conf", root), [
      "/etc/ssh/sshd_config.d/10-hardening.conf",
      "/etc/ssh/sshd_config.d/20-users.conf",
    ]);
    assert.deepEqual(expandGlob("/etc/ssh/sshd_config.d/.*.conf", root), [
      "/etc/ssh/sshd_config.d/.hidden.conf",
    ]);
    assert.deepEqual(expandGlob("/etc/*/extra/*", root), ["/etc/ssh/extra/ciphers.conf"]);
    assert.deepEqual(expandGlob("/nowhere/*.conf", root), []);
  });
});

describe("kernel parameters and file modes", () => {
  test("a dotted name is a path under /proc/sys; values on one line", () => {
    assert.equal(sysctlPath("/proc", "net.ipv4.ip_forward"), "/proc/sys/net/ipv4/ip_forward");
    assert.equal(sysctlValue("1\n"), "1");
    assert.equal(sysctlValue("32768\t60999\n"), "32768 60999");
  });

  test("modes are four octal digits with the special bits", () => {
    assert.equal(octalMode(0o100640), "0640");
    assert.equal(octalMode(0o41777), "1777");
    assert.equal(octalMode(0o104755), "4755");
    assert.equal(octalMode(0o100000), "0000");
  });
});
