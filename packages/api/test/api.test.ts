import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { ADMIN_TOKEN, ENROLL_SECRET, startTestApp, type TestApp } from "./helpers/app.ts";
import { ENGINES } from "./helpers/databases.ts";
import { makeReport, reportWithProcesses } from "./helpers/reports.ts";

for (const engine of ENGINES) {
  describe(`API on ${engine}`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(engine);
    });
    after(() => t?.close());

    test("health needs no token and names the engine", async () => {
      const r = await t.app.inject({ method: "GET", url: "/health" });
      assert.equal(r.statusCode, 200);
      assert.deepEqual(r.json().database, { engine, ok: true });
    });

    test("enroll: a wrong secret is 401, a missing field 400 naming it, twice is one host", async () => {
      const bad = await t.app.inject({
        method: "POST",
        url: "/api/v1/enroll",
        payload: { enroll_secret: "nope-nope-nope-nope", host_identifier: "x" },
      });
      assert.equal(bad.statusCode, 401);
      assert.equal(bad.json().error.code, "invalid_enroll_secret");
      const missing = await t.app.inject({
        method: "POST",
        url: "/api/v1/enroll",
        payload: { enroll_secret: ENROLL_SECRET },
      });
      assert.equal(missing.statusCode, 400);
      assert.match(missing.json().error.message, /host_identifier/);
      const a = await t.enroll("enroll-twice");
      // The secret alone does not take over a host that has a key; its key rotates it.
      const taken = await t.app.inject({
        method: "POST",
        url: "/api/v1/enroll",
        payload: { enroll_secret: ENROLL_SECRET, host_identifier: "enroll-twice" },
      });
      assert.equal(taken.statusCode, 409);
      const again = await t.app.inject({
        method: "POST",
        url: "/api/v1/enroll",
        headers: { authorization: `Bearer ${a.nodeKey}` },
        payload: { enroll_secret: ENROLL_SECRET, host_identifier: "enroll-twice" },
      });
      assert.equal(again.statusCode, 200, again.body);
      const b = { hostId: again.json().host_id, nodeKey: again.json().node_key };
      assert.equal(a.hostId, b.hostId);
      assert.notEqual(a.nodeKey, b.nodeKey);
      // The first key was replaced: it no longer writes.
      const old = await t.send(a.nodeKey, makeReport({ identifier: "enroll-twice" }));
      assert.equal(old.statusCode, 401);
      assert.equal(old.json().error.code, "invalid_node_key");
      const fresh = await t.send(b.nodeKey, makeReport({ identifier: "enroll-twice" }));
      assert.equal(fresh.statusCode, 201);
    });

    test("a report without a key, with a wrong key, or with a reader token is 401", async () => {
      const report = makeReport({ identifier: "auth-host" });
      const none = await t.app.inject({ method: "POST", url: "/api/v1/reports", payload: report });
      assert.equal(none.statusCode, 401);
      assert.equal((await t.send("not-a-key", report)).statusCode, 401);
      assert.equal((await t.send(ADMIN_TOKEN, report)).statusCode, 401);
    });

    test("a stored report is readable back exactly, and a resend stores nothing new", async () => {
      const { nodeKey, hostId } = await t.enroll("idem-host");
      const report = reportWithProcesses(300, { identifier: "idem-host" });
      const first = await t.send(nodeKey, report);
      assert.equal(first.statusCode, 201);
      assert.equal(first.json().status, "stored");
      assert.equal(first.json().host_id, hostId);
      const again = await t.send(nodeKey, report);
      assert.equal(again.statusCode, 201);
      assert.deepEqual(again.json(), first.json());
      assert.equal(again.headers["idempotent-replayed"], "true");
      const host = await t.read(`/api/v1/hosts/${hostId}`);
      assert.equal(host.executions, 1);
      assert.equal(host.process_count, 300);
      assert.deepEqual(await t.read(`/api/v1/reports/${report.report_id}`), report);
    });

    test("host A's key cannot write host B, whatever the body says", async () => {
      const a = await t.enroll("host-a");
      const b = await t.enroll("host-b");
      await t.store201(b.nodeKey, makeReport({ identifier: "host-b" }));
      const before = await t.read(`/api/v1/hosts/${b.hostId}`);
      const forged = await t.send(a.nodeKey, makeReport({ identifier: "host-b" }));
      assert.equal(forged.statusCode, 403);
      assert.equal(forged.json().error.code, "host_mismatch");
      assert.deepEqual(await t.read(`/api/v1/hosts/${b.hostId}`), before);
      // Reusing another host's report_id is a conflict, not an overwrite.
      const stolen = makeReport({ identifier: "host-a" });
      const bReport = makeReport({ identifier: "host-b" });
      await t.store201(b.nodeKey, bReport);
      stolen.report_id = bReport.report_id;
      const r = await t.send(a.nodeKey, stolen);
      assert.equal(r.statusCode, 409);
      assert.deepEqual(await t.read(`/api/v1/reports/${bReport.report_id}`), bReport);
    });

    test("bad bodies are 400 naming the field, and store nothing", async () => {
      const { nodeKey, hostId } = await t.enroll("bad-body-host");
      const cases: [unknown, RegExp][] = [
        [
          { ...makeReport({ identifier: "bad-body-host" }), processes: [{ pid: "1" }] },
          /processes\/0/,
        ],
        [
          { ...makeReport({ identifier: "bad-body-host" }), collected_at: "not a time" },
          /collected_at/,
        ],
        [{ ...makeReport({ identifier: "bad-body-host" }), unknown_field: true }, /unknown_field/],
        [
          makeReport({
            identifier: "bad-body-host",
            processes: [
              { pid: 7, ppid: 1, name: "a", user: "root", cpu_percent: 0, rss_bytes: 0 },
              { pid: 7, ppid: 1, name: "b", user: "root", cpu_percent: 0, rss_bytes: 0 },
            ],
          }),
          /processes\/1\/pid/,
        ],
        [
          makeReport({
            identifier: "bad-body-host",
            collected_at: new Date(Date.now() + 3 * 86_400_000).toISOString(),
          }),
          /collected_at/,
        ],
        [
          makeReport({
            identifier: "bad-body-host",
            processes: [
              { pid: 7, ppid: 1, name: "a\u0000b", user: "root", cpu_percent: 0, rss_bytes: 0 },
            ],
          }),
          /processes\/0\/name/,
        ],
      ];
      for (const [body, field] of cases) {
        const r = await t.send(nodeKey, body);
        assert.equal(r.statusCode, 400, r.body);
        assert.equal(r.json().error.code, "invalid_request");
        assert.match(r.json().error.message, field);
      }
      const notJson = await t.app.inject({
        method: "POST",
        url: "/api/v1/reports",
        headers: { authorization: `Bearer ${nodeKey}`, "content-type": "application/json" },
        payload: "{ not json",
      });
      assert.equal(notJson.statusCode, 400);
      assert.equal((await t.read(`/api/v1/hosts/${hostId}`)).executions, 0);
    });

    test("readers read, only admins delete; unknown ids are 404", async () => {
      const created = await t.app.inject({
        method: "POST",
        url: "/api/v1/tokens",
        headers: t.admin,
        payload: { name: "auditor", role: "reader" },
      });
      assert.equal(created.statusCode, 201);
      const reader = { authorization: `Bearer ${created.json().token}` };
      assert.equal((await t.get("/api/v1/hosts", reader)).statusCode, 200);
      assert.deepEqual((await t.get("/api/v1/me", reader)).json(), {
        role: "reader",
        token: { id: created.json().id, name: "auditor" },
      });
      assert.deepEqual(await t.read("/api/v1/me"), { role: "admin", token: null });
      const { hostId } = await t.enroll("to-delete");
      const denied = await t.app.inject({
        method: "DELETE",
        url: `/api/v1/hosts/${hostId}`,
        headers: reader,
      });
      assert.equal(denied.statusCode, 403);
      assert.equal(
        (await t.get("/api/v1/hosts", { authorization: "Bearer wrong" })).statusCode,
        401,
      );
      assert.equal((await t.get("/api/v1/hosts", {})).statusCode, 401);
      assert.equal((await t.get("/api/v1/hosts/999999")).statusCode, 404);
      assert.equal((await t.get(`/api/v1/reports/${randomUUID()}`)).statusCode, 404);
      assert.equal((await t.get("/api/v1/hosts/abc")).statusCode, 400);
      const deleted = await t.app.inject({
        method: "DELETE",
        url: `/api/v1/hosts/${hostId}`,
        headers: t.admin,
      });
      assert.equal(deleted.statusCode, 204);
      assert.equal((await t.get(`/api/v1/hosts/${hostId}`)).statusCode, 404);
      // A revoked token stops working at once.
      const revoked = await t.app.inject({
        method: "DELETE",
        url: `/api/v1/tokens/${created.json().id}`,
        headers: t.admin,
      });
      assert.equal(revoked.statusCode, 204);
      assert.equal((await t.get("/api/v1/hosts", reader)).statusCode, 401);
    });

    test("search text is literal: _ and % are not wildcards, case is ignored", async () => {
      for (const name of ["under_score", "underXscore", "per%cent"]) {
        const { nodeKey } = await t.enroll(name);
        const r = makeReport({ identifier: name });
        r.host.hostname = name;
        await t.store201(nodeKey, r);
      }
      const names = async (q: string) =>
        (await t.read(`/api/v1/hosts?q=${encodeURIComponent(q)}`)).items.map(
          (h: { hostname: string }) => h.hostname,
        );
      assert.deepEqual(await names("under_score"), ["under_score"]);
      assert.deepEqual(await names("UNDER_"), ["under_score"]);
      assert.deepEqual(await names("per%"), ["per%cent"]);
    });

    test("a revoked node key is 401 until the agent enrolls again; the history stays", async () => {
      const { nodeKey, hostId } = await t.enroll("revoke-me");
      await t.store201(nodeKey, makeReport({ identifier: "revoke-me" }));
      const r = await t.app.inject({
        method: "POST",
        url: `/api/v1/hosts/${hostId}/revoke-key`,
        headers: t.admin,
      });
      assert.equal(r.statusCode, 204);
      assert.equal(
        (await t.send(nodeKey, makeReport({ identifier: "revoke-me" }))).statusCode,
        401,
      );
      const again = await t.enroll("revoke-me");
      assert.equal(again.hostId, hostId);
      await t.store201(again.nodeKey, makeReport({ identifier: "revoke-me" }));
      assert.equal((await t.read(`/api/v1/hosts/${hostId}`)).executions, 2);
    });
  });
}

