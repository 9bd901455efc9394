import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { serviceSettings } from "../../../scripts/systemd-unit.mjs";
import { loadConfig } from "../src/config.ts";
import { buildAgentBundle, tempDir } from "./harness.ts";

const DEPLOY = join(import.meta.dirname, "..", "..", "..", "deploy", "agent");
const UNIT = join(DEPLOY, "compliance-agent.service");

const hasSystemdAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;

describe("the systemd unit", () => {
  const settings = serviceSettings(readFileSync(UNIT, "utf8"));
  const one = (key: string) => settings.get(key)?.at(-1);

  test("an unprivileged user without capabilities, a hardened sandbox, its state directory writable", () => {
    assert.equal(one("User"), "compliance-agent");
    assert.equal(one("NoNewPrivileges"), "yes");
    assert.equal(one("CapabilityBoundingSet"), "");
    assert.equal(one("AmbientCapabilities"), "");
    assert.equal(one("ProtectSystem"), "strict");
    assert.equal(one("StateDirectory"), "compliance-agent");
    assert.equal(one("StateDirectoryMode"), "0700");
    assert.equal(one("PrivateTmp"), "yes");
    assert.match(
      one("ExecStart") ?? "",
      /^\/\S+\/node (--\S+ )*\/usr\/local\/lib\/compliance-agent\/compliance-agent\.js run$/,
    );
  });

  test("nothing that would hide processes, users or the network interfaces from it", () => {
    assert.notEqual(one("ProtectProc"), "invisible");
    assert.equal(settings.has("ProcSubset"), false);
    assert.notEqual(one("PrivateUsers"), "yes");
    assert.notEqual(one("MemoryDenyWriteExecute"), "yes", "V8's JIT");
    assert.notEqual(one("PrivateNetwork"), "yes");
    assert.match(one("RestrictAddressFamilies") ?? "", /AF_NETLINK/);
    assert.match(one("RestrictAddressFamilies") ?? "", /AF_INET6/);
  });

  test("stops with SIGTERM and time to spool; restarts on failure but not for a bad configuration", () => {
    assert.equal(one("KillSignal"), "SIGTERM");
    assert.ok(Number.parseInt(one("TimeoutStopSec") ?? "0", 10) >= 10);
    assert.equal(one("Restart"), "on-failure");
    assert.equal(one("RestartPreventExitStatus"), "2");
    assert.ok(
      one("MemoryMax") && one("CPUWeight") && one("Nice"),
      "bounded so it never hurts the host",
    );
  });

  test("systemd-analyze verify finds nothing to say", {
    skip: !hasSystemdAnalyze && "no systemd-analyze here",
  }, () => {
    const result = spawnSync("systemd-analyze", ["verify", UNIT], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr.trim(), "");
  });
});

