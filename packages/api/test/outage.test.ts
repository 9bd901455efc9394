import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../src/config.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import { makeReport } from "./helpers/reports.ts";
import { createThrowawayPostgres, type ThrowawayPostgres } from "./helpers/throwaway-postgres.ts";

const ADMIN = "outage-admin-token-0123456789";
const SECRET = "outage-enroll-secret-0123456789";

/**
 * The database goes away under a running API and comes back: meanwhile every request is a
 * 503 with Retry-After (never a 401 that would make agents enroll again), /health says the
 * database is down, and afterwards everything works again without restarting the API.
 * The probes say the same: /readyz not ready, /livez alive.
 */
describe("database outage on PostgreSQL", () => {
  let pg: ThrowawayPostgres;
  let server: RunningServer;
  let dir: string;
  before(async () => {
    pg = await createThrowawayPostgres();
    dir = mkdtempSync(join(tmpdir(), "compliance-outage-"));
    server = await startServer(
      loadConfig({
        PORT: "0",
        DATABASE_URL: pg.url,
        COMPLIANCE_DATA_DIR: dir,
        COMPLIANCE_ADMIN_TOKEN: ADMIN,
        COMPLIANCE_ENROLL_SECRET: SECRET,
        LOG_LEVEL: "silent",
      }),
      { print: () => {} },
    );
  });
  after(async () => {
    await server?.close();
    pg?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const call = (method: string, path: string, body?: unknown, token = ADMIN) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });

  test("503 with Retry-After while down, and recovery without a restart", async () => {
    const answer = await call("POST", "/api/v1/enroll", {
      enroll_secret: SECRET,
      host_identifier: "outage-host",
    });
    const enrolled = (await answer.json()) as { node_key: string };
    const before = makeReport({ identifier: "outage-host" });
    assert.equal((await call("POST", "/api/v1/reports", before, enrolled.node_key)).status, 201);

    pg.stop();
    const during = makeReport({ identifier: "outage-host" });
    const report = await call("POST", "/api/v1/reports", during, enrolled.node_key);
    assert.equal(report.status, 503);
    assert.ok(Number(report.headers.get("retry-after")) > 0, "Retry-After is set");
    assert.equal(((await report.json()) as any).error.code, "unavailable");
    const enroll = await call("POST", "/api/v1/enroll", {
      enroll_secret: SECRET,
      host_identifier: "another",
    });
    assert.equal(enroll.status, 503);
    const read = await call("GET", "/api/v1/hosts");
    assert.equal(read.status, 503);
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 503);
    const body = (await health.json()) as any;
    assert.equal(body.status, "degraded");
    assert.equal(body.database.ok, false);
    assert.equal(body.database.engine, "postgres");
    // Which component is down, never where it is: no address or port.
    assert.equal(body.database.error, "the database does not answer");
    const where = new URL(pg.url);
    for (const part of [where.hostname, `:${where.port}`, "ECONNREFUSED"]) {
      assert.ok(!JSON.stringify(body).includes(part), `/health does not show ${part}`);
    }

    pg.start();
    let status = 0;
    for (let i = 0; i < 50 && status !== 201; i++) {
      status = (await call("POST", "/api/v1/reports", during, enrolled.node_key)).status;
      if (status !== 201) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 201, "the spooled report is accepted once the database is back");
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    const hosts = (await (await call("GET", "/api/v1/hosts")).json()) as any;
    assert.equal(hosts.items[0].executions, 2);
    const stored = await (await call("GET", `/api/v1/reports/${before.report_id}`)).json();
    assert.deepEqual(stored, before);
  });

  test("/readyz is 503 with Retry-After naming the database, never its address; /livez stays 200", async () => {
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    pg.stop();
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.ok(Number(ready.headers.get("retry-after")) > 0, "Retry-After is set");
    const body = (await ready.json()) as any;
    assert.equal(body.status, "not_ready");
    assert.equal(body.database.engine, "postgres");
    assert.equal(body.database.ok, false);
    assert.equal(body.database.error, "the database does not answer");
    const where = new URL(pg.url);
    for (const part of [where.hostname, `:${where.port}`, "ECONNREFUSED", where.pathname]) {
      assert.ok(!JSON.stringify(body).includes(part), `/readyz does not show ${part}`);
    }
    // The process is alive: a restart would not bring the database back.
    const live = await fetch(`${server.url}/livez`);
    assert.equal(live.status, 200);
    assert.equal(((await live.json()) as any).status, "ok");

    pg.start();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await fetch(`${server.url}/readyz`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 200, "ready again once the database is back");
  });
});
