import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { validateReport } from "@compliance/contract";
import { runCli, USAGE } from "../src/cli.ts";
import { buildAgentBundle } from "./harness.ts";
import { captureIo } from "./helpers.ts";

describe("compliance-agent collect", () => {
  test("prints one compact JSON report that passes the contract", async () => {
    const out = captureIo({ HOME: tmpdir() });
    const code = await runCli(["collect", "--cpu-window", "50"], out.io);
    assert.equal(code, 0, out.stderr());
    assert.equal(out.stdout().trimEnd().split("\n").length, 1, "compact: one line");
    const report = JSON.parse(out.stdout());
    const result = validateReport(report);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    assert.ok(report.processes.some((p: { cmdline?: string }) => p.cmdline !== undefined));
  });

  test("--pretty indents, --no-cmdline drops command lines", async () => {
    const out = captureIo({ HOME: tmpdir() });
    const code = await runCli(["collect", "--pretty", "--no-cmdline", "--cpu-window", "0"], out.io);
    assert.equal(code, 0, out.stderr());
    assert.match(out.stdout(), /^\{\n {2}"schema_version": 1,\n/);
    const report = JSON.parse(out.stdout());
    assert.ok(report.processes.length > 0);
    assert.ok(report.processes.every((p: object) => !("cmdline" in p)));
  });

  test("--help and --version answer on stdout with exit 0", async () => {
    const help = captureIo();
    assert.equal(await runCli(["--help"], help.io), 0);
    assert.equal(help.stdout(), USAGE);
    const version = captureIo();
    assert.equal(await runCli(["--version"], version.io), 0);
    assert.equal(version.stdout(), "0.1.0\n");
    for (const command of ["run", "collect", "so-name", "so-version", "ps", "users", "cpu"]) {
      const commandHelp = captureIo();
      assert.equal(await runCli([command, "--help"], commandHelp.io), 0);
      assert.match(commandHelp.stdout(), new RegExp(`^Usage: compliance-agent ${command} `));
      assert.match(commandHelp.stdout(), /Exit codes: 0 done/);
      const commandVersion = captureIo();
      assert.equal(await runCli([command, "--version"], commandVersion.io), 0);
      assert.equal(commandVersion.stdout(), "0.1.0\n");
      const viaHelp = captureIo();
      assert.equal(await runCli(["help", command], viaHelp.io), 0);
      assert.equal(viaHelp.stdout(), commandHelp.stdout());
    }
  });

  const usageErrors: [args: string[], message: RegExp][] = [
    [[], /a command is needed/],
    [["launch"], /unknown command "launch"/],
    [["collect", "--bogus"], /unknown option "--bogus"; try compliance-agent collect --help$/m],
    [["collect", "extra"], /extra/],
    [["collect", "--cpu-window", "soon"], /--cpu-window must be a duration/],
    [["collect", "--cpu-window", "999999"], /--cpu-window must be a duration from 0ms to 1m/],
    [["run", "--once", "extra"], /extra/],
    [["ps", "--pretty"], /--pretty/],
  ];
  for (const [args, message] of usageErrors) {
    test(`exit 2 for ${JSON.stringify(args)}`, async () => {
      const out = captureIo({ HOME: tmpdir() });
      assert.equal(await runCli(args, out.io), 2);
      assert.match(out.stderr(), message);
      assert.equal(out.stderr().trimEnd().split("\n").length, 1, "one line");
      assert.equal(out.stdout(), "");
    });
  }
});

describe("the bundled agent", () => {
  let dir: string;
  let bundle: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "agent-bundle-"));
    bundle = await buildAgentBundle(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("the single file needs nothing but Node itself: every import is a node: built-in", () => {
    const code = readFileSync(bundle, "utf8");
    const specifiers = [
      ...code.matchAll(/\bfrom\s*"([^"]+)"/g),
      ...code.matchAll(/\bimport\s*\(\s*"([^"]+)"\s*\)/g),
      // Built-ins are required where they are used (esbuild names the call __require).
      ...code.matchAll(/\b(?:__)?require\s*\(\s*"([^"]+)"\s*\)/g),
    ].map((m) => m[1]!);
    assert.ok(specifiers.length > 5);
    assert.deepEqual(
      specifiers.filter((s) => !s.startsWith("node:")),
      [],
      "no package from node_modules",
    );
  });

  test("collect runs from the single file and passes the contract", () => {
    const stdout = execFileSync(process.execPath, [bundle, "collect", "--cpu-window", "50"], {
      encoding: "utf8",
      cwd: dir,
      maxBuffer: 64 * 1024 * 1024,
    });
    const result = validateReport(JSON.parse(stdout));
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  });

  test("--version and exit codes through the real process", () => {
    assert.equal(
      execFileSync(process.execPath, [bundle, "--version"], { encoding: "utf8" }),
      "0.1.0\n",
    );
    assert.throws(
      () =>
        execFileSync(process.execPath, [bundle, "run", "--once"], {
          stdio: "pipe",
          env: { HOME: dir },
        }),
      (error: { status?: number; stderr?: Buffer }) =>
        error.status === 2 && /COMPLIANCE_SERVER_URL/.test(String(error.stderr)),
    );
  });
});
