import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../src/config.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { createThrowawayPostgres, type ThrowawayPostgres } from "./helpers/throwaway-postgres.ts";

describe("liveness and readiness probes", () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp("sqlite");
  });
  after(() => t.close());

  test("/livez and /readyz answer without a token while all is well", async () => {
    const live = await t.app.inject({ method: "GET", url: "/livez" });
    assert.equal(live.statusCode, 200);
    assert.equal(live.json().status, "ok");
    assert.equal(typeof live.json().version, "string");
    const ready = await t.app.inject({ method: "GET", url: "/readyz" });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: "ready", database: { engine: "sqlite", ok: true } });
  });

  test("both are in the OpenAPI document", async () => {
    const doc = (await t.app.inject({ method: "GET", url: "/openapi.json" })).json();
    assert.ok(doc.paths["/livez"]?.get);
    assert.ok(doc.paths["/readyz"]?.get);
  });
});

describe("probes while PostgreSQL is down", () => {
  let pg: ThrowawayPostgres;
  let server: RunningServer;
  let dir: string;
  before(async () => {
    pg = await createThrowawayPostgres();
    dir = mkdtempSync(join(tmpdir(), "compliance-probes-"));
    server = await startServer(
      loadConfig({
        PORT: "0",
        DATABASE_URL: pg.url,
        COMPLIANCE_DATA_DIR: dir,
        COMPLIANCE_ADMIN_TOKEN: "probes-admin-token-0123456789",
        COMPLIANCE_ENROLL_SECRET: "probes-enroll-secret-0123456789",
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