describe("install.sh into a temporary root (DESTDIR)", () => {
  let dir: string;
  let root: string;
  let bundle: string;
  let mountinfo: string;
  const isRoot = process.getuid?.() === 0;

  before(async () => {
    dir = tempDir("agent-install-");
    root = join(dir, "root");
    bundle = await buildAgentBundle(dir);
    mountinfo = join(dir, "mountinfo");
    writeFileSync(
      mountinfo,
      "22 27 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw,hidepid=invisible,gid=4242\n",
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const install = (args: string[], user = "nobody") =>
    spawnSync("sh", [join(DEPLOY, "install.sh"), "--bundle", bundle, ...args], {
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        DESTDIR: root,
        AGENT_USER: user,
        MOUNTINFO: mountinfo,
        NODE: process.execPath,
      },
    });

  /** Every path under the root with its type, mode and owner, to compare two installs. */
  const tree = () => {
    const entries: string[] = [];
    const walk = (path: string) => {
      const stat = lstatSync(path);
      entries.push(
        `${relative(root, path)} ${stat.mode.toString(8)} ${stat.uid}:${stat.gid} ${stat.isFile() ? stat.size : ""}`,
      );
      if (stat.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name));
    };
    walk(root);
    return entries;
  };

  test("installs the program, a config.ini (0640) with the server and secret, a 0700 state directory, the unit", () => {
    const result = install([
      "--server",
      "https://compliance.example.com",
      "--enroll-secret",
      "s3cret-enroll",
    ]);
    assert.equal(result.status, 0, result.stderr + result.stdout);

    const lib = join(root, "usr/local/lib/compliance-agent/compliance-agent.js");
    assert.equal(statSync(lib).mode & 0o777, 0o755);
    assert.equal(
      readlinkSync(join(root, "usr/local/bin/compliance-agent")),
      "/usr/local/lib/compliance-agent/compliance-agent.js",
    );
    assert.equal(
      execFileSync(process.execPath, [lib, "--version"], { encoding: "utf8" }),
      "0.1.0\n",
    );

    const confDir = join(root, "etc/compliance-agent");
    const config = join(confDir, "config.ini");
    assert.equal(statSync(confDir).mode & 0o777, 0o750);
    assert.equal(statSync(config).mode & 0o777, 0o640);
    const parsed = loadConfig({ flags: { config }, env: {}, uid: 1000, cwd: "/" });
    assert.equal(parsed.serverUrl, "https://compliance.example.com/");
    assert.equal(parsed.enrollSecret, "s3cret-enroll");

    const state = join(root, "var/lib/compliance-agent");
    assert.equal(statSync(state).mode & 0o777, 0o700);
    if (isRoot) {
      const nobody = Number(execFileSync("id", ["-u", "nobody"], { encoding: "utf8" }));
      assert.equal(statSync(state).uid, nobody, "owned by the service user");
      assert.equal(statSync(config).uid, 0, "the configuration belongs to root");
    }

    const unit = readFileSync(join(root, "etc/systemd/system/compliance-agent.service"), "utf8");
    assert.match(
      unit,
      new RegExp(
        `^ExecStart=${process.execPath} --optimize-for-size --max-semi-space-size=1 --v8-pool-size=1 --expose-gc /usr/local/lib/compliance-agent/compliance-agent\\.js run$`,
        "m",
      ),
    );
    assert.match(unit, /^User=nobody$/m);
    const dropIn = readFileSync(
      join(root, "etc/systemd/system/compliance-agent.service.d/proc-group.conf"),
      "utf8",
    );
    assert.match(
      dropIn,
      /^SupplementaryGroups=4242$/m,
      "hidepid=: the service joins the mount's group",
    );
  });

  test("idempotent: a second run changes nothing and keeps the configuration", () => {
    const before = tree();
    const configBefore = readFileSync(join(root, "etc/compliance-agent/config.ini"), "utf8");
    const result = install(["--server", "https://other.example.com"]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /kept the existing configuration/);
    assert.deepEqual(tree(), before);
    assert.equal(readFileSync(join(root, "etc/compliance-agent/config.ini"), "utf8"), configBefore);
  });

  test("the unit as installed passes systemd-analyze verify", {
    skip: !hasSystemdAnalyze && "no systemd-analyze here",
  }, () => {
    const result = spawnSync(
      "systemd-analyze",
      ["verify", join(root, "etc/systemd/system/compliance-agent.service")],
      {
        encoding: "utf8",
      },
    );
    assert.equal(result.status, 0, result.stderr);
  });

  test("the script is executable and answers --help", () => {
    assert.ok(statSync(join(DEPLOY, "install.sh")).mode & 0o100);
    const help = spawnSync(join(DEPLOY, "install.sh"), ["--help"], { encoding: "utf8" });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /DESTDIR/);
  });

  test("without hidepid there is no drop-in; bad options fail", () => {
    writeFileSync(mountinfo, "22 27 0:21 / /proc rw,relatime - proc proc rw\n");
    assert.equal(install([]).status, 0);
    assert.equal(
      existsSync(join(root, "etc/systemd/system/compliance-agent.service.d/proc-group.conf")),
      false,
    );
    const bad = install(["--bogus"]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /unknown option --bogus/);
  });

  test("as the unprivileged service user the agent still sees other users' processes and command lines", {
    skip: !isRoot && "needs root to switch users",
  }, () => {
    chmodSync(dir, 0o755);
    const nobody = Number(execFileSync("id", ["-u", "nobody"], { encoding: "utf8" }));
    const nogroup = Number(execFileSync("id", ["-g", "nobody"], { encoding: "utf8" }));
    // This Node may live where the service user cannot reach (root's home): run a copy.
    const node = join(dir, "node");
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
    const out = execFileSync(node, [bundle, "collect", "--cpu-window", "0"], {
      encoding: "utf8",
      uid: nobody,
      gid: nogroup,
      cwd: "/",
      env: { PATH: process.env.PATH, HOME: "/nonexistent", STATE_DIRECTORY: join(dir, "state") },
      maxBuffer: 64 * 1024 * 1024,
    });
    const report = JSON.parse(out);
    const self = report.processes.find((p: { pid: number }) => p.pid === process.pid);
    assert.ok(self, "this root-owned test process is visible");
    assert.equal(self.user, "root");
    assert.match(self.cmdline, /node/);
    assert.equal(report.processes.find((p: { pid: number }) => p.pid === 1)?.user, "root");
  });
});
