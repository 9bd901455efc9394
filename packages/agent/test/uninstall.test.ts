/**
 * deploy/agent/install.sh into a temporary root (DESTDIR) for a service user this machine
 * does not have (as when staging files for a package), and its --uninstall: the program
 * and the unit go, the configuration, the node key and the spool stay unless --purge.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../src/config.ts";
import { buildAgentBundle, tempDir } from "./harness.ts";

const INSTALL = join(import.meta.dirname, "..", "..", "..", "deploy", "agent", "install.sh");
/** A user no machine has: the files stay the invoker's, the unit names the user's group. */
const USER = "compliance-agent-staged";

describe("install.sh --uninstall in a temporary root (DESTDIR)", () => {
  let dir: string;
  let root: string;
  let bundle: string;

  before(async () => {
    dir = tempDir("agent-uninstall-");
    root = join(dir, "root");
    bundle = await buildAgentBundle(dir);
    writeFileSync(join(dir, "mountinfo"), "22 27 0:21 / /proc rw - proc proc rw\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const sh = (args: string[]) =>
    spawnSync("sh", [INSTALL, ...args], {
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        DESTDIR: root,
        AGENT_USER: USER,
        MOUNTINFO: join(dir, "mountinfo"),
        NODE: process.execPath,
      },
    });
  const at = (path: string) => join(root, path);
  const unit = "etc/systemd/system/compliance-agent.service";
  const state = "var/lib/compliance-agent";

  test("a user that does not exist here: the unit names its group, never the invoker's", () => {
    assert.notEqual(spawnSync("getent", ["passwd", USER]).status, 0, `${USER} must not exist`);
    // A secret with characters sed or awk -v would mangle is written as given.
    const secret = String.raw`s3cret&|\1\n/enroll`;
    const result = sh([
      "--bundle",
      bundle,
      "--server",
      "https://c.example.com",
      "--enroll-secret",
      secret,
    ]);
    assert.equal(result.status, 0, result.stderr + result.stdout);
    const text = readFileSync(at(unit), "utf8");
    assert.match(text, new RegExp(`^User=${USER}$`, "m"));
    assert.match(text, new RegExp(`^Group=${USER}$`, "m"));
    assert.doesNotMatch(text, /^Group=root$/m);
    const config = loadConfig({
      flags: { config: at("etc/compliance-agent/config.ini") },
      env: {},
      uid: 1000,
      cwd: "/",
    });
    assert.equal(config.serverUrl, "https://c.example.com/");
    assert.equal(config.enrollSecret, secret);
  });

  test("--uninstall removes the program and the unit, keeps the configuration and the state", () => {
    mkdirSync(at(`${state}/spool`), { recursive: true });
    writeFileSync(at(`${state}/node-key`), "key\n");
    writeFileSync(at(`${state}/spool/1.json`), "{}\n");
    const result = sh(["--uninstall"]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /kept \/etc\/compliance-agent .* --purge deletes them/);
    for (const gone of [
      unit,
      "usr/local/bin/compliance-agent",
      "usr/local/lib/compliance-agent/compliance-agent.js",
      "usr/local/lib/compliance-agent",
    ]) {
      assert.equal(existsSync(at(gone)), false, `${gone} is removed`);
    }
    assert.match(readFileSync(at("etc/compliance-agent/config.ini"), "utf8"), /^url = /m);
    assert.equal(readFileSync(at(`${state}/node-key`), "utf8"), "key\n");
    assert.ok(existsSync(at(`${state}/spool/1.json`)));
  });

  test("installing again resumes with the kept configuration; --uninstall --purge deletes everything", () => {
    const again = sh(["--bundle", bundle]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /kept the existing configuration/);
    assert.equal(readFileSync(at(`${state}/node-key`), "utf8"), "key\n");

    const purge = sh(["--uninstall", "--purge"]);
    assert.equal(purge.status, 0, purge.stderr);
    for (const gone of ["etc/compliance-agent", state, unit, "usr/local/bin/compliance-agent"]) {
      assert.equal(existsSync(at(gone)), false, `${gone} is removed`);
    }
  });

  test("--purge alone is refused", () => {
    const result = sh(["--purge"]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /--purge goes with --uninstall/);
  });
});
