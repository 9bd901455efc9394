import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "./helpers/app.ts";

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
