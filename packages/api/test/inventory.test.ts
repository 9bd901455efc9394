import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type {
  Report,
  ReportAccount,
  ReportListening,
  ReportPackage,
  ReportService,
} from "@compliance/contract";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { ENGINES } from "./helpers/databases.ts";
import { makeReport } from "./helpers/reports.ts";

/**
 * The inventory beyond processes, end to end through the public API, on every engine.
 *
 * deb-1, the host whose history is read (lists of e2 and e4 sent in a non-canonical order):
 *   10:00 e1  everything collected
 *   11:00 e2  openssl, libssl3 and vim (epoch, tilde) upgraded, htop installed, curl removed;
 *             udp 123 opened, tcp 5432 closed; alice's shell bash -> zsh; nginx stopped,
 *             cron disabled; net.ipv4.ip_forward 0 -> 1
 *   12:00 e3  packages not collected (dpkg locked), accounts not collected (no reason),
 *             no socket listening (an empty list), settings: sysctl only (sshd failed)
 *   13:00 e4  everything collected again, as in e2
 * deb-2 (10:30, then 11:30; the 10:30 report arrives last), rpm-1 (10:15), apk-1 (10:20):
 *   other hosts for the fleet searches, each with its package manager's versions.
 * svc-1: an inventory-only change (a service stopped) between identical check-ins.
 * gap-1: packages collected, then not (dpkg locked), then again the same.
 */
const at = (h: number, m = 0) =>
  `2026-11-20T${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:00Z`;

const deb = (name: string, version: string, arch?: string): ReportPackage =>
  arch === undefined ? { name, version, source: "deb" } : { name, version, arch, source: "deb" };
const rpm = (name: string, version: string): ReportPackage => ({
  name,
  version,
  arch: "x86_64",
  source: "rpm",
});
const apk = (name: string, version: string): ReportPackage => ({
  name,
  version,
  arch: "x86_64",
  source: "apk",
});

const pkg = {
  openssl1: deb("openssl", "3.0.11-1~deb12u2", "amd64"),
  openssl2: deb("openssl", "3.0.13-1~deb12u1", "amd64"),
  libssl1: deb("libssl3", "3.0.11-1~deb12u2", "amd64"),
  libssl2: deb("libssl3", "3.0.13-1~deb12u1", "amd64"),
  vim1: deb("vim", "2:9.0.1378-2~bpo12+1", "amd64"),
  vim2: deb("vim", "2:9.0.1378-2", "amd64"),
  curl: deb("curl", "7.88.1-10+deb12u5", "amd64"),
  libc: deb("libc6", "2.36-9+deb12u4", "amd64"),
  tzdata: deb("tzdata", "2024a-0+deb12u1"),
  htop: deb("htop", "3.2.2-2", "amd64"),
};

const sock = {
  ssh4: { protocol: "tcp", address: "0.0.0.0", port: 22, pid: 812, process: "sshd" },
  ssh6: { protocol: "tcp6", address: "::", port: 22 },
  pg: { protocol: "tcp", address: "127.0.0.1", port: 5432, pid: 1000, process: "postgres" },
  ntp: { protocol: "udp", address: "0.0.0.0", port: 123, pid: 640, process: "chronyd" },
  http: { protocol: "tcp", address: "0.0.0.0", port: 80, pid: 900, process: "nginx" },
} satisfies Record<string, ReportListening>;

const root: ReportAccount = {
  name: "root",
  uid: 0,
  gid: 0,
  home: "/root",
  shell: "/bin/bash",
  password: "set",
};
const postgresUser: ReportAccount = {
  name: "postgres",
  uid: 105,
  gid: 111,
  home: "/var/lib/postgresql",
  shell: "/bin/bash",
  password: "locked",
};
const aliceBash: ReportAccount = {
  name: "alice",
  uid: 1000,
  gid: 1000,
  home: "/home/alice",
  shell: "/bin/bash",
  password: "set",
};
const aliceZsh: ReportAccount = { ...aliceBash, shell: "/bin/zsh" };

const svc = (name: string, state: string, enabled?: boolean): ReportService =>
  enabled === undefined ? { name, state } : { name, state, enabled };
const ssh = svc("ssh.service", "active", true);
const nginxUp = svc("nginx.service", "active", true);
const nginxDown = svc("nginx.service", "inactive", true);
const cronOn = svc("cron.service", "active", true);
const cronOff = svc("cron.service", "active", false);
const journald = svc("systemd-journald.service", "active");

const shadow = { path: "/etc/shadow", mode: "0640", uid: 0, gid: 42 };
const passwd = { path: "/etc/passwd", mode: "0644", uid: 0, gid: 0 };
const sshdOptions = { permitrootlogin: "no", passwordauthentication: "no" };

const dpkgLocked = { collector: "packages", message: "dpkg status database is locked" };
const sshdFailed = { collector: "sshd", message: "sshd -T exited with 255" };

/** A report of `identifier` at `collectedAt`; the same host facts, processes and sessions every time. */
function reportOf(identifier: string, collectedAt: string, parts: Partial<Report>): Report {
  const r = makeReport({ identifier, collected_at: collectedAt, ...parts });
  r.host = { identifier, hostname: identifier, primary_ip: "10.0.9.1", ip_addresses: ["10.0.9.1"] };
  return r;
}

