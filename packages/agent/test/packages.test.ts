/**
 * The agent as packaged for servers without Node.js (scripts/package-agent.mjs): the
 * single executable runs with no `node` anywhere on PATH, and the .deb and the .rpm,
 * installed into a throwaway root by the real dpkg and rpm (maintainer scripts included,
 * chrooted), give a service user, safe modes, an agent that enrolls with the real API, and
 * upgrades and removals that keep the configuration, the node key and the spool.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { delimiter, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { validateReport } from "@compliance/contract";
import {
  AGENT_VERSION,
  buildRpm,
  packageAgent,
  unitNodeOptions,
} from "../../../scripts/package-agent.mjs";
import { ENROLL_SECRET, freePort, RealApi, tempDir } from "./harness.ts";
import { makeRoot, rootGroup, rootUser } from "./throwaway-root.ts";

const isRoot = process.getuid?.() === 0;
const NEEDS_ROOT = !isRoot && "dpkg --root and rpm --root chroot into the root: needs root";

/** This machine's PATH without any directory that holds a `node`. */
const PATH_WITHOUT_NODE = (process.env.PATH ?? "/usr/bin:/bin")
  .split(delimiter)
  .filter((dir) => dir !== "" && !existsSync(join(dir, "node")))
  .join(delimiter);

/**
 * The environment for dpkg and rpm. Without a preloaded library (faketime's, in the far
 * future pass): the maintainer scripts run chrooted in the throwaway root, which has none.
 */
const PACKAGER_ENV = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => name !== "LD_PRELOAD" && !name.startsWith("FAKETIME"),
  ),
);

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program without blocking this process (the API under test answers from it). */
function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: "/",
      env: options.env ?? { PATH: PATH_WITHOUT_NODE },
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

function ok(result: Ran, what: string): Ran {
  assert.equal(result.status, 0, `${what}:\n${result.stderr}${result.stdout}`);
  return result;
}

/** Mode and owner of a path under the root, in one comparable string. */
function modeOf(path: string): string {
  const stat = statSync(path);
  return `${(stat.mode & 0o7777).toString(8).padStart(4, "0")} ${stat.uid}:${stat.gid}`;
}

let dir: string;
let made: { executable: string; deb?: string; rpm?: string };
let api: RealApi;

before(async () => {
  dir = tempDir("agent-packages-");
  chmodSync(dir, 0o755);
  for (const tool of ["dpkg-deb", "rpmbuild"]) {
    if (spawnSync(tool, ["--version"]).status !== 0) {
      throw new Error(
        `${tool} is missing: install Debian's ${tool === "rpmbuild" ? "rpm" : "dpkg"} package`,
      );
    }
  }
  made = await packageAgent({ outDir: join(dir, "out") });
  api = await new RealApi().start();
});
after(async () => {
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the single executable", () => {
  test("is named for its version and platform, and carries the unit's node flags", () => {
    assert.match(
      made.executable,
      new RegExp(`compliance-agent-${AGENT_VERSION}-linux-${process.arch}$`),
    );
    assert.deepEqual(unitNodeOptions(), [
      "--optimize-for-size",
      "--max-semi-space-size=1",
      "--v8-pool-size=1",
      "--expose-gc",
    ]);
  });

  test("runs --version and collect with no node on PATH, and the report is valid", async () => {
    const which = spawnSync("sh", ["-c", "command -v node"], { env: { PATH: PATH_WITHOUT_NODE } });
    assert.notEqual(which.status, 0, "no node is reachable through this PATH");
    const version = ok(await run(made.executable, ["--version"]), "--version");
    assert.equal(version.stdout, `${AGENT_VERSION}\n`);
    // V8 takes the code cache it carries (made under the same flags) without a warning.
    assert.equal(version.stderr, "");

    const child = spawn(made.executable, ["collect", "--cpu-window", "0"], {
      cwd: "/",
      env: { PATH: PATH_WITHOUT_NODE, HOME: dir },
    });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    const status = await new Promise((resolve) => child.on("close", resolve));
    assert.equal(status, 0);
    const report = JSON.parse(out);
    const valid = validateReport(report);
    assert.ok(valid.ok, JSON.stringify(!valid.ok && valid.problems.slice(0, 3)));
    assert.equal(report.agent.version, AGENT_VERSION);
    const self = report.processes.find((p: { pid: number }) => p.pid === child.pid);
    assert.ok(self, "the report holds the executable's own process");
    assert.match(self.cmdline, /compliance-agent-[^ ]+ collect/);
  });
});

