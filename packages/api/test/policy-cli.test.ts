import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCli } from "../src/cli.ts";
import { starterPolicyDir } from "../src/policies/index.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/databases.ts";

// The policy commands an operator runs before and after applying rules: apply a file or a
// directory, list them with their results, dry-run a rule on the stored history.

function capture() {
  let text = "";
  return {
    write(s: string) {
      text += s;
      return true;
    },
    get text() {
      return text;
    },
  };
}

describe("compliance-api policy", () => {
  let database: TestDatabase;
  let dir: string;
  const clock = Date.parse("2026-11-30T12:00:00Z");
  before(async () => {
    database = await createTestDatabase("sqlite");
    dir = mkdtempSync(join(tmpdir(), "compliance-policy-cli-"));
  });
  after(async () => {
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (args: string[]) => {
    const stdout = capture();
    const stderr = capture();
    const code = await runCli(args, {
      env: { DATABASE_URL: database.url },
      stdout,
      stderr,
      now: () => clock,
    });
    return { code, stdout: stdout.text, stderr: stderr.text };
  };

  test("apply a directory, then list; the same files again make no new version", async () => {
    const applied = await cli(["policy", "apply", "-f", starterPolicyDir()]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(
      applied.stdout,
      /^no-cryptominers: version 1; evaluating the history \(job \d+\)$/m,
    );
    const again = await cli(["policy", "apply", "-f", starterPolicyDir()]);
    assert.match(again.stdout, /^no-cryptominers: version 1$/m);
    const listed = await cli(["policy", "list", "--json"]);
    assert.equal(listed.code, 0);
    const items = JSON.parse(listed.stdout) as { id: string; version: number; origin: string }[];
    assert.ok(
      items.some((p) => p.id === "no-cryptominers" && p.version === 1 && p.origin === "api"),
    );
  });

  test("a bad file is refused with its line and field; nothing is stored", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      "id: bad-one\nname: Bad\nseverity: urgent\ndescription: x\nresolution: y\ntags: []\ncheck:\n  none:\n    - process: { name: x }\n",
    );
    const r = await cli(["policy", "apply", "-f", file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /line 3/);
    assert.match(r.stderr, /severity/);
    const listed = JSON.parse((await cli(["policy", "list", "--json"])).stdout) as { id: string }[];
    assert.ok(!listed.some((p) => p.id === "bad-one"));
  });

  test("test dry-runs a file without storing it; argument errors exit 2", async () => {
    const file = join(dir, "rule.yaml");
    writeFileSync(
      file,
      "id: dry-run\nname: Dry run\nseverity: low\ndescription: x\nresolution: y\ntags: []\ncheck:\n  none:\n    - process: { name: xmrig }\n",
    );
    const r = await cli(["policy", "test", "-f", file, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { items: [] }, "no host has history yet");
    const listed = JSON.parse((await cli(["policy", "list", "--json"])).stdout) as { id: string }[];
    assert.ok(!listed.some((p) => p.id === "dry-run"), "a dry run stores nothing");
    assert.equal((await cli(["policy", "test"])).code, 2);
    assert.equal((await cli(["policy", "test", "-f", file, "--at", "soon"])).code, 2);
    assert.equal((await cli(["policy", "frobnicate"])).code, 2);
  });
});
