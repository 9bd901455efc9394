import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type CompatApp,
  seedFixture,
  seedFixtureText,
  startCompatApp,
} from "./fixtures/seeds/compat-app.ts";
import { ENGINES } from "./helpers/databases.ts";

// The seeds' agents' own bytes (the `*-request.txt` fixtures are what python-requests sends
// for `json=`), posted as they post them, answered as the old systems answered.

const ZONE = "America/Argentina/Buenos_Aires";
const JSON_TYPE = { "content-type": "application/json" };
const NOTHING_CHANGED = {
  processes_started: 0,
  processes_ended: 0,
  sessions_opened: 0,
  sessions_closed: 0,
  facts_changed: 0,
};

for (const engine of ENGINES) {
  describe(`the seeds' exact behaviour on ${engine}`, () => {
    let t: CompatApp;
    const get = (url: string) => t.app.inject({ method: "GET", url });
    const send = (url: string, fixture: string, headers: Record<string, string> = JSON_TYPE) =>
      t.postRaw(url, seedFixtureText(fixture), headers);

    // 2026-11-22 10:15:53.250 UTC, 07:15:53 in Buenos Aires (UTC-3).
    before(async () => {
      t = await startCompatApp(engine, { timeZone: ZONE });
    });
    after(() => t?.close());

    test("004: a body of any Content-Type is read as JSON, text/plain included", async () => {
      for (const type of [
        "text/plain",
        "text/plain; charset=utf-8",
        "text/html",
        "application/octet-stream",
        "application/x-www-form-urlencoded",
        "application/json",
        null,
      ]) {
        const r = await send("/", "004-execution.json", type ? { "content-type": type } : {});
        assert.equal(r.statusCode, 200, `${type}: ${r.body}`);
        assert.deepEqual(r.json(), {
          "Status API Challenge Meli": "Informacion recibida correctamente",
        });
      }
      // Still with the JSON limits: a deep body labelled as text is refused as one.
      const deep = await t.postRaw("/", `${"[".repeat(5000)}${"]".repeat(5000)}`, {
        "content-type": "text/plain",
      });
      assert.equal(deep.statusCode, 400);
      assert.equal(deep.json().error.code, "too_deep");
    });

    test("001: a body without the fields of the model is a 400, and stores nothing", async () => {
      const r = await send("/servers", "001-request-incomplete.txt");
      assert.equal(r.statusCode, 400);
      assert.equal(r.json().error.code, "invalid_request");
      assert.match(r.json().error.message, /arquitectura_proc/);
      const hosts = await t.read("/api/v1/hosts?ip=10.20.0.11");
      assert.equal(hosts.total, 0);
    });

    test("000 then 001 on one address: no change is counted that is not one", async () => {
      // 10:15:53 UTC: seed 000 (no users of processes, no architecture, a host name).
      assert.equal(
        (await send("/api/v1/compliance/system_info", "000-request-repeated.txt")).statusCode,
        201,
      );
      // 001 at 07:16:30.25 Buenos Aires = 10:16:30.25 UTC: users of processes, no host name.
      t.clock.ms = Date.UTC(2026, 10, 22, 10, 16, 31);
      const first001 = await send("/servers", "001-request.txt");
      assert.equal(first001.statusCode, 201, first001.body);
      // The old API echoed the stored server with its processes and users.
      const sent = JSON.parse(seedFixtureText("001-request.txt"));
      const echoed = first001.json();
      assert.deepEqual(echoed.procesos, sent.procesos);
      assert.deepEqual(echoed.usuarios_activos, sent.usuarios_activos);
      assert.equal(echoed.fecha_hora, sent.fecha_hora);
      assert.equal(echoed.ipaddress, "10.30.0.5");
      // Local time read in COMPLIANCE_LEGACY_TZ.
      const stored = await t.read(`/api/v1/reports/${echoed.report_id}`);
      assert.equal(stored.collected_at, "2026-11-22T10:16:30.250000Z");

      // They take turns, nothing changes on the machine.
      t.clock.ms = Date.UTC(2026, 10, 22, 10, 17, 0);
      await send("/api/v1/compliance/system_info", "000-request-repeated.txt");
      const later = { ...sent, fecha_hora: "2026-11-22 07:17:30" };
      t.clock.ms = Date.UTC(2026, 10, 22, 10, 17, 31);
      assert.equal((await t.post("/servers", later)).statusCode, 201);

      const host = await t.hostOf("10.30.0.5");
      assert.equal(host.executions, 4);
      assert.equal(host.first_seen_at, "2026-11-22T10:15:53.000Z");
      assert.equal(host.hostname, "vm");
      assert.equal(host.os.arch, "X86_64");
      assert.deepEqual(host.ip_addresses, ["10.30.0.5", "172.17.0.1"]);
      const reports = await t.read(`/api/v1/hosts/${host.id}/reports?sort=collected_at`);
      const changes = reports.items.map((e: any) => e.changes);
      // The second learns who runs the processes and the sessions' pids; then nothing.
      assert.deepEqual(changes.slice(2), [NOTHING_CHANGED, NOTHING_CHANGED]);
      const ps = await t.read(`/api/v1/hosts/${host.id}/processes?sort=pid`);
      assert.deepEqual(
        ps.items.map((p: any) => [p.pid, p.name, p.user]),
        [
          [1, "systemd", "root"],
          [2, "kthreadd", "root"],
          [640, "sshd", "root"],
        ],
      );
      t.clock.ms = Date.UTC(2026, 10, 22, 10, 15, 53, 250);
    });

    test("000: GET serves the signature exactly as sent, also by the whole server_ip", async () => {
      t.clock.ms = Date.UTC(2026, 10, 22, 10, 20, 0);
      const r = await send("/api/v1/compliance/system_info", "000-request-nobody.txt");
      assert.equal(r.statusCode, 201);
      t.clock.ms = Date.UTC(2026, 10, 22, 10, 15, 53, 250);
      // The original named the file `<server_ip>_<local time>`: 07:20:00 in Buenos Aires.
      for (const id of [
        "10.30.0.52026_11_22_07_20_00",
        "10.30.0.5_2026_11_22_7_20_0",
        encodeURIComponent("10.30.0.5 172.17.0.1 _2026_11_22_07_20_00"),
        encodeURIComponent("10.30.0.5 172.17.0.12026_11_22_07_20_00"),
      ]) {
        const got = await get(`/api/v1/compliance/system_info/${id}`);
        assert.equal(got.statusCode, 200, id);
        assert.equal(got.body, seedFixtureText("000-request-nobody.txt"), id);
        assert.match(String(got.headers["content-type"]), /application\/json/);
      }
      // [{"name":""}] and repeated names come back as sent.
      const repeated = await get("/api/v1/compliance/system_info/10.30.0.5_2026_11_22_07_15_53");
      assert.deepEqual(repeated.json().active_users, [{ name: "ana" }, { name: "ana" }]);
      const wrongSecond = await get("/api/v1/compliance/system_info/10.30.0.5_2026_11_22_07_20_01");
      assert.equal(wrongSecond.statusCode, 404);
    });

    test("001: a time ahead of the API's clock is the receive time, never the future", async () => {
      t.clock.ms = Date.UTC(2026, 10, 22, 11, 0, 0);
      const ahead = { ...seedFixture("001-server.json"), ipaddress: "10.30.0.6" };
      ahead.fecha_hora = "2026-11-22 09:30:00"; // 12:30 UTC, half an hour ahead
      const r = await t.post("/servers", ahead);
      assert.equal(r.statusCode, 201, r.body);
      const report = await t.read(`/api/v1/reports/${r.json().report_id}`);
      assert.equal(report.collected_at, "2026-11-22T11:00:00Z");
      t.clock.ms = Date.UTC(2026, 10, 22, 10, 15, 53, 250);
    });

    test("003: rows as its tables kept them; 200 for a host; 404 for an unknown address", async () => {
      const host = await send("/hosts", "003-request-host.txt");
      assert.equal(host.statusCode, 200, host.body);
      const users = await send("/users", "003-request-users.txt");
      assert.equal(users.statusCode, 201);
      assert.deepEqual(
        users.json().users.map((u: any) => u.name),
        ["root", "ana", "ana"],
      );
      await send("/processes", "003-request-processes.txt");
      await send("/cpus", "003-request-cpu.txt");
      t.clock.ms += 60_000;
      await send("/processes", "003-request-processes.txt");
      await t.post("/cpus", { host: "10.30.0.9", cpu_usage: "12.5" });
      t.clock.ms -= 60_000;

      const ps = (await get("/processes?ip=10.30.0.9")).json();
      assert.equal(ps.total, 4);
      assert.deepEqual(
        ps.processes.map((p: any) => [p.pid, p.user, p.created_at]),
        [
          ["1", "root", "2026-11-22T10:15:53Z"],
          ["77", "ana", "2026-11-22T10:15:53Z"],
          ["1", "root", "2026-11-22T10:16:53Z"],
          ["77", "ana", "2026-11-22T10:16:53Z"],
        ],
      );
      const us = (await get("/users?ip=10.30.0.9")).json();
      assert.equal(us.total, 3);
      const cpus = (await get("/cpus")).json().cpus.filter((c: any) => c.host === "10.30.0.9");
      assert.deepEqual(
        cpus.map((c: any) => [c.cpu_usage, c.created_at]),
        [
          ["97.0", "2026-11-22T10:15:53Z"],
          ["12.5", "2026-11-22T10:16:53Z"],
        ],
      );
      const unknown = await get("/users?ip=10.30.9.9");
      assert.equal(unknown.statusCode, 404);
      assert.equal(unknown.json().detail, "Host not found");
    });

    test("002: what it never sends is unknown in the API, not zero or empty", async () => {
      assert.equal((await send("/report", "002-request.txt")).statusCode, 200);
      const host = await t.hostOf("10.30.0.7");
      assert.equal(host.cpu_usage_known, false);
      assert.equal(host.memory_known, false);
      assert.equal(host.processes_known, false);
      assert.equal(host.sessions_known, false);
      const ps = await t.read(`/api/v1/hosts/${host.id}/processes`);
      assert.equal(ps.known, false);
      assert.match(ps.reason, /seed 002/);
      const [execution] = (await t.read(`/api/v1/hosts/${host.id}/reports`)).items;
      assert.equal(execution.cpu_usage_known, false);
      assert.equal(execution.processes_known, false);
      // Served back as sent.
      const back = await get("/report?ip=10.30.0.7");
      assert.equal(back.body, `{"report":${seedFixtureText("002-request.txt")}}`);
      // Seed 004 sends processes: known.
      const h004 = await t.hostOf("10.0.2.20");
      assert.equal(h004.processes_known, true);
      assert.equal(h004.cpu_usage_known, false);
    });
  });
}
