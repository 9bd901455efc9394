import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type CompatApp,
  seedFixture,
  seedFixtureText,
  startCompatApp,
} from "./fixtures/seeds/compat-app.ts";
import { ENGINES } from "./helpers/databases.ts";

// The seeds' read routes answer in the seeds' own shapes, from the same history our API
// serves.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

for (const engine of ENGINES) {
  describe(`legacy read routes on ${engine}`, () => {
    let t: CompatApp;
    const get = (url: string) => t.app.inject({ method: "GET", url });

    before(async () => {
      t = await startCompatApp(engine);
      const ok = (r: { statusCode: number; body: string }) => assert.ok(r.statusCode < 300, r.body);
      // 2026-11-22 10:15:53 UTC
      ok(await t.post("/api/v1/compliance/system_info", seedFixture("000-signature.json")));
      ok(await t.post("/api/v1/compliance/system_info", seedFixture("000-sloppy.json")));
      ok(await t.post("/report", seedFixture("002-report.json")));
      ok(await t.post("/report", seedFixture("002-report-no-mem.json")));
      ok(await t.postRaw("/", seedFixtureText("004-execution.json")));
      for (const [url, file] of [
        ["/hosts", "003-so-name.json"],
        ["/hosts", "003-so-version.json"],
        ["/users", "003-users.json"],
        ["/processes", "003-processes.json"],
        ["/cpus", "003-cpu.json"],
      ] as const) {
        ok(await t.post(url, seedFixture(file)));
      }
      t.clock.ms += 60_000;
      ok(await t.post("/cpus", { host: "172.31.5.20", cpu_usage: 40 }));
    });
    after(() => t?.close());

    test("000: a signature by IP and second, both id forms and both spellings", async () => {
      const expected = seedFixture("000-signature.json");
      for (const url of [
        "/api/v1/compliance/system_info/10.0.2.152026_11_22_10_15_53",
        "/api/v1/compliance/system_info/10.0.2.15_2026_11_22_10_15_53",
        "/api/v1/compliance/systeminfo/10.0.2.152026_11_22_10_15_53",
      ]) {
        const r = await get(url);
        assert.equal(r.statusCode, 200, url);
        assert.deepEqual(r.json(), expected);
      }
      // Unpadded fields name the same second (seed 004's execution, 2020-02-24 02:11:14.123456).
      const padded = await get("/api/v1/compliance/system_info/10.0.2.20_2020_02_24_02_11_14");
      const unpadded = await get("/api/v1/compliance/system_info/10.0.2.202020_2_24_2_11_14");
      assert.equal(unpadded.statusCode, 200);
      assert.deepEqual(unpadded.json(), padded.json());
      assert.equal(unpadded.json().operative_system.name, "Linux debian");
      // A signature comes back exactly as sent (see compat-exact for the agent's own bytes).
      const sloppy = await get("/api/v1/compliance/system_info/10.0.2.16_2026_11_22_10_15_53");
      assert.deepEqual(sloppy.json(), seedFixture("000-sloppy.json"));
    });

    test("000: an unknown id is 404 Event not found", async () => {
      for (const id of [
        "10.0.2.152026_11_22_10_15_54",
        "10.9.9.92026_11_22_10_15_53",
        "10.0.2.152026_02_30_10_15_53",
        "nothing",
        "10.0.2.15",
      ]) {
        const r = await get(`/api/v1/compliance/system_info/${id}`);
        assert.equal(r.statusCode, 404, id);
        assert.deepEqual(r.json(), { status_code: 404, message: "Event not found" });
      }
    });

    test("002: GET /report?ip= answers the latest report of that address; /health keeps its shape", async () => {
      const r = await get("/report?ip=10.10.10.1");
      assert.equal(r.statusCode, 200);
      assert.deepEqual(r.json(), {
        report: { ...seedFixture("002-report-no-mem.json") },
      });
      const quoted = await get("/report?ip='10.10.10.1'");
      assert.equal(quoted.statusCode, 200);
      const missing = await get("/report?ip=10.10.10.99");
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().error.code, "not_found");
      const noIp = await get("/report");
      assert.equal(noIp.statusCode, 400);
      assert.match(noIp.json().error.message, /ip/);
      const health = await get("/health");
      assert.equal(health.statusCode, 200);
      assert.equal(health.json().health, "ok");
      assert.equal(health.json().status, "ok");
    });

    test("002: the memory share comes back when it was sent", async () => {
      // Sent with `mem`, the share comes back in the seed's field.
      const body = { ...seedFixture("002-report.json"), server_ip: "10.10.10.2" };
      await t.post("/report", body);
      const r = await get("/report?ip=10.10.10.2");
      assert.deepEqual(r.json(), { report: body });
    });

    test("003: GET /hosts lists the legacy hosts in its shape", async () => {
      const r = await get("/hosts");
      assert.equal(r.statusCode, 200);
      const { hosts, total } = r.json();
      assert.equal(total, hosts.length);
      assert.ok(total >= 5);
      for (const h of hosts) {
        assert.deepEqual(Object.keys(h).sort(), ["ip", "so_name", "so_version", "uuid"]);
        assert.match(h.uuid, UUID);
      }
      const h003 = hosts.find((h: any) => h.ip === "172.31.5.20");
      assert.deepEqual(
        { so_name: h003.so_name, so_version: h003.so_version },
        { so_name: "Linux ip-172-31-5-20", so_version: "5.10.0-1038-aws" },
      );
      const h004 = hosts.find((h: any) => h.ip === "10.0.2.20");
      assert.equal(h004.so_name, "Linux debian");
      const paged = await get("/hosts?skip=1&limit=2");
      assert.equal(paged.json().hosts.length, 2);
      assert.equal(paged.json().total, total);
      assert.deepEqual(paged.json().hosts[0], hosts[1]);
    });

    test("003: GET /cpus lists every CPU use sent, oldest first, as sent", async () => {
      const r = await get("/cpus");
      assert.equal(r.statusCode, 200);
      assert.deepEqual(r.json(), {
        cpus: [
          { cpu_usage: "12.5", created_at: "2026-11-22T10:15:53Z", host: "172.31.5.20" },
          { cpu_usage: "40", created_at: "2026-11-22T10:16:53Z", host: "172.31.5.20" },
        ],
        total: 2,
      });
    });

    test("003: GET /processes and /users list every row posted; unknown address 404; no ip 422", async () => {
      const ps = await get("/processes?ip=172.31.5.20");
      assert.equal(ps.statusCode, 200);
      const body = ps.json();
      assert.equal(body.total, 3);
      for (const p of body.processes) {
        assert.deepEqual(Object.keys(p).sort(), ["created_at", "host", "pid", "user", "uuid"]);
        assert.equal(p.host, "172.31.5.20");
        // Its insert time, not the host's last call (the cpu call a minute later).
        assert.equal(p.created_at, "2026-11-22T10:15:53Z");
      }
      assert.deepEqual(
        body.processes.map((p: any) => [p.pid, p.user]),
        [
          ["1", "root"],
          ["123", "root"],
          ["4500", "ana"],
        ],
      );
      const users = await get("/users?ip=172.31.5.20");
      assert.deepEqual(
        users.json().users.map((u: any) => u.name),
        ["root", "ana", "ana"],
      );
      assert.equal(users.json().total, 3);
      for (const u of users.json().users) {
        assert.deepEqual(Object.keys(u).sort(), ["created_at", "host", "name", "uuid"]);
      }
      // Hosts other seeds report are known, with no row of seed 003's.
      assert.deepEqual((await get("/processes?ip=10.0.2.20")).json(), { processes: [], total: 0 });
      assert.deepEqual((await get("/users?ip=10.10.10.1")).json(), { users: [], total: 0 });
      const unknown = await get("/processes?ip=10.99.0.1");
      assert.equal(unknown.statusCode, 404);
      assert.equal(unknown.json().detail, "Host not found");
      assert.equal(unknown.json().error.code, "not_found");
      for (const url of ["/processes", "/users", "/users?ip="]) {
        const r = await get(url);
        assert.equal(r.statusCode, 422, url);
        assert.deepEqual(r.json().detail[0].loc, ["querystring", "ip"]);
        assert.equal(r.json().error.code, "invalid_request");
      }
      const bad = await get("/users?ip=nope");
      assert.equal(bad.statusCode, 422);
    });
  });
}