/** Points the installed configuration at the API, as an administrator would. */
function configure(root: string): string {
  const config = join(root, "etc/compliance-agent/config.ini");
  const text = readFileSync(config, "utf8")
    .replace(/^# url = .*$/m, `url = ${api.url}`)
    .replace(/^# enroll_secret = .*$/m, `enroll_secret = ${ENROLL_SECRET}`);
  writeFileSync(config, text);
  return text;
}

/** One check-in by the installed agent, as the service user, as the unit runs it. */
function checkIn(root: string, env: Record<string, string> = {}): Promise<Ran> {
  const user = rootUser(root, "compliance-agent")!;
  return run(
    join(root, "usr/bin/compliance-agent"),
    ["run", "--once", "--config", join(root, "etc/compliance-agent/config.ini")],
    {
      uid: user.uid,
      gid: user.gid,
      env: {
        PATH: PATH_WITHOUT_NODE,
        HOME: "/nonexistent",
        STATE_DIRECTORY: join(root, "var/lib/compliance-agent"),
        ...env,
      },
    },
  );
}

/** The stored report id and host of a successful `run --once`. */
function stored(result: Ran): { reportId: string; hostId: number } {
  ok(result, "run --once");
  const m = /stored report (\S+) for host (\d+)/.exec(result.stdout);
  assert.ok(m, result.stdout);
  return { reportId: m[1]!, hostId: Number(m[2]) };
}

/** Checks the files, modes and user a fresh install leaves in the root. */
function assertInstalled(root: string): void {
  const user = rootUser(root, "compliance-agent");
  assert.ok(user, "the maintainer script created the service user");
  const gid = rootGroup(root, "compliance-agent");
  assert.equal(user.gid, gid);
  const passwd = readFileSync(join(root, "etc/passwd"), "utf8");
  assert.match(
    passwd,
    /^compliance-agent:x:\d+:\d+:[^:]*:\/var\/lib\/compliance-agent:\/(usr\/)?sbin\/nologin$/m,
  );
  assert.ok(user.uid < 1000, "a system user");

  assert.equal(modeOf(join(root, "usr/bin/compliance-agent")), "0755 0:0");
  assert.equal(modeOf(join(root, "usr/lib/systemd/system/compliance-agent.service")), "0644 0:0");
  assert.equal(modeOf(join(root, "etc/compliance-agent")), `0750 0:${gid}`);
  assert.equal(modeOf(join(root, "etc/compliance-agent/config.ini")), `0640 0:${gid}`);
  assert.equal(modeOf(join(root, "var/lib/compliance-agent")), `0700 ${user.uid}:${gid}`);
  const unit = readFileSync(join(root, "usr/lib/systemd/system/compliance-agent.service"), "utf8");
  assert.match(unit, /^ExecStart=\/usr\/bin\/compliance-agent run$/m);
  assert.match(unit, /^User=compliance-agent$/m);
}

const hasSystemdAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;

/** The installed unit passes systemd-analyze verify, its ExecStart at the root's binary. */
function assertUnitVerifies(root: string): void {
  if (!hasSystemdAnalyze) {
    throw new Error("systemd-analyze is missing: install Debian's systemd package");
  }
  const unitDir = tempDir("agent-unit-");
  try {
    const unit = join(unitDir, "compliance-agent.service");
    writeFileSync(
      unit,
      readFileSync(join(root, "usr/lib/systemd/system/compliance-agent.service"), "utf8").replace(
        /^ExecStart=\/usr\/bin\/compliance-agent /m,
        `ExecStart=${join(root, "usr/bin/compliance-agent")} `,
      ),
    );
    const verify = spawnSync("systemd-analyze", ["verify", unit], { encoding: "utf8" });
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal(verify.stderr.trim(), "");
  } finally {
    rmSync(unitDir, { recursive: true, force: true });
  }
}

/** A spooled report: a check-in while the API cannot be reached. */
async function spoolOne(root: string): Promise<void> {
  const port = await freePort();
  const failed = await checkIn(root, { COMPLIANCE_SERVER_URL: `http://127.0.0.1:${port}` });
  assert.notEqual(failed.status, 0, "no API there");
  const spool = join(root, "var/lib/compliance-agent/spool");
  assert.equal(readdirSync(spool).filter((f) => f.endsWith(".json")).length, 1, failed.stderr);
}

/** A dpkg-query field in its --showformat syntax. */
const field = (name: string) => `$\{${name}}`;

describe("the .deb, installed into a throwaway root by dpkg --root", { skip: NEEDS_ROOT }, () => {
  let root: string;
  let host: number;
  const dpkg = (...args: string[]) =>
    run("dpkg", [`--root=${root}`, ...args], { env: PACKAGER_ENV });
  const status = () =>
    spawnSync(
      "dpkg-query",
      [
        `--admindir=${join(root, "var/lib/dpkg")}`,
        "-W",
        "-f",
        `${field("Version")} ${field("db:Status-Abbrev")}`,
        "compliance-agent",
      ],
      { encoding: "utf8" },
    ).stdout.trim();

  before(() => {
    root = makeRoot(join(dir, "deb-root"));
    for (const sub of ["info", "updates", "triggers"]) {
      spawnSync("mkdir", ["-p", join(root, "var/lib/dpkg", sub)]);
    }
    writeFileSync(join(root, "var/lib/dpkg/status"), "");
  });

  test("installs the executable, the unit, a 0640 configuration and a 0700 state directory for a new system user", async () => {
    // The root has no libc6 or passwd package registered: only those dependencies are forced.
    ok(await dpkg("--force-depends", "-i", made.deb!), "dpkg -i");
    assert.equal(status(), "0.1.0-1 ii");
    assertInstalled(root);
    const conffiles = spawnSync(
      "dpkg-query",
      [
        `--admindir=${join(root, "var/lib/dpkg")}`,
        "-W",
        "-f",
        field("Conffiles"),
        "compliance-agent",
      ],
      { encoding: "utf8" },
    ).stdout;
    assert.match(conffiles, /^ \/etc\/compliance-agent\/config\.ini [0-9a-f]{32}$/m);
    assertUnitVerifies(root);
  });

  test("the installed agent, as the service user, enrolls and its report is read back from the API", async () => {
    configure(root);
    const first = stored(await checkIn(root));
    host = first.hostId;
    const report = await api.report(first.reportId);
    assert.equal(report.report_id, first.reportId);
    assert.equal(report.agent.version, AGENT_VERSION);
    const user = rootUser(root, "compliance-agent")!;
    assert.equal(statSync(join(root, "var/lib/compliance-agent/node-key")).uid, user.uid);
  });

  test("an upgrade keeps the edited configuration, the node key and the spool", async () => {
    await spoolOne(root);
    const config = readFileSync(join(root, "etc/compliance-agent/config.ini"), "utf8");
    const key = readFileSync(join(root, "var/lib/compliance-agent/node-key"), "utf8");
    const before = (await api.reportIds(host)).length;

    // The same package as a later revision: unpacked and rebuilt uncompressed.
    const unpacked = join(dir, "deb-2");
    ok(await run("dpkg-deb", ["-R", made.deb!, unpacked], { env: PACKAGER_ENV }), "dpkg-deb -R");
    const control = join(unpacked, "DEBIAN/control");
    writeFileSync(
      control,
      readFileSync(control, "utf8").replace(/^Version: .*$/m, "Version: 0.1.0-2"),
    );
    const next = join(dir, "compliance-agent_0.1.0-2.deb");
    ok(
      await run("dpkg-deb", ["--root-owner-group", "-Znone", "-b", unpacked, next], {
        env: process.env,
      }),
      "dpkg-deb -b",
    );
    rmSync(unpacked, { recursive: true, force: true });
    ok(await dpkg("--force-depends", "-i", next), "dpkg -i (upgrade)");
    assert.equal(status(), "0.1.0-2 ii");

    assert.equal(readFileSync(join(root, "etc/compliance-agent/config.ini"), "utf8"), config);
    assert.equal(readFileSync(join(root, "var/lib/compliance-agent/node-key"), "utf8"), key);
    assertInstalled(root);
    const after = stored(await checkIn(root));
    assert.equal(after.hostId, host, "the same host, with the same node key");
    assert.equal(
      (await api.reportIds(host)).length,
      before + 2,
      "the spooled report, then the new one",
    );
  });

  test("removal keeps the configuration and the state; purge deletes them", async () => {
    ok(await dpkg("-r", "compliance-agent"), "dpkg -r");
    assert.equal(status(), "0.1.0-2 rc");
    assert.equal(existsSync(join(root, "usr/bin/compliance-agent")), false);
    assert.equal(existsSync(join(root, "usr/lib/systemd/system/compliance-agent.service")), false);
    assert.match(readFileSync(join(root, "etc/compliance-agent/config.ini"), "utf8"), /^url = /m);
    assert.ok(existsSync(join(root, "var/lib/compliance-agent/node-key")));

    ok(await dpkg("-P", "compliance-agent"), "dpkg -P");
    assert.equal(existsSync(join(root, "etc/compliance-agent")), false);
    assert.equal(existsSync(join(root, "var/lib/compliance-agent")), false);
    assert.ok(rootUser(root, "compliance-agent"), "the system user stays");
  });
});

describe("the .rpm, installed into a throwaway root by rpm --root", { skip: NEEDS_ROOT }, () => {
  let root: string;
  let host: number;
  const rpm = (...args: string[]) =>
    run("rpm", ["--root", root, "--dbpath", "/var/lib/rpm", ...args], { env: PACKAGER_ENV });

  before(async () => {
    root = makeRoot(join(dir, "rpm-root"));
    ok(await rpm("--initdb"), "rpm --initdb");
    // The .deb's agent enrolled this machine already: this is the machine installed again.
    await api.revokeKeys();
  });

  test("installs the executable, the unit, a 0640 configuration and a 0700 state directory for a new system user", async () => {
    // The root's rpm database knows no package: /bin/sh and shadow-utils are not checked.
    ok(await rpm("-i", "--nodeps", made.rpm!), "rpm -i");
    assert.match((await rpm("-q", "compliance-agent")).stdout, /^compliance-agent-0\.1\.0-1\./);
    assertInstalled(root);
    assert.equal(
      (await rpm("-qc", "compliance-agent")).stdout.trim(),
      "/etc/compliance-agent/config.ini",
    );
    assertUnitVerifies(root);
  });

  test("the installed agent, as the service user, enrolls and its report is read back from the API", async () => {
    configure(root);
    const first = stored(await checkIn(root));
    host = first.hostId;
    assert.equal((await api.report(first.reportId)).report_id, first.reportId);
  });

  test("an upgrade keeps the edited configuration, the node key and the spool", async () => {
    await spoolOne(root);
    const config = readFileSync(join(root, "etc/compliance-agent/config.ini"), "utf8");
    const key = readFileSync(join(root, "var/lib/compliance-agent/node-key"), "utf8");
    const before = (await api.reportIds(host)).length;

    const next = buildRpm(made.executable, join(dir, "rpm-2"), {
      release: "2",
      payload: "w1.gzdio",
    });
    ok(await rpm("-U", "--nodeps", next), "rpm -U");
    assert.match((await rpm("-q", "compliance-agent")).stdout, /^compliance-agent-0\.1\.0-2\./);
    assert.equal(readFileSync(join(root, "etc/compliance-agent/config.ini"), "utf8"), config);
    assert.equal(existsSync(join(root, "etc/compliance-agent/config.ini.rpmnew")), false);
    assert.equal(readFileSync(join(root, "var/lib/compliance-agent/node-key"), "utf8"), key);
    assertInstalled(root);
    const after = stored(await checkIn(root));
    assert.equal(after.hostId, host);
    assert.equal(
      (await api.reportIds(host)).length,
      before + 2,
      "the spooled report, then the new one",
    );
  });

  test("erasing keeps the node key and the edited configuration (as .rpmsave)", async () => {
    ok(await rpm("-e", "compliance-agent"), "rpm -e");
    assert.equal(existsSync(join(root, "usr/bin/compliance-agent")), false);
    assert.match(
      readFileSync(join(root, "etc/compliance-agent/config.ini.rpmsave"), "utf8"),
      /^url = /m,
    );
    assert.ok(existsSync(join(root, "var/lib/compliance-agent/node-key")));
  });
});
