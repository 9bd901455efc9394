import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { loadConfig } from "../src/config.ts";
import { type RunningServer, startServer } from "../src/server.ts";

const run = promisify(execFile);
const ROOT = new URL("../../../", import.meta.url).pathname;
const AGENT = join(ROOT, "packages/agent/dist/compliance-agent.js");

/** The shell block of the README's "Reporting another server", exactly as written there. */
function readmeAgentExample(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.split("## Reporting another server")[1];
  const block = section && /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error("README.md has no sh block under 'Reporting another server'");
  return block;
}

/**
 * What an operator does: copy the agent, paste the README's commands into a shell with the
 * two placeholders filled in, and find the host in the API.
 */
describe("the README's agent example, pasted into bash", () => {
  let dir: string;
  let server: RunningServer;
  before(async () => {
    if (!existsSync(AGENT)) throw new Error(`${AGENT} is missing: run npm run build first`);
    dir = mkdtempSync(join(tmpdir(), "compliance-readme-"));
    const config = loadConfig({
      PORT: "0",
      COMPLIANCE_DATA_DIR: join(dir, "data"),
      LOG_LEVEL: "warn",
    });
    server = await startServer(config, { print: () => {} });
    copyFileSync(AGENT, join(dir, "compliance-agent.js"));
  });
  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("reports this machine, and collect prints its report", async () => {
    const block = readmeAgentExample();
    const secret = readFileSync(join(dir, "data", "enroll-secret"), "utf8").trim();
    const api = new URL(server.url);
    assert.match(block, /<api-host>:8080/);
    assert.match(block, /<the enroll secret>/);
    const filled = block
      .replace("<api-host>:8080", `${api.hostname}:${api.port}`)
      .replace("<the enroll secret>", secret);
    const shell = await run("bash", ["-euo", "pipefail", "-c", filled], {
      cwd: dir,
      // `node` on PATH is the one running this test; the state directory is the test's own.
      env: {
        PATH: `${join(process.execPath, "..")}:${process.env.PATH}`,
        HOME: dir,
        COMPLIANCE_STATE_DIR: join(dir, "state"),
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    // The last command prints the report: it names this machine's processes.
    const printed = JSON.parse(shell.stdout.slice(shell.stdout.indexOf("{\n")));
    assert.equal(printed.schema_version, 1);
    assert.ok(printed.processes.length > 0);

    const token = readFileSync(join(dir, "data", "admin-token"), "utf8").trim();
    const hosts = (await (
      await fetch(`${server.url}/api/v1/hosts`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { items: { identifier: string; executions: number }[] };
    assert.equal(hosts.items.length, 1, "the pasted commands reported one host");
    assert.equal(hosts.items[0]!.identifier, printed.host.identifier);
    assert.equal(hosts.items[0]!.executions, 1);
  });
});
