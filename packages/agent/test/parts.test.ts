import assert from "node:assert/strict";
import { execFileSync, execSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCli } from "../src/cli.ts";
import { formatTable } from "../src/parts.ts";
import { tempDir } from "./harness.ts";
import { captureIo, FIXTURES } from "./helpers.ts";

/** A pattern that matches `text` as it is. */
const literal = (text: string) => text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");

/** The older agent's subcommands (seed 003), on this machine. */
describe("so-name, so-version, ps, users, cpu", () => {
  let dir: string;
  let utmp: string;
  before(() => {
    dir = tempDir("agent-parts-");
    utmp = join(dir, "utmp");
    execSync(
      `utmpdump -r < ${JSON.stringify(join(FIXTURES, "utmp.txt"))} > ${JSON.stringify(utmp)}`,
      {
        stdio: ["ignore", "ignore", "ignore"],
      },
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (args: string[], paths: Record<string, string> = {}) => {
    const out = captureIo({ HOME: dir });
    const code = await runCli(args, { ...out.io, configDir: dir, collect: { paths } });
    return { code, stdout: out.stdout(), stderr: out.stderr() };
  };
  const osRelease = readFileSync("/etc/os-release", "utf8");
  const release = (key: string) => new RegExp(`^${key}="?([^"\\n]*)"?$`, "m").exec(osRelease)?.[1];
  const kernel = execFileSync("uname", ["-r"], { encoding: "utf8" }).trim();

  test("so-name: the distribution's name; --json adds the platform", async () => {
    assert.deepEqual(await run(["so-name"]), {
      code: 0,
      stdout: `${release("NAME")}\n`,
      stderr: "",
    });
    const json = await run(["so-name", "--json"]);
    assert.deepEqual(JSON.parse(json.stdout), { platform: "linux", name: release("NAME") });
  });

  test("so-version: the version and the kernel (uname -r)", async () => {
    const text = await run(["so-version"]);
    assert.equal(
      text.stdout,
      `${release("VERSION") ?? release("VERSION_ID")} (kernel ${kernel})\n`,
    );
    assert.deepEqual(JSON.parse((await run(["so-version", "--json"])).stdout), {
      version: release("VERSION") ?? release("VERSION_ID"),
      kernel,
    });
  });

  test("ps: a table with this process in it; --json the report's processes", async () => {
    // The kernel's name for this process (what ps shows too): Node 24 calls its main
    // thread MainThread, older ones left it node.
    const comm = readFileSync("/proc/self/comm", "utf8").trimEnd();
    const text = await run(["ps", "--cpu-window", "0"]);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^PID\s+PPID\s+USER\s+%CPU\s+RSS\s+NAME$/);
    const own = lines.find((line) => line.trimStart().startsWith(`${process.pid} `));
    assert.ok(own, "this process is listed");
    assert.match(
      own,
      new RegExp(
        `^${process.pid}\\s+${process.ppid}\\s+${userInfo().username}\\s+\\d+\\.\\d\\s+\\d+\\.\\dM\\s+${literal(comm)}$`,
      ),
    );
    const json = JSON.parse((await run(["ps", "--json", "--cpu-window", "0"])).stdout);
    const self = json.find((p: { pid: number }) => p.pid === process.pid);
    assert.equal(self.ppid, process.ppid);
    assert.equal(self.name, comm);
    assert.match(self.cmdline, /node/);
    const bare = JSON.parse(
      (await run(["ps", "--json", "--cpu-window", "0", "--no-cmdline"])).stdout,
    );
    assert.ok(bare.every((p: object) => !("cmdline" in p)));
  });

  test("users: the open sessions from utmp; without utmp, exit 6 and why (not 'nobody')", async () => {
    const text = await run(["users"], { utmp });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^USER\s+TERMINAL\s+FROM\s+SINCE\n/);
    assert.match(text.stdout, /\nmalasia\s+pts\/0\s+10\.0\.0\.9\s+2026-11-22T10:15:53\.250Z\n/);
    const json = JSON.parse((await run(["users", "--json"], { utmp })).stdout);
    assert.equal(json[0].user, "malasia");
    const missing = await run(["users"], { utmp: join(dir, "none") });
    assert.equal(missing.code, 6);
    assert.match(
      missing.stderr,
      /^compliance-agent: sessions: no utmp at .*none: sessions unknown\n$/,
    );
    assert.equal(missing.stdout, "");
  });

  test("cpu: model, vendor, cores, use; --json the report's cpu", async () => {
    const text = await run(["cpu", "--cpu-window", "50"]);
    assert.match(text.stdout, /^model: {3}.+\nvendor: {2}.+\ncores: {3}\d+\nusage: {3}[\d.]+%\n$/);
    const json = JSON.parse((await run(["cpu", "--json", "--cpu-window", "0"])).stdout);
    assert.deepEqual(Object.keys(json).sort(), ["cores", "model", "usage_percent", "vendor"]);
    assert.equal(
      json.cores,
      Number(execFileSync("getconf", ["_NPROCESSORS_ONLN"], { encoding: "utf8" })),
    );
  });

  test("tables pad every column but the last", () => {
    assert.equal(
      formatTable([
        ["A", "BB", "C"],
        ["aaa", "b", "c"],
      ]),
      "A    BB  C\naaa  b   c",
    );
  });
});
