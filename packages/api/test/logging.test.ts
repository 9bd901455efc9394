import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../src/config.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import { makeReport } from "./helpers/reports.ts";

const ADMIN = "logging-admin-token-0123456789";
const SECRET = "logging-enroll-secret-0123456789";
const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

type Line = Record<string, any>;

async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function start(env: Record<string, string>, dir: string) {
  const raw: string[] = [];
  const server = await startServer(
    loadConfig({
      PORT: "0",
      COMPLIANCE_DATA_DIR: join(dir, "data"),
      COMPLIANCE_ADMIN_TOKEN: ADMIN,
      COMPLIANCE_ENROLL_SECRET: SECRET,
      COMPLIANCE_STARTER_POLICIES: "0",
      ...env,
    }),
    { logStream: { write: (chunk: string) => raw.push(chunk) } },
  );
  const lines = (): Line[] =>
    raw
      .join("")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Line);
  return { server, raw, lines };
}

describe("the log: JSON lines, one per request", () => {
  let dir: string;
  let server: RunningServer;
  let raw: string[];
  let lines: () => Line[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "compliance-log-"));
    ({ server, raw, lines } = await start({ LOG_LEVEL: "info" }, dir));
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("every line is one JSON object; the banner is in one, where scripts find the address", () => {
    const text = raw.join("");
    for (const l of text.split("\n").filter((x) => x !== "")) JSON.parse(l);
    const banner = text.split("\n").find((l) => /Compliance API on (http:\/\/\S+)/.test(l));
    assert.ok(banner, text);
    assert.equal(/Compliance API on (http:\/\/\S+)/.exec(banner)![1], server.url);
    assert.equal(JSON.parse(banner).level, 30);
  });

  test("a request line has method, route pattern, status, latency, address and caller", async () => {
    const enrolled = await fetch(`${server.url}/api/v1/enroll`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ enroll_secret: SECRET, host_identifier: "log-host" }),
    });
    const { node_key, host_id } = (await enrolled.json()) as { node_key: string; host_id: number };
    const report = makeReport({ identifier: "log-host" });
    const sent = await fetch(`${server.url}/api/v1/reports`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${node_key}` },
      body: JSON.stringify(report),
    });
    assert.equal(sent.status, 201);
    const read = await fetch(`${server.url}/api/v1/hosts/${host_id}?x=1`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    assert.equal(read.status, 200);
    await server.close();

    const requests = lines().filter((l) => l.msg === "request");
    const ingest = requests.find((l) => l.route === "/api/v1/reports");
    assert.ok(ingest, JSON.stringify(requests));
    assert.equal(ingest.level, 30);
    assert.equal(ingest.method, "POST");
    assert.equal(ingest.status, 201);
    assert.equal(typeof ingest.ms, "number");
    assert.equal(ingest.ip, "127.0.0.1");
    assert.equal(ingest.host_id, host_id);
    const host = requests.find((l) => l.route === "/api/v1/hosts/:id");
    assert.ok(host, "the route is the pattern, not the path");
    assert.equal(host.token, "admin-token");
    const all = raw.join("");
    for (const secret of [ADMIN, SECRET, node_key]) assert.ok(!all.includes(secret));
    const closing = lines().map((l) => l.msg);
    assert.ok(closing.includes("closed"), "the shutdown is logged");
  });
});

describe("failed authentication and quiet levels", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "compliance-log-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("a refused token is a warn line without the token; LOG_LEVEL=warn keeps the banner", async () => {
    const { server, raw, lines } = await start({ LOG_LEVEL: "warn" }, dir);
    const wrong = "not-the-token-at-all-0123456789";
    const r = await fetch(`${server.url}/api/v1/hosts`, {
      headers: { authorization: `Bearer ${wrong}` },
    });
    assert.equal(r.status, 401);
    const ok = await fetch(`${server.url}/api/v1/hosts`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    assert.equal(ok.status, 200);
    await server.close();
    const failed = lines().filter((l) => l.msg === "authentication failed");
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.level, 40);
    assert.equal(failed[0]!.status, 401);
    assert.equal(failed[0]!.route, "/api/v1/hosts");
    assert.equal(failed[0]!.code, "unauthorized");
    assert.ok(!raw.join("").includes(wrong));
    assert.equal(lines().filter((l) => l.msg === "request").length, 0, "info lines are off");
    assert.ok(lines().some((l) => /Compliance API on http:\/\//.test(l.msg)));
  });
});

describe("a database that cannot be reached at start", () => {
  test("retries with JSON lines, then gives up naming the setting", async () => {
    const dir = mkdtempSync(join(tmpdir(), "compliance-log-"));
    const raw: string[] = [];
    const port = await closedPort();
    try {
      await assert.rejects(
        startServer(
          loadConfig({
            PORT: "0",
            DATABASE_URL: `postgres://nobody@127.0.0.1:${port}/compliance`,
            COMPLIANCE_DATA_DIR: dir,
            COMPLIANCE_DB_START_TIMEOUT: "1",
            LOG_LEVEL: "info",
          }),
          { logStream: { write: (chunk: string) => raw.push(chunk) } },
        ),
        /did not answer within 1 s \(COMPLIANCE_DB_START_TIMEOUT\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const lines = raw
      .join("")
      .split("\n")
      .filter((l) => l)
      .map((l) => JSON.parse(l) as Line);
    assert.ok(lines.some((l) => l.msg === "database unreachable; giving up" && l.level === 50));
  });

  test("the command exits non-zero with the message on stderr", async () => {
    const dir = mkdtempSync(join(tmpdir(), "compliance-log-"));
    const port = await closedPort();
    const child = spawn(
      process.execPath,
      ["--conditions=source", "--import", "tsx", MAIN, "start"],
      {
        env: {
          ...process.env,
          PORT: "0",
          DATABASE_URL: `postgres://nobody@127.0.0.1:${port}/compliance`,
          COMPLIANCE_DATA_DIR: dir,
          COMPLIANCE_DB_START_TIMEOUT: "1",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => {
      stdout += c;
    });
    child.stderr.on("data", (c) => {
      stderr += c;
    });
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 1);
    assert.match(stderr, /COMPLIANCE_DB_START_TIMEOUT/);
    for (const l of stdout.split("\n").filter((x) => x)) JSON.parse(l);
    assert.match(stdout, /database unreachable; giving up/);
  });
});