describe("API documents and limits", () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp("sqlite");
  });
  after(() => t?.close());

  test("the OpenAPI document lists every route and the docs page is served", async () => {
    const doc = (await t.app.inject({ method: "GET", url: "/openapi.json" })).json();
    for (const path of [
      "/api/v1/enroll",
      "/api/v1/reports",
      "/api/v1/hosts",
      "/api/v1/hosts/{id}",
      "/api/v1/hosts/{id}/reports",
      "/api/v1/hosts/{id}/processes",
      "/api/v1/hosts/{id}/sessions",
      "/api/v1/hosts/{id}/diff",
      "/api/v1/reports/{id}",
      "/api/v1/search/processes",
      "/api/v1/changes",
      "/health",
    ]) {
      assert.ok(doc.paths[path], `OpenAPI has ${path}`);
    }
    const docs = await t.app.inject({ method: "GET", url: "/docs/" });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.headers["content-type"] as string, /html/);
  });

  test("a body over the limit is 413 with a JSON error", async () => {
    const { nodeKey } = await t.enroll("big-host");
    const r = await t.app.inject({
      method: "POST",
      url: "/api/v1/reports",
      headers: { authorization: `Bearer ${nodeKey}`, "content-type": "application/json" },
      payload: `{"pad":"${"x".repeat(33 * 1024 * 1024)}"}`,
    });
    assert.equal(r.statusCode, 413);
    assert.equal(r.json().error.code, "body_too_large");
  });

  test("unknown routes are 404 in the error format", async () => {
    const r = await t.get("/api/v1/nothing-here");
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().error.code, "not_found");
  });
});
