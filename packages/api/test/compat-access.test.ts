import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  type CompatApp,
  seedFixture,
  seedFixtureText,
  startCompatApp,
} from "./fixtures/seeds/compat-app.ts";

// The layer is off unless switched on, behind its key when one is set, and the seed 000 id
// in a URL never reaches the file system.

const SEED_ROUTES: { method: "GET" | "POST"; url: string; body?: unknown; raw?: string }[] = [
  {
    method: "POST",
    url: "/api/v1/compliance/system_info",
    body: seedFixture("000-signature.json"),
  },
  { method: "POST", url: "/api/v1/compliance/systeminfo", body: seedFixture("000-signature.json") },
  { method: "GET", url: "/api/v1/compliance/system_info/10.0.2.152026_11_22_10_15_53" },
  { method: "GET", url: "/api/v1/compliance/systeminfo/10.0.2.15_2026_11_22_10_15_53" },
  { method: "POST", url: "/servers", body: seedFixture("001-server.json") },
  { method: "POST", url: "/report", body: seedFixture("002-report.json") },
  { method: "GET", url: "/report?ip=10.10.10.1" },
  { method: "POST", url: "/hosts", body: seedFixture("003-so-name.json") },
  { method: "POST", url: "/users", body: seedFixture("003-users.json") },
  { method: "POST", url: "/processes", body: seedFixture("003-processes.json") },
  { method: "POST", url: "/cpus", body: seedFixture("003-cpu.json") },
  { method: "GET", url: "/hosts" },
  { method: "GET", url: "/cpus" },
  { method: "GET", url: "/processes?ip=172.31.5.20" },
  { method: "GET", url: "/users?ip=172.31.5.20" },
  { method: "POST", url: "/", raw: seedFixtureText("004-execution.json") },
];

function call(t: CompatApp, route: (typeof SEED_ROUTES)[number], headers = {}) {
  if (route.raw !== undefined) return t.postRaw(route.url, route.raw, headers);
  if (route.method === "POST") return t.post(route.url, route.body, headers);
  return t.app.inject({ method: "GET", url: route.url, headers });
}

describe("legacy ingest switched off (the default)", () => {
  let t: CompatApp;
  before(async () => {
    t = await startCompatApp("sqlite", { legacyIngest: false });
  });
  after(() => t?.close());

  test("every seed route is 404, as if it did not exist", async () => {
    for (const route of SEED_ROUTES) {
      const r = await call(t, route);
      assert.equal(r.statusCode, 404, `${route.method} ${route.url}: ${r.body}`);
      assert.equal(r.json().error.code, "not_found");
    }
    assert.deepEqual((await t.read("/api/v1/hosts")).items, []);
  });

  test("the OpenAPI document lists no legacy route", async () => {
    const doc = (await t.app.inject({ method: "GET", url: "/openapi.json" })).json();
    assert.equal(doc.paths["/servers"], undefined);
    assert.equal(doc.paths["/api/v1/compliance/system_info"], undefined);
  });

  test("health answers in both shapes", async () => {
    const r = await t.app.inject({ method: "GET", url: "/health" });
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().health, "ok");
  });
});

describe("legacy ingest behind COMPLIANCE_LEGACY_KEY", () => {
  const KEY = "legacy-key-0123456789abcdef";
  let t: CompatApp;
  before(async () => {
    t = await startCompatApp("sqlite", { legacyKey: KEY });
  });
  after(() => t?.close());

  test("without the key every seed route is 401 with a JSON error, and stores nothing", async () => {
    for (const route of SEED_ROUTES) {
      const none = await call(t, route);
      assert.equal(none.statusCode, 401, `${route.method} ${route.url}: ${none.body}`);
      assert.equal(none.json().error.code, "legacy_key_required");
      const wrong = await call(t, route, { "x-api-key": `${KEY}x` });
      assert.equal(wrong.statusCode, 401, `${route.method} ${route.url}: ${wrong.body}`);
      assert.equal(wrong.json().error.code, "invalid_legacy_key");
    }
    assert.deepEqual((await t.read("/api/v1/hosts")).items, []);
  });

  test("with the key in x-api-key every seed route answers", async () => {
    for (const route of SEED_ROUTES) {
      const r = await call(t, route, { "x-api-key": KEY });
      assert.ok(r.statusCode < 300, `${route.method} ${route.url}: ${r.statusCode} ${r.body}`);
    }
    assert.equal((await t.read("/api/v1/hosts")).total, 5);
  });

  test("the OpenAPI document lists the legacy routes when they are on", async () => {
    const doc = (await t.app.inject({ method: "GET", url: "/openapi.json" })).json();
    for (const path of [
      "/servers",
      "/report",
      "/cpus",
      "/",
      "/api/v1/compliance/system_info/{id}",
    ]) {
      assert.ok(doc.paths[path], path);
    }
  });

  test("the legacy key opens nothing else; health needs no key", async () => {
    const v1 = await t.app.inject({
      method: "GET",
      url: "/api/v1/hosts",
      headers: { "x-api-key": KEY },
    });
    assert.equal(v1.statusCode, 401);
    const health = await t.app.inject({ method: "GET", url: "/health" });
    assert.equal(health.statusCode, 200);
  });
});

describe("seed 000 ids never touch the file system", () => {
  let t: CompatApp;
  before(async () => {
    t = await startCompatApp("sqlite");
    await t.post("/api/v1/compliance/system_info", seedFixture("000-signature.json"));
  });
  after(() => t?.close());

  test("traversal attempts and absolute paths are 404", async () => {
    for (const base of ["/api/v1/compliance/system_info", "/api/v1/compliance/systeminfo"]) {
      for (const id of [
        "..%2F..%2Fetc%2Fpasswd",
        "..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "../../etc/passwd",
        "..",
        "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        "/etc/passwd",
        "C:%5CWindows%5Cwin.ini",
        "10.0.2.15%2F..%2F2026_11_22_10_15_53",
        "..%2F10.0.2.152026_11_22_10_15_53",
        "10.0.2.152026_11_22_10_15_53%00.json",
        "10.0.2.152026_11_22_10_15_53.json",
      ]) {
        const r = await t.app.inject({ method: "GET", url: `${base}/${id}` });
        assert.equal(r.statusCode, 404, `${base}/${id}: ${r.body}`);
        assert.doesNotMatch(r.body, /root:/);
        assert.match(String(r.headers["content-type"]), /application\/json/);
      }
    }
  });
});

describe("POST / of seed 004 beside the console at GET /", () => {
  let t: CompatApp;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "compliance-console-"));
    writeFileSync(join(dir, "index.html"), "<!doctype html><title>Compliance</title>");
    t = await startCompatApp("sqlite", { consoleDir: dir });
  });
  after(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("GET / is still the console; POST / without a Content-Type is seed 004", async () => {
    const page = await t.app.inject({ method: "GET", url: "/" });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<title>Compliance<\/title>/);
    const r = await t.postRaw("/", seedFixtureText("004-execution.json"));
    assert.equal(r.statusCode, 200, r.body);
    assert.equal((await t.app.inject({ method: "GET", url: "/" })).statusCode, 200);
  });

  test("outside the legacy routes a body without a Content-Type is still refused", async () => {
    const r = await t.app.inject({
      method: "POST",
      url: "/api/v1/enroll",
      body: JSON.stringify({ enroll_secret: "x", host_identifier: "y" }),
    });
    assert.equal(r.statusCode, 415);
  });
});
