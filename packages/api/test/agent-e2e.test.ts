import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { loadConfig } from "../src/config.ts";
import { type RunningServer, startServer } from "../src/server.ts";

const run = promisify(execFile);
const METRICS_TOKEN = "e2e-metrics-token-0123456789";
const AGENT = new URL("../../agent/dist/compliance-agent.js", import.meta.url).pathname;

/**
 * The real thing over real HTTP: the API listening on loopback with SQLite, and the built
 * agent run as its own process, as an operator would on a second shell.
 */
describe("the real agent against the real API over HTTP", () => {
  let dir: string;
  let server: RunningServer;
  let token: string;
  let secret: string;
  let config: ReturnType<typeof loadConfig>;
  before(async () => {
    if (!existsSync(AGENT)) throw new Error(`${AGENT} is missing: run npm run build first`);
    dir = mkdtempSync(join(tmpdir(), "compliance-e2e-"));
    config = loadConfig({
      PORT: "0",
      COMPLIANCE_DATA_DIR: join(dir, "data"),
      LOG_LEVEL: "warn",
      COMPLIANCE_METRICS_TOKEN: METRICS_TOKEN,
    });
    server = await startServer(config, { print: () => {} });
    token = readFileSync(join(dir, "data", "admin-token"), "utf8").trim();
    secret = readFileSync(join(dir, "data", "enroll-secret"), "utf8").trim();
  });
  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const api = async (path: string) => {
    const r = await fetch(`${server.url}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(r.status, 200, `${path}: ${r.status}`);
    return r.json() as Promise<any>;
  };
  const agent = (...args: string[]) =>
    run(
      process.execPath,
      [AGENT, "run", "--once", "--server", server.url, "--state-dir", join(dir, "agent"), ...args],
      {
        env: { ...process.env, COMPLIANCE_ENROLL_SECRET: secret },
      },
    );

  /**
   * This machine's processes as ps lists them, by pid: the parent, and the start time that
   * tells a process from a later one with the same pid.
   */
  const psProcesses = async () => {
    const ps = await run("ps", ["-e", "-o", "pid=,ppid=,lstart="], {
      env: { ...process.env, LC_ALL: "C" },
    });
    const processes = new Map<number, { ppid: number; started: string }>();
    for (const line of ps.stdout.split("\n")) {
      const m = /^\s*(\d+)\s+(\d+)\s+(\S.*?)\s*$/.exec(line);
      if (m) processes.set(Number(m[1]), { ppid: Number(m[2]), started: m[3]! });
    }
    return processes;
  };

  test("run --once enrolls, reports this machine, and its processes match ps", async () => {
    const before = await psProcesses();
    await agent();
    const after = await psProcesses();
    // The processes that ran through the whole check-in: in both reads, with the same
    // parent and start. The report must hold each of them, as ps saw it. Any other process
    // started or ended around the collection (on a busy machine, many), so ps and the
    // agent could each see it or not.
    const throughout = [...before].filter(([pid, seen]) => {
      const again = after.get(pid);
      return again?.ppid === seen.ppid && again.started === seen.started;
    });
    const hosts = await api("/api/v1/hosts");
    assert.equal(hosts.total, 1);
    const host = hosts.items[0];
    assert.equal(host.identifier, readFileSync("/etc/machine-id", "utf8").trim());
    const processes = await api(`/api/v1/hosts/${host.id}/processes?limit=20000`);
    const ours = new Map<number, { ppid: number }>(
      processes.items.map((p: { pid: number; ppid: number }) => [p.pid, p]),
    );
    const missing = throughout.filter(([pid]) => !ours.has(pid)).map(([pid]) => pid);
    assert.deepEqual(missing, [], "every process running throughout is in the report");
    const otherParent = throughout
      .filter(([pid, seen]) => ours.get(pid)?.ppid !== seen.ppid)
      .map(([pid]) => pid);
    assert.deepEqual(otherParent, [], "with the parent ps shows");
    assert.ok(throughout.length > 10);
    assert.ok(ours.has(process.pid), "the test's own process is in the report");
  });

  test("a second run reports again without enrolling again", async () => {
    const before = await api("/api/v1/hosts");
    await agent();
    const after = await api("/api/v1/hosts");
    assert.equal(after.total, 1);
    assert.equal(after.items[0].executions, before.items[0].executions + 1);
    const timeline = await api(`/api/v1/hosts/${after.items[0].id}/reports`);
    assert.equal(timeline.items.length, 2);
    assert.notEqual(timeline.items[0].changes, null);
  });

  /** What the API's /metrics says of one counter, by its one label. */
  const counts = async (name: string, label: string) => {
    const r = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    assert.equal(r.status, 200);
    const found: Record<string, number> = {};
    for (const m of (await r.text()).matchAll(
      new RegExp(`^${name}\\{${label}="(\\w+)"\\} (\\d+)$`, "gm"),
    )) {
      found[m[1]!] = Number(m[2]);
    }
    return found;
  };
  /** Delta reports, by outcome. */
  const deltaCounts = () => counts("compliance_delta_reports_total", "outcome");

  test("after the first report, the agent sends what changed; the API stores the whole report", async () => {
    // The run before acknowledged a report: this one goes as a delta of it.
    const before = await deltaCounts();
    const readsBefore = await counts("compliance_ingest_span_reads_total", "read");
    const foundBefore = await counts("compliance_delta_bases_total", "found");
    await agent();
    const after = await deltaCounts();
    assert.equal((after.stored ?? 0) - (before.stored ?? 0), 1, JSON.stringify(after));
    // Its base was the API's latest of this host, at hand as objects.
    const found = await counts("compliance_delta_bases_total", "found");
    assert.equal((found.kept ?? 0) - (foundBefore.kept ?? 0), 1, JSON.stringify(found));
    assert.equal((await counts("compliance_delta_bases", "form")).kept, 1);
    // The agent's own process is new each run: the store ended and started lifetimes, and
    // read only the spans of those that ended, through the spans kept from the run before.
    const reads = await counts("compliance_ingest_span_reads_total", "read");
    assert.equal((reads.ended ?? 0) - (readsBefore.ended ?? 0), 1, JSON.stringify(reads));
    // What the agent kept as its last acknowledged report is exactly what the API serves.
    const sent = JSON.parse(readFileSync(join(dir, "agent", "last-report.json"), "utf8"));
    assert.deepEqual(await api(`/api/v1/reports/${sent.report_id}`), sent);
  });

  test("a delta whose base the API does not hold is answered 409 and the report goes whole", async () => {
    const path = join(dir, "agent", "last-report.json");
    const kept = JSON.parse(readFileSync(path, "utf8"));
    kept.report_id = "00000000-0000-4000-8000-00000000dead";
    writeFileSync(path, JSON.stringify(kept));
    const hosts = await api("/api/v1/hosts");
    const before = await deltaCounts();
    const foundBefore = await counts("compliance_delta_bases_total", "found");
    await agent();
    const after = await deltaCounts();
    assert.equal((after.base_unknown ?? 0) - (before.base_unknown ?? 0), 1);
    const found = await counts("compliance_delta_bases_total", "found");
    assert.equal((found.none ?? 0) - (foundBefore.none ?? 0), 1, JSON.stringify(found));
    assert.equal((after.stored ?? 0) - (before.stored ?? 0), 0);
    const now = await api("/api/v1/hosts");
    assert.equal(now.items[0].executions, hosts.items[0].executions + 1);
    const sent = JSON.parse(readFileSync(path, "utf8"));
    assert.notEqual(sent.report_id, kept.report_id);
    assert.deepEqual(await api(`/api/v1/reports/${sent.report_id}`), sent);
  });

  test("across a restart the API keeps its delta bases: the next delta finds its base", async () => {
    await server.close();
    const file = join(dir, "data", "delta-bases.bin");
    assert.ok(existsSync(file), "the bases are written when the API closes");
    server = await startServer(config, { print: () => {} });
    assert.equal(existsSync(file), false, "read back at start, and removed");
    await agent();
    const found = await counts("compliance_delta_bases_total", "found");
    assert.deepEqual(found, { kept: 0, packed: 1, none: 0 });
    const sent = JSON.parse(readFileSync(join(dir, "agent", "last-report.json"), "utf8"));
    assert.deepEqual(await api(`/api/v1/reports/${sent.report_id}`), sent);
  });

  test("a wrong enroll secret exits non-zero with the API's reason", async () => {
    const failed = await run(
      process.execPath,
      [
        AGENT,
        "run",
        "--once",
        "--server",
        server.url,
        "--state-dir",
        join(dir, "other"),
        "--enroll-secret",
        "wrong-secret-123456",
      ],
      { env: process.env },
    ).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    assert.ok(failed, "the run must fail");
    assert.equal(failed.code, 4);
    assert.match(failed.stderr, /enroll secret/);
  });
});