function deb1(): Report[] {
  const id = "deb-1";
  const e1 = reportOf(id, at(10), {
    packages: [pkg.openssl1, pkg.libssl1, pkg.vim1, pkg.curl, pkg.libc, pkg.tzdata],
    listening: [sock.ssh4, sock.ssh6, sock.pg],
    accounts: [root, postgresUser, aliceBash],
    services: [ssh, nginxUp, cronOn, journald],
    settings: {
      sysctl: { "net.ipv4.ip_forward": "0", "kernel.randomize_va_space": "2" },
      sshd: sshdOptions,
      files: [shadow, passwd],
    },
  });
  const e2 = reportOf(id, at(11), {
    packages: [pkg.tzdata, pkg.vim2, pkg.openssl2, pkg.libc, pkg.htop, pkg.libssl2],
    listening: [sock.ntp, sock.ssh4, sock.ssh6],
    accounts: [root, postgresUser, aliceZsh],
    services: [ssh, nginxDown, cronOff, journald],
    settings: {
      sysctl: { "kernel.randomize_va_space": "2", "net.ipv4.ip_forward": "1" },
      sshd: sshdOptions,
      files: [passwd, shadow],
    },
  });
  const e3 = reportOf(id, at(12), {
    listening: [],
    services: e2.services,
    settings: { sysctl: e2.settings!.sysctl },
    errors: [dpkgLocked, sshdFailed],
  });
  const e4 = reportOf(id, at(13), {
    packages: [...e2.packages!].reverse(),
    listening: [...e2.listening!].reverse(),
    accounts: e2.accounts,
    services: e2.services,
    settings: e2.settings,
  });
  return [e1, e2, e3, e4];
}

function deb2(): Report[] {
  const packages = [
    deb("openssl", "3.0.9-1", "amd64"),
    deb("libssl3", "3.0.9-1", "amd64"),
    deb("widget", "1.0~rc1", "amd64"),
    deb("gizmo", "2.0+dfsg-1", "amd64"),
    deb("gadget", "2.5-3", "amd64"),
  ];
  return [
    reportOf("deb-2", at(10, 30), { packages, listening: [sock.http] }),
    reportOf("deb-2", at(11, 30), { packages, listening: [sock.http, sock.ssh4] }),
  ];
}

const kernelOld = rpm("kernel", "5.14.0-362.8.1.el9_3");
const kernelNew = rpm("kernel", "5.14.0-427.13.1.el9_4");
const rpm1 = () =>
  reportOf("rpm-1", at(10, 15), {
    packages: [
      rpm("openssl", "1:3.0.7-27.el9"),
      rpm("widget", "1:1.0-1.el9"),
      rpm("gadget", "2.5-3.el9"),
      kernelNew,
      kernelOld,
    ],
    listening: [{ protocol: "tcp6", address: "::", port: 22, pid: 901, process: "sshd" }],
  });
const apk1 = () =>
  reportOf("apk-1", at(10, 20), {
    packages: [apk("openssl", "3.1.4-r5"), apk("widget", "1.2.3-r1"), apk("gizmo", "2.0_rc1-r0")],
    listening: [sock.ntp],
  });

function svc1(): Report[] {
  const running = { services: [ssh, nginxUp] };
  const stopped = { services: [ssh, nginxDown] };
  return [
    reportOf("svc-1", at(9), running),
    reportOf("svc-1", at(9, 10), running),
    reportOf("svc-1", at(9, 20), stopped),
    reportOf("svc-1", at(9, 30), stopped),
  ];
}

function gap1(): Report[] {
  const packages = [deb("bash", "5.2.15-2+b2", "amd64"), deb("coreutils", "9.1-1", "amd64")];
  return [
    reportOf("gap-1", at(8), { packages, settings: {} }),
    reportOf("gap-1", at(8, 10), {
      settings: { sysctl: {}, files: [] },
      errors: [dpkgLocked],
    }),
    reportOf("gap-1", at(8, 20), { packages }),
  ];
}

