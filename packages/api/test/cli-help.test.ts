import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { runCli } from "../src/cli.ts";
import { API_VERSION } from "../src/version.ts";

async function cli(args: string[], env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    env,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

describe("compliance-api: help, version and refusals", () => {
  test("--version and -V print the version", async () => {
    for (const flag of ["--version", "-V"]) {
      const r = await cli([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `${API_VERSION}\n`);
    }
  });

  test("no command prints the help instead of serving; so do help, --help and -h", async () => {
    for (const args of [[], ["help"], ["--help"], ["-h"]]) {
      const r = await cli(args);
      assert.equal(r.code, 0, args.join(" "));
      assert.match(r.stdout, /^compliance-api .*\n\nUsage:/);
      assert.match(r.stdout, /compliance-api start/);
    }
  });

  test("each command has its own help", async () => {
    for (const command of ["start", "migrate", "token", "prune", "export", "policy"]) {
      const a = await cli(["help", command]);
      const b = await cli([command, "--help"]);
      assert.equal(a.code, 0);
      assert.equal(a.stdout, b.stdout);
      assert.match(a.stdout, new RegExp(`compliance-api ${command}`));
    }
  });

  test("an unknown option or command: a short message and a hint on stderr, exit 2", async () => {
    const flag = await cli(["token", "list", "--nope"]);
    assert.equal(flag.code, 2);
    assert.equal(flag.stdout, "");
    assert.equal(
      flag.stderr,
      'compliance-api: unknown option "--nope"\nRun "compliance-api help" or "compliance-api <command> --help".\n',
    );
    const command = await cli(["help", "nothing"]);
    assert.equal(command.code, 2);
    assert.match(command.stderr, /unknown command "nothing"\nRun "compliance-api help"/);
  });

  test("token list --json is one JSON array", async () => {
    const dir = mkdtempSync(join(tmpdir(), "compliance-cli-"));
    const env = { DATABASE_URL: `sqlite:${join(dir, "c.db")}` };
    try {
      assert.equal((await cli(["token", "create", "--name", "ci"], env)).code, 0);
      const r = await cli(["token", "list", "--json"], env);
      assert.equal(r.code, 0);
      const list = JSON.parse(r.stdout);
      assert.equal(list.length, 1);
      assert.equal(list[0].name, "ci");
      assert.equal(list[0].role, "reader");
      assert.equal("token" in list[0], false, "no secret");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