const byName = <T extends { name: string }>(items: T[]) =>
  [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
/** A list in one fixed order, where the API promises none. */
const canonical = <T>(items: T[]) =>
  [...items].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
const hostnamesOf = (items: { hostname: string }[]) => items.map((h) => h.hostname);

for (const engine of ENGINES) {
  describe(`inventory on ${engine}`, () => {
    let t: TestApp;
    let clock = Date.parse("2026-11-21T00:00:00Z");
    const ids: Record<string, number> = {};
    const sent: Record<string, Report[]> = {};
    let e: Report[];

    before(async () => {
      t = await startTestApp(engine, { now: () => clock });
      const plan: [string, Report[], number[]][] = [
        ["gap-1", gap1(), [0, 1, 2]],
        ["svc-1", svc1(), [0, 1, 2, 3]],
        ["deb-1", deb1(), [0, 1, 2, 3]],
        // deb-2's 10:30 report arrives after its 11:30 one.
        ["deb-2", deb2(), [1, 0]],
        ["rpm-1", [rpm1()], [0]],
        ["apk-1", [apk1()], [0]],
      ];
      for (const [name, reports, order] of plan) {
        const { nodeKey, hostId } = await t.enroll(name);
        ids[name] = hostId;
        sent[name] = reports;
        for (const i of order) {
          clock += 1000;
          await t.store201(nodeKey, reports[i]!);
        }
      }
      e = sent["deb-1"]!;
      // Past the change feed's settling time.
      clock += 60_000;
    });
    after(() => t?.close());

    const host = (name: string) => `/api/v1/hosts/${ids[name]}`;
    /** The whole change feed, page by page. */
    async function feed() {
      const items: { host_id: number; report_id: string; first: boolean }[] = [];
      let since = "0";
      for (;;) {
        const page = await t.read(`/api/v1/changes?since=${since}&limit=500`);
        items.push(...page.items);
        since = page.next_cursor;
        if (!page.has_more) return items;
      }
    }

    test("each section now, at a past time and at a given report, in the order sent", async () => {
      const now = await t.read(`${host("deb-1")}/packages`);
      assert.equal(now.report_id, e[3]!.report_id);
      assert.equal(now.known, true);
      assert.equal("reason" in now, false);
      assert.deepEqual(now.items, e[3]!.packages);
      assert.equal(now.total, 6);

      const then = await t.read(`${host("deb-1")}/packages?at=${at(10, 30)}`);
      assert.equal(then.report_id, e[0]!.report_id);
      assert.deepEqual(then.items, e[0]!.packages);
      const exact = await t.read(`${host("deb-1")}/packages?at=${at(11)}`);
      assert.equal(exact.report_id, e[1]!.report_id, "a time equal to collected_at picks it");
      const byReport = await t.read(`${host("deb-1")}/packages?report=${e[1]!.report_id}`);
      assert.deepEqual(byReport.items, e[1]!.packages);

      for (const [section, list] of [
        ["listening", "listening"],
        ["accounts", "accounts"],
        ["services", "services"],
      ] as const) {
        const past = await t.read(`${host("deb-1")}/${section}?at=${at(10, 59)}`);
        assert.equal(past.known, true, section);
        assert.deepEqual(past.items, e[0]![list], section);
        const latest = await t.read(`${host("deb-1")}/${section}`);
        assert.deepEqual(latest.items, e[3]![list], section);
      }

      const settings = await t.read(`${host("deb-1")}/settings?at=${at(10, 30)}`);
      assert.deepEqual(settings, {
        report_id: e[0]!.report_id,
        collected_at: at(10),
        known: true,
        sysctl: e[0]!.settings!.sysctl,
        sshd: sshdOptions,
        files: [shadow, passwd],
        reasons: [],
      });
      const latestSettings = await t.read(`${host("deb-1")}/settings`);
      assert.equal(latestSettings.report_id, e[3]!.report_id);
      assert.deepEqual(latestSettings.sysctl, {
        "net.ipv4.ip_forward": "1",
        "kernel.randomize_va_space": "2",
      });
      assert.deepEqual(latestSettings.files, [passwd, shadow]);

      assert.equal((await t.get(`${host("deb-1")}/packages?at=${at(9)}`)).statusCode, 404);
      assert.equal((await t.get(`${host("deb-1")}/settings?at=${at(9)}`)).statusCode, 404);
      assert.equal(
        (await t.get(`${host("deb-1")}/packages?at=${at(10)}&report=${e[0]!.report_id}`))
          .statusCode,
        400,
      );
      assert.equal((await t.get("/api/v1/hosts/999999/packages")).statusCode, 404);
    });

    test("a section not collected reads unknown (with the agent's reason), an empty one known and empty", async () => {
      const packages = await t.read(`${host("deb-1")}/packages?at=${at(12, 30)}`);
      assert.equal(packages.report_id, e[2]!.report_id);
      assert.equal(packages.known, false);
      assert.equal(packages.reason, dpkgLocked.message);
      assert.deepEqual(packages.items, []);
      assert.equal(packages.total, 0);

      const accounts = await t.read(`${host("deb-1")}/accounts?report=${e[2]!.report_id}`);
      assert.equal(accounts.known, false, "absent without a reason is unknown too");
      assert.equal("reason" in accounts, false);
      assert.deepEqual(accounts.items, []);

      const listening = await t.read(`${host("deb-1")}/listening?at=${at(12)}`);
      assert.equal(listening.known, true, "an empty list is collected, and none");
      assert.deepEqual(listening.items, []);
      assert.equal(listening.total, 0);
      assert.equal("reason" in listening, false);

      const services = await t.read(`${host("deb-1")}/services?at=${at(12, 30)}`);
      assert.equal(services.known, true);
      assert.deepEqual(services.items, e[1]!.services);

      // Settings with only some parts: the others are null, with the agent's reason if any.
      const partial = await t.read(`${host("deb-1")}/settings?report=${e[2]!.report_id}`);
      assert.deepEqual(partial, {
        report_id: e[2]!.report_id,
        collected_at: at(12),
        known: true,
        sysctl: e[1]!.settings!.sysctl,
        sshd: null,
        files: null,
        reasons: [sshdFailed],
      });
      // An empty settings object; then empty parts (collected, none); then no settings at all.
      const gap = sent["gap-1"]!;
      const empty = await t.read(`${host("gap-1")}/settings?report=${gap[0]!.report_id}`);
      assert.deepEqual(
        [empty.known, empty.sysctl, empty.sshd, empty.files, empty.reasons],
        [true, null, null, null, []],
      );
      const emptyParts = await t.read(`${host("gap-1")}/settings?report=${gap[1]!.report_id}`);
      assert.deepEqual(
        [
          emptyParts.known,
          emptyParts.sysctl,
          emptyParts.sshd,
          emptyParts.files,
          emptyParts.reasons,
        ],
        [true, {}, null, [], []],
      );
      const none = await t.read(`${host("gap-1")}/settings`);
      assert.deepEqual(
        [none.report_id, none.known, none.sysctl, none.sshd, none.files],
        [gap[2]!.report_id, false, null, null, null],
      );
      // Another host's sections that were never sent are unknown, not empty.
      const neverSent = await t.read(`${host("svc-1")}/packages`);
      assert.equal(neverSent.known, false);
    });

    test("a section filters by q, sorts by its fields and pages", async () => {
      const base = `${host("deb-1")}/packages?report=${e[0]!.report_id}`;
      const ssl = await t.read(`${base}&q=SSL`);
      assert.deepEqual(
        ssl.items.map((p: ReportPackage) => p.name),
        ["openssl", "libssl3"],
        "q ignores case and keeps the order sent",
      );
      const byVersion = await t.read(`${base}&q=deb12u4`);
      assert.deepEqual(byVersion.items, [pkg.libc], "q matches the version too");
      const page = await t.read(`${base}&sort=name&limit=2&offset=1`);
      assert.deepEqual(page.items, [pkg.libc, pkg.libssl1]);
      assert.deepEqual([page.total, page.limit, page.offset], [6, 2, 1]);
      const desc = await t.read(`${base}&sort=-name&limit=1`);
      assert.deepEqual(desc.items, [pkg.vim1]);
      assert.equal(desc.total, 6);
      // Versions sort the Debian way: the epoch of vim's 2:9.0 outranks tzdata's 2024a, and
      // 2.36 comes before 2024a (as text, "2:9" and "3.2.2" would sort last).
      const versions = (await t.read(`${base}&sort=version`)).items.map(
        (p: ReportPackage) => p.name,
      );
      assert.equal(versions[0], "libc6");
      assert.deepEqual(versions.slice(-2), ["tzdata", "vim"]);
      assert.deepEqual((await t.read(`${base}&sort=-version&limit=1`)).items, [pkg.vim1]);

      const accounts = `${host("deb-1")}/accounts?report=${e[0]!.report_id}`;
      const byUid = await t.read(`${accounts}&sort=uid`);
      assert.deepEqual(
        byUid.items.map((a: ReportAccount) => a.uid),
        [0, 105, 1000],
        "uids sort as numbers",
      );
      const byUidDesc = await t.read(`${accounts}&sort=-uid&limit=2`);
      assert.deepEqual(
        byUidDesc.items.map((a: ReportAccount) => a.name),
        ["alice", "postgres"],
      );
      const shells = await t.read(`${host("deb-1")}/accounts?q=zsh`);
      assert.deepEqual(shells.items, [aliceZsh]);

      const sockets = `${host("deb-1")}/listening?report=${e[0]!.report_id}`;
      assert.deepEqual((await t.read(`${sockets}&q=22`)).items, [sock.ssh4, sock.ssh6]);
      assert.deepEqual((await t.read(`${sockets}&q=postgres`)).items, [sock.pg]);
      assert.deepEqual((await t.read(`${sockets}&sort=-port&limit=1`)).items, [sock.pg]);

      const services = await t.read(`${host("deb-1")}/services?q=inactive`);
      assert.deepEqual(services.items, [nginxDown]);
      const byState = await t.read(
        `${host("deb-1")}/services?report=${e[0]!.report_id}&sort=name&offset=3`,
      );
      assert.deepEqual(byState.items, [journald]);
      assert.equal(byState.total, 4);

      const badSort = await t.get(`${host("deb-1")}/packages?sort=color`);
      assert.equal(badSort.statusCode, 400);
      assert.match(badSort.json().error.message, /querystring\/sort/);
      assert.equal((await t.get(`${host("deb-1")}/services?sort=pid`)).statusCode, 400);
    });

    test("a stored report rebuilds exactly, inventory included, whatever order it was sent in", async () => {
      for (const [name, reports] of Object.entries(sent)) {
        for (const r of reports) {
          const rebuilt = await t.read(`/api/v1/reports/${r.report_id}`);
          assert.deepEqual(rebuilt, r, `${name} ${r.collected_at}`);
        }
      }
      // Spelled out for the cases that matter: orders not canonical, parts of settings.
      const e4 = await t.read(`/api/v1/reports/${e[3]!.report_id}`);
      assert.deepEqual(
        e4.packages.map((p: ReportPackage) => p.name),
        ["libssl3", "htop", "libc6", "openssl", "vim", "tzdata"],
      );
      assert.deepEqual(e4.listening, [sock.ssh6, sock.ssh4, sock.ntp]);
      const e3 = await t.read(`/api/v1/reports/${e[2]!.report_id}`);
      assert.equal("packages" in e3, false);
      assert.equal("accounts" in e3, false);
      assert.deepEqual(e3.listening, []);
      assert.deepEqual(Object.keys(e3.settings), ["sysctl"]);
      const gap = sent["gap-1"]!;
      assert.deepEqual((await t.read(`/api/v1/reports/${gap[0]!.report_id}`)).settings, {});
      assert.equal("settings" in (await t.read(`/api/v1/reports/${gap[2]!.report_id}`)), false);
    });

    test("the diff: packages installed, removed and upgraded; sockets, accounts, services, settings", async () => {
      const d = await t.read(`${host("deb-1")}/diff?from=${e[0]!.report_id}&to=${e[1]!.report_id}`);
      assert.deepEqual(d.processes, { started: [], ended: [], changed: [] });
      assert.deepEqual(d.facts, []);
      assert.equal(d.packages.known, true);
      assert.deepEqual(d.packages.installed, [pkg.htop]);
      assert.deepEqual(d.packages.removed, [pkg.curl]);
      assert.deepEqual(
        [...d.packages.upgraded].sort((a, b) => (a.after.name < b.after.name ? -1 : 1)),
        [
          { before: pkg.libssl1, after: pkg.libssl2 },
          { before: pkg.openssl1, after: pkg.openssl2 },
          { before: pkg.vim1, after: pkg.vim2 },
        ],
      );
      assert.deepEqual(d.listening, { known: true, opened: [sock.ntp], closed: [sock.pg] });
      assert.deepEqual(d.accounts, {
        known: true,
        added: [],
        removed: [],
        changed: [{ before: aliceBash, after: aliceZsh }],
      });
      assert.equal(d.services.known, true);
      assert.deepEqual([d.services.added, d.services.removed], [[], []]);
      assert.deepEqual(byName(d.services.changed.map((c: { after: ReportService }) => c.after)), [
        cronOff,
        nginxDown,
      ]);
      assert.deepEqual(byName(d.services.changed.map((c: { before: ReportService }) => c.before)), [
        cronOn,
        nginxUp,
      ]);
      assert.deepEqual(d.settings, {
        known: true,
        changed: [{ section: "sysctl", key: "net.ipv4.ip_forward", before: "0", after: "1" }],
        unknown: [],
      });

      // Backwards, the upgrade is a downgrade: the same pairs, sides swapped.
      const back = await t.read(
        `${host("deb-1")}/diff?from=${e[1]!.report_id}&to=${e[0]!.report_id}`,
      );
      assert.deepEqual(back.packages.installed, [pkg.curl]);
      assert.deepEqual(back.packages.removed, [pkg.htop]);
      assert.deepEqual(
        back.packages.upgraded.find((u: { after: ReportPackage }) => u.after.name === "vim"),
        { before: pkg.vim2, after: pkg.vim1 },
      );
    });

    test("the diff is unknown for a section one side did not collect, never a removal", async () => {
      const d23 = await t.read(
        `${host("deb-1")}/diff?from=${e[1]!.report_id}&to=${e[2]!.report_id}`,
      );
      assert.deepEqual(d23.packages, { known: false, installed: [], removed: [], upgraded: [] });
      assert.deepEqual(d23.accounts, { known: false, added: [], removed: [], changed: [] });
      // An empty list is known: every socket closed.
      assert.equal(d23.listening.known, true);
      assert.deepEqual(d23.listening.opened, []);
      assert.deepEqual(d23.listening.closed, e[1]!.listening);
      assert.deepEqual(d23.services, { known: true, added: [], removed: [], changed: [] });
      // sshd and files were not collected at e3: none of their options or files "removed".
      assert.equal(d23.settings.known, true);
      assert.deepEqual(d23.settings.changed, []);

      // The default diff is the latest against the one before it: e3 -> e4.
      const latest = await t.read(`${host("deb-1")}/diff`);
      assert.equal(latest.from.report_id, e[2]!.report_id);
      assert.equal(latest.to.report_id, e[3]!.report_id);
      assert.deepEqual(latest.packages, {
        known: false,
        installed: [],
        removed: [],
        upgraded: [],
      });
      assert.equal(latest.accounts.known, false);
      assert.deepEqual(canonical(latest.listening.opened), canonical(e[3]!.listening!));
      assert.deepEqual(latest.listening.closed, []);

      // Settings present on one side only: unknown.
      const gap = sent["gap-1"]!;
      const settingsGone = await t.read(
        `${host("gap-1")}/diff?from=${gap[1]!.report_id}&to=${gap[2]!.report_id}`,
      );
      assert.deepEqual(settingsGone.settings, {
        known: false,
        changed: [],
        unknown: ["sysctl", "sshd", "files"],
      });
      assert.equal(settingsGone.packages.known, false);
    });

    test("search packages: which hosts had openssl lt:3.0.13, now and at two times", async () => {
      const search = (query: string) => t.read(`/api/v1/search/packages?${query}`);
      const early = await search(`name=openssl&version=lt:3.0.13&at=${at(10, 45)}`);
      assert.deepEqual(hostnamesOf(early.items), ["deb-1", "deb-2"]);
      assert.equal(early.total, 2);
      assert.deepEqual(early.items[0], {
        host_id: ids["deb-1"],
        hostname: "deb-1",
        report_id: e[0]!.report_id,
        collected_at: at(10),
        packages: [pkg.openssl1],
      });
      assert.equal(
        early.items[1].report_id,
        sent["deb-2"]![0]!.report_id,
        "deb-2's 10:30 report arrived late and is the one in effect at 10:45",
      );
      // deb-1 upgraded at 11:00; rpm-1's openssl has epoch 1; apk-1's is 3.1.4.
      const later = await search(`name=openssl&version=lt:3.0.13&at=${at(11, 45)}`);
      assert.deepEqual(hostnamesOf(later.items), ["deb-2"]);
      assert.equal(later.items[0].report_id, sent["deb-2"]![1]!.report_id);
      const now = await search("name=openssl&version=lt:3.0.13");
      assert.deepEqual(hostnamesOf(now.items), ["deb-2"]);
      // At 12:30 deb-1's packages are unknown: it is not a hit, whatever its version was.
      const unknown = await search(`name=openssl&at=${at(12, 30)}`);
      assert.deepEqual(hostnamesOf(unknown.items), ["apk-1", "deb-2", "rpm-1"]);
      assert.equal((await search(`name=openssl&at=${at(9)}`)).total, 0);

      // A Debian tilde sorts before the end: 3.0.13-1~deb12u1 < 3.0.13-1.
      const tilde = await search(`name=openssl&version=lt:3.0.13-1&at=${at(11, 45)}`);
      assert.deepEqual(hostnamesOf(tilde.items), ["deb-1", "deb-2"]);
      assert.deepEqual(tilde.items[0].packages, [pkg.openssl2]);
      const le = await search("name=openssl&version=le:3.0.13-1~deb12u1");
      assert.deepEqual(hostnamesOf(le.items), ["deb-1", "deb-2"]);
      const eq = await search("name=openssl&version=eq:3.0.13-1~deb12u1");
      assert.deepEqual(hostnamesOf(eq.items), ["deb-1"]);
      const ne = await search("name=openssl&version=ne:3.0.13-1~deb12u1");
      assert.deepEqual(hostnamesOf(ne.items), ["apk-1", "deb-2", "rpm-1"]);
      const ge = await search("name=openssl&version=ge:3.1");
      assert.deepEqual(hostnamesOf(ge.items), ["apk-1", "rpm-1"]);

      // Pages over hosts, by hostname.
      const page = await search("name=openssl&limit=1&offset=1");
      assert.deepEqual([hostnamesOf(page.items), page.total], [["deb-1"], 4]);
    });

    test("search packages: each package manager orders its own versions", async () => {
      const hosts = async (query: string) =>
        hostnamesOf((await t.read(`/api/v1/search/packages?${query}`)).items);
      // deb: 1.0~rc1 < 1.0. apk: 1.2.3-r1 > 1.0. rpm: 1:1.0 > 1.0 (epoch).
      assert.deepEqual(await hosts("name=widget&version=lt:1.0"), ["deb-2"]);
      // rpm: an epoch wins over any version: 1:1.0-1.el9 > 2.0.
      assert.deepEqual(await hosts("name=widget&version=gt:2.0"), ["rpm-1"]);
      // apk: -r1 is a later build of 1.2.3.
      assert.deepEqual(await hosts("name=widget&version=gt:1.2.3"), ["apk-1", "rpm-1"]);
      assert.deepEqual(await hosts("name=widget&version=eq:1.2.3-r1"), ["apk-1"]);
      // apk: _rc1 is before the release; deb: +dfsg is after it.
      assert.deepEqual(await hosts("name=gizmo&version=lt:2.0"), ["apk-1"]);
      assert.deepEqual(await hosts("name=gizmo&version=gt:2.0"), ["deb-2"]);
      // rpm: a version without release matches every release of it; deb: the revision counts.
      assert.deepEqual(await hosts("name=gadget&version=eq:2.5"), ["rpm-1"]);
      assert.deepEqual(await hosts("name=gadget&version=gt:2.5"), ["deb-2"]);
      // Two versions of one name (kernels) are both there; the comparator keeps the older.
      const kernels = await t.read("/api/v1/search/packages?name=kernel");
      assert.deepEqual(kernels.items[0].packages, [kernelOld, kernelNew]);
      const old = await t.read("/api/v1/search/packages?name=kernel&version=lt:5.14.0-400");
      assert.deepEqual(old.items[0].packages, [kernelOld]);
    });

    test("search packages: globs ignore case; a bad comparator is a 400 naming querystring/version", async () => {
      const glob = await t.read("/api/v1/search/packages?name=libssl*");
      assert.deepEqual(hostnamesOf(glob.items), ["deb-1", "deb-2"]);
      assert.deepEqual(glob.items[0].packages, [pkg.libssl2]);
      const upper = await t.read("/api/v1/search/packages?name=LIBSSL%3F");
      assert.deepEqual(hostnamesOf(upper.items), ["deb-1", "deb-2"]);
      const any = await t.read(`/api/v1/search/packages?name=*&at=${at(10, 16)}`);
      assert.deepEqual(hostnamesOf(any.items), ["deb-1", "gap-1", "rpm-1"]);
      assert.equal(any.items[2].packages.length, 5);
      assert.equal((await t.read("/api/v1/search/packages?name=nothing*")).total, 0);

      for (const version of ["approx:3.0", "3.0.13", "lt:%20%20", "LT:3.0"]) {
        const r = await t.get(`/api/v1/search/packages?name=openssl&version=${version}`);
        assert.equal(r.statusCode, 400, `${version}: ${r.body}`);
        assert.match(r.json().error.message, /querystring\/version/, version);
      }
      assert.equal((await t.get("/api/v1/search/packages")).statusCode, 400);
      assert.equal((await t.get("/api/v1/search/packages?name=x&at=soon")).statusCode, 400);
    });

    test("search packages: an exact name matches exactly (by the index); a glob ignores case", async () => {
      assert.equal((await t.read("/api/v1/search/packages?name=OpenSSL")).total, 0);
      const exact = await t.read("/api/v1/search/packages?name=openssl");
      assert.deepEqual(hostnamesOf(exact.items), ["apk-1", "deb-1", "deb-2", "rpm-1"]);
      const glob = await t.read("/api/v1/search/packages?name=OpenSS?");
      assert.deepEqual(hostnamesOf(glob.items), ["apk-1", "deb-1", "deb-2", "rpm-1"]);
    });

    test("search listening sockets by port and protocol, now and at a past time", async () => {
      const search = (query: string) => t.read(`/api/v1/search/listening?${query}`);
      const ssh = await search("port=22");
      assert.deepEqual(hostnamesOf(ssh.items), ["deb-1", "deb-2", "rpm-1"]);
      assert.deepEqual(ssh.items[0], {
        host_id: ids["deb-1"],
        hostname: "deb-1",
        report_id: e[3]!.report_id,
        collected_at: at(13),
        listening: [sock.ssh4, sock.ssh6],
      });
      const ssh6 = await search("port=22&protocol=tcp6");
      assert.deepEqual(hostnamesOf(ssh6.items), ["deb-1", "rpm-1"]);
      assert.deepEqual(ssh6.items[0].listening, [sock.ssh6]);
      // deb-2 opened 22 at 11:30 only.
      const then = await search(`port=22&at=${at(11)}`);
      assert.deepEqual(hostnamesOf(then.items), ["deb-1", "rpm-1"]);
      // postgres on 5432 until 11:00.
      assert.deepEqual(hostnamesOf((await search(`port=5432&at=${at(10, 30)}`)).items), ["deb-1"]);
      assert.equal((await search("port=5432")).total, 0);
      // At 12:30 deb-1 listened on nothing (an empty list).
      const ntpThen = await search(`port=123&protocol=udp&at=${at(12, 30)}`);
      assert.deepEqual(hostnamesOf(ntpThen.items), ["apk-1"]);
      const ntpNow = await search("port=123&protocol=udp");
      assert.deepEqual(hostnamesOf(ntpNow.items), ["apk-1", "deb-1"]);
      assert.equal((await search("port=123&protocol=tcp")).total, 0);
      const page = await search("port=22&limit=1&offset=2");
      assert.deepEqual([hostnamesOf(page.items), page.total], [["rpm-1"], 3]);

      assert.equal((await t.get("/api/v1/search/listening?port=22&protocol=sctp")).statusCode, 400);
      assert.equal((await t.get("/api/v1/search/listening?port=70000")).statusCode, 400);
      assert.equal((await t.get("/api/v1/search/listening")).statusCode, 400);
    });

    test("inventory tables of packages and listening sockets, as JSON and CSV", async () => {
      const r1 = sent["rpm-1"]![0]!;
      const rows = await t.read(`/api/v1/inventory/packages?host_id=${ids["rpm-1"]}`);
      const execution = {
        host_id: ids["rpm-1"],
        hostname: "rpm-1",
        ip: "10.0.9.1",
        report_id: r1.report_id,
        collected_at: at(10, 15),
      };
      assert.equal(rows.total, 5);
      assert.deepEqual(
        rows.items,
        [r1.packages![2]!, kernelOld, kernelNew, r1.packages![0]!, r1.packages![1]!].map((p) => ({
          ...execution,
          ...p,
        })),
      );

      // Per execution, newest first; an execution that did not collect packages has no row.
      const deb1Rows = await t.read(`/api/v1/inventory/packages?host_id=${ids["deb-1"]}`);
      assert.equal(deb1Rows.total, 18);
      const perReport = new Map<string, number>();
      for (const r of deb1Rows.items)
        perReport.set(r.report_id, (perReport.get(r.report_id) ?? 0) + 1);
      assert.deepEqual(
        [...perReport],
        [
          [e[3]!.report_id, 6],
          [e[1]!.report_id, 6],
          [e[0]!.report_id, 6],
        ],
      );
      const tz = deb1Rows.items.find((r: { name: string }) => r.name === "tzdata");
      assert.equal(tz.arch, null, "a package sent without arch");
      const oneReport = await t.read(`/api/v1/inventory/packages?report_id=${e[2]!.report_id}`);
      assert.equal(oneReport.total, 0);
      const ranged = await t.read(
        `/api/v1/inventory/packages?host_id=${ids["deb-1"]}&from=${at(10, 30)}&to=${at(12, 30)}&limit=2&offset=1`,
      );
      assert.equal(ranged.total, 6);
      assert.deepEqual(
        ranged.items.map((r: { name: string; version: string }) => [r.name, r.version]),
        [
          ["libc6", pkg.libc.version],
          ["libssl3", pkg.libssl2.version],
        ],
      );

      const csv = await t.get(`/api/v1/inventory/packages?host_id=${ids["rpm-1"]}&format=csv`);
      assert.equal(csv.statusCode, 200);
      assert.match(csv.headers["content-type"] as string, /text\/csv/);
      const prefix = `${ids["rpm-1"]},rpm-1,10.0.9.1,${r1.report_id},${at(10, 15)}`;
      assert.deepEqual(csv.body.split("\r\n"), [
        "host_id,hostname,ip,report_id,collected_at,name,version,arch,source",
        `${prefix},gadget,2.5-3.el9,x86_64,rpm`,
        `${prefix},kernel,5.14.0-362.8.1.el9_3,x86_64,rpm`,
        `${prefix},kernel,5.14.0-427.13.1.el9_4,x86_64,rpm`,
        `${prefix},openssl,1:3.0.7-27.el9,x86_64,rpm`,
        `${prefix},widget,1:1.0-1.el9,x86_64,rpm`,
        "",
      ]);

      const sockets = await t.read(`/api/v1/inventory/listening?report_id=${e[0]!.report_id}`);
      const e1 = {
        host_id: ids["deb-1"],
        hostname: "deb-1",
        ip: "10.0.9.1",
        report_id: e[0]!.report_id,
        collected_at: at(10),
      };
      assert.deepEqual(sockets.items, [
        { ...e1, ...sock.ssh4 },
        { ...e1, ...sock.pg },
        { ...e1, ...sock.ssh6, pid: null, process: null },
      ]);
      const socketsCsv = await t.app.inject({
        method: "GET",
        url: `/api/v1/inventory/listening?report_id=${e[0]!.report_id}`,
        headers: { ...t.admin, accept: "text/csv" },
      });
      const p1 = `${ids["deb-1"]},deb-1,10.0.9.1,${e[0]!.report_id},${at(10)}`;
      assert.deepEqual(socketsCsv.body.split("\r\n"), [
        "host_id,hostname,ip,report_id,collected_at,protocol,address,port,pid,process",
        `${p1},tcp,0.0.0.0,22,812,sshd`,
        `${p1},tcp,127.0.0.1,5432,1000,postgres`,
        `${p1},tcp6,::,22,,`,
        "",
      ]);
      const empty = await t.read(`/api/v1/inventory/listening?report_id=${e[2]!.report_id}`);
      assert.equal(empty.total, 0);
    });

    test("an inventory-only change is a change: the host's last change, the timeline, the diff", async () => {
      const svc = sent["svc-1"]!;
      const svcHost = await t.read(host("svc-1"));
      assert.equal(Date.parse(svcHost.last_changed_at), Date.parse(at(9, 20)), "nginx stopped");
      assert.equal(Date.parse(svcHost.last_seen_at), Date.parse(at(9, 30)));
      const timeline = await t.read(`${host("svc-1")}/reports?sort=collected_at`);
      assert.deepEqual(
        timeline.items.map((x: { report_id: string }) => x.report_id),
        svc.map((r) => r.report_id),
      );
      const { inventory_changed: _, ...others } = timeline.items[2].changes;
      assert.deepEqual(others, {
        processes_started: 0,
        processes_ended: 0,
        sessions_opened: 0,
        sessions_closed: 0,
        facts_changed: 0,
      });
      const d = await t.read(`${host("svc-1")}/diff?to=${svc[2]!.report_id}`);
      assert.equal(d.from.report_id, svc[1]!.report_id);
      assert.deepEqual(d.services, {
        known: true,
        added: [],
        removed: [],
        changed: [{ before: nginxUp, after: nginxDown }],
      });
      assert.deepEqual(d.processes, { started: [], ended: [], changed: [] });
      assert.deepEqual(d.facts, []);
      // deb-1's e3 lists the collectors that failed.
      const tl = await t.read(`${host("deb-1")}/reports?sort=collected_at`);
      assert.deepEqual(
        tl.items.map((x: { errors: unknown[] }) => x.errors),
        [[], [], [dpkgLocked, sshdFailed], []],
      );
    });

    test("the timeline's changes.inventory_changed counts the inventory lifetimes started and ended", async () => {
      const svcTimeline = await t.read(`${host("svc-1")}/reports?sort=collected_at`);
      assert.deepEqual(
        svcTimeline.items.map((x: { changes: { inventory_changed?: number } | null }) =>
          x.changes === null ? null : x.changes.inventory_changed,
        ),
        [null, 0, 2, 0],
        "nginx stopped: one lifetime ended, one started, like a renamed process",
      );
      const tl = await t.read(`${host("deb-1")}/reports?sort=collected_at`);
      assert.equal(tl.items[0].changes, null);
      // packages 3 upgraded (2 each) + 1 installed + 1 removed; sockets 1 opened + 1 closed;
      // alice's shell 2; nginx and cron 2 each; net.ipv4.ip_forward 2.
      assert.equal(tl.items[1].changes.inventory_changed, 3 * 2 + 1 + 1 + 2 + 2 + 2 * 2 + 2);
    });

    test("the change feed hands out an inventory-only change, and not an unchanged check-in", async () => {
      const svc = sent["svc-1"]!;
      const items = await feed();
      assert.deepEqual(
        items.filter((i) => i.host_id === ids["svc-1"]).map((i) => [i.report_id, i.first]),
        [
          [svc[0]!.report_id, true],
          [svc[2]!.report_id, false],
        ],
      );
      const deb1Items = items.filter((i) => i.host_id === ids["deb-1"]).map((i) => i.report_id);
      assert.deepEqual(deb1Items.slice(0, 2), [e[0]!.report_id, e[1]!.report_id]);
    });

    test("a section not collected is no change: not in the feed, not the host's last change", async () => {
      const gap = sent["gap-1"]!;
      const items = await feed();
      assert.deepEqual(
        items.filter((i) => i.host_id === ids["gap-1"]).map((i) => i.report_id),
        [gap[0]!.report_id],
        "packages unknown at 08:10 are not removed, nor installed again at 08:20",
      );
      const gapHost = await t.read(host("gap-1"));
      assert.equal(Date.parse(gapHost.last_changed_at), Date.parse(at(8)));
    });

    test("a report with the same inventory item twice is refused, naming the field", async () => {
      const { nodeKey, hostId } = await t.enroll("dup-1");
      const base = (parts: Partial<Report>) => reportOf("dup-1", at(14), parts);
      const cases: [Report, string][] = [
        [base({ packages: [pkg.openssl1, pkg.curl, { ...pkg.openssl1 }] }), "body/packages/2"],
        [base({ listening: [sock.ssh4, { ...sock.ssh4, process: "sshd2" }] }), "body/listening/1"],
        [base({ accounts: [root, { ...root, uid: 1 }] }), "body/accounts/1"],
        [base({ services: [ssh, { ...ssh, state: "failed" }] }), "body/services/1"],
        [
          base({ settings: { files: [shadow, { ...shadow, mode: "0600" }] } }),
          "body/settings/files/1",
        ],
      ];
      for (const [report, path] of cases) {
        const r = await t.send(nodeKey, report);
        assert.equal(r.statusCode, 400, r.body);
        const error = r.json().error;
        assert.equal(error.code, "invalid_request");
        assert.ok(error.message.startsWith(path), `${error.message} names ${path}`);
        assert.equal(error.details[0].path, path);
      }
      assert.equal((await t.read(`/api/v1/hosts/${hostId}`)).executions, 0);
      // The same name in two versions (two kernels) is two packages, and accepted.
      clock += 1000;
      await t.store201(
        nodeKey,
        base({ packages: [deb("linux-image", "6.1.76-1"), deb("linux-image", "6.1.85-1")] }),
      );
    });
  });
}
