import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { legacyUuid } from "../src/compat/legacy-report.ts";
import {
  type CompatApp,
  ENROLL_SECRET,
  seedFixture,
  seedFixtureText,
  startCompatApp,
} from "./fixtures/seeds/compat-app.ts";
import { ENGINES } from "./helpers/databases.ts";
import { makeReport } from "./helpers/reports.ts";

// Every seed's payloads, clean and sloppy, end up as hosts and executions that our own v1
// API serves like any other: host list, processes, sessions, reports, diff.

const collectors = (errors: { collector: string }[]) => errors.map((e) => e.collector).sort();

for (const engine of ENGINES) {
  describe(`legacy ingest on ${engine}`, () => {
    let t: CompatApp;
    before(async () => {
      t = await startCompatApp(engine);
    });
    after(() => t?.close());

    test("seed 000: a signature becomes a legacy host keyed by IP, with what it sent", async () => {
      const r = await t.post("/api/v1/compliance/system_info", seedFixture("000-signature.json"));
      assert.equal(r.statusCode, 201);
      assert.deepEqual(r.json(), { status: "OK" });
      const host = await t.hostOf("10.0.2.15");
      assert.equal(host.source, "legacy");
      assert.equal(host.hostname, "debian");
      assert.equal(host.os.name, "Linux");
      assert.equal(host.os.platform, "linux");
      assert.equal(host.os.version, "#1 SMP Debian 4.19.160-2 (2020-11-28)");
      assert.equal(host.cpu.model, "Intel(R) Core(TM) i7-7500U CPU @ 2.70GHz");
      assert.equal(host.agent_version, "legacy-000");
      assert.equal(host.process_count, 3);
      assert.equal(host.sessions_known, true);
      // Collected when received (the clock of the test), to the second.
      assert.equal(host.last_seen_at, "2026-11-22T10:15:53.000Z");

      const ps = await t.read(`/api/v1/hosts/${host.id}/processes?sort=pid`);
      assert.deepEqual(
        ps.items.map((p: any) => [p.pid, p.name, p.cpu_percent]),
        [
          [1, "systemd", 0],
          [2, "kthreadd", 0],
          [812, "sshd", 1.5],
        ],
      );
      const sessions = await t.read(`/api/v1/hosts/${host.id}/sessions`);
      assert.equal(sessions.known, true);
      assert.deepEqual(
        sessions.items.map((s: any) => s.user),
        ["matias"],
      );

      // Fields the seed does not send are unknown, said in errors, not faked.
      const report = await t.read(`/api/v1/reports/${host.last_report_id}`);
      assert.deepEqual(collectors(report.errors), ["cpu", "memory"]);
      assert.match(report.errors.find((e: any) => e.collector === "memory").message, /seed 000/);
      assert.equal(report.cpu.cores, 0);
      assert.equal(report.memory.total_bytes, 0);
      assert.equal(report.host.identifier, "legacy:ip:10.0.2.15");
    });

    test("seed 000: the same signature resent within the second is stored once; a later one is a new execution", async () => {
      const body = seedFixture("000-signature.json");
      body.server_ip = "10.0.5.1";
      const first = await t.post("/api/v1/compliance/system_info", body);
      const again = await t.post("/api/v1/compliance/systeminfo", body);
      assert.equal(first.statusCode, 201);
      assert.equal(again.statusCode, 201);
      assert.equal(again.headers["idempotent-replayed"], "true");
      let host = await t.hostOf("10.0.5.1");
      assert.equal(host.executions, 1);
      // The id is derived from seed, address, time and body: the same inputs, the same id.
      assert.equal(
        host.last_report_id,
        legacyUuid("000", "10.0.5.1", "2026-11-22T10:15:53Z", JSON.stringify(body)),
      );
      t.clock.ms += 60_000;
      assert.equal((await t.post("/api/v1/compliance/system_info", body)).statusCode, 201);
      t.clock.ms -= 60_000;
      host = await t.hostOf("10.0.5.1");
      assert.equal(host.executions, 2);
      const reports = await t.read(`/api/v1/hosts/${host.id}/reports`);
      // Nothing changed between the two check-ins.
      assert.deepEqual(reports.items[0].changes, {
        processes_started: 0,
        processes_ended: 0,
        sessions_opened: 0,
        sessions_closed: 0,
        facts_changed: 0,
      });
    });

    test("seed 000 sloppy: several addresses, repeated users, string pids, duplicates, nulls", async () => {
      const r = await t.post("/api/v1/compliance/system_info", seedFixture("000-sloppy.json"));
      assert.equal(r.statusCode, 201, r.body);
      const host = await t.hostOf("10.0.2.16");
      assert.equal(host.primary_ip, "10.0.2.16");
      assert.deepEqual(host.ip_addresses, ["10.0.2.16", "172.17.0.1", "fe80::a00:27ff:fe4e:66a1"]);
      // The other addresses find the host too, but key nothing: the first one is the key.
      const byOther = await t.read("/api/v1/hosts?ip=172.17.0.1");
      assert.deepEqual(
        byOther.items.map((h: any) => h.identifier),
        ["legacy:ip:10.0.2.16"],
      );
      const ps = await t.read(`/api/v1/hosts/${host.id}/processes?sort=pid`);
      assert.deepEqual(
        ps.items.map((p: any) => [p.pid, p.name, p.cpu_percent]),
        [
          [1, "systemd", 0],
          [2, "kthreadd", 0],
          [4242, "bash", 250.5],
          [4243, "", 0],
        ],
      );
      const sessions = await t.read(`/api/v1/hosts/${host.id}/sessions?sort=user`);
      assert.deepEqual(
        sessions.items.map((s: any) => s.user),
        ["malasia", "root"],
      );
    });

    test('seed 000: [{"name":""}] is nobody (known, empty); no active_users at all is unknown', async () => {
      t.clock.ms += 1000;
      assert.equal(
        (await t.post("/api/v1/compliance/system_info", seedFixture("000-nobody.json"))).statusCode,
        201,
      );
      const host = await t.hostOf("10.0.2.15");
      const nobody = await t.read(`/api/v1/hosts/${host.id}/sessions`);
      assert.equal(nobody.known, true);
      assert.equal(nobody.total, 0);

      assert.equal(
        (await t.post("/api/v1/compliance/system_info", seedFixture("000-minimal.json")))
          .statusCode,
        201,
      );
      t.clock.ms -= 1000;
      const minimal = await t.hostOf("10.0.2.17");
      const unknown = await t.read(`/api/v1/hosts/${minimal.id}/sessions`);
      assert.equal(unknown.known, false);
      assert.match(unknown.reason, /not sent by seed 000/);
      const report = await t.read(`/api/v1/reports/${minimal.last_report_id}`);
      assert.deepEqual(collectors(report.errors), [
        "cpu",
        "hostname",
        "memory",
        "os",
        "processes",
        "sessions",
      ]);
    });

    test("seed 000: the diff between two executions shows what changed", async () => {
      const host = await t.hostOf("10.0.2.15");
      const reports = await t.read(`/api/v1/hosts/${host.id}/reports?sort=collected_at`);
      assert.equal(reports.total, 2);
      const [a, b] = reports.items;
      const diff = await t.read(
        `/api/v1/hosts/${host.id}/diff?from=${a.report_id}&to=${b.report_id}`,
      );
      assert.deepEqual(
        diff.processes.started.map((p: any) => p.name),
        ["cron"],
      );
      assert.deepEqual(
        diff.processes.ended.map((p: any) => p.name),
        ["sshd"],
      );
      assert.equal(diff.sessions.known, true);
      assert.deepEqual(
        diff.sessions.closed.map((s: any) => s.user),
        ["matias"],
      );
    });

    test("seed 001: timestamps with microseconds, users with pids, 201 echoing the server; diff", async () => {
      const r = await t.post("/servers", seedFixture("001-server.json"));
      assert.equal(r.statusCode, 201, r.body);
      const echoed = r.json();
      assert.equal(echoed.ipaddress, "192.168.1.10");
      assert.equal(echoed.fecha_hora, "2020-02-25 23:00:55.123456");
      assert.equal(echoed.nombre_so, "Linux");
      assert.equal(echoed.arquitectura_proc, "X86_64");
      const later = await t.post("/servers", seedFixture("001-server-later.json"));
      assert.equal(later.statusCode, 201, later.body);
      assert.equal(later.json().fecha_hora, "2020-02-25 23:10:55");

      const host = await t.hostOf("192.168.1.10");
      assert.equal(host.id, echoed.host_id);
      assert.equal(host.hostname, "");
      assert.equal(host.os.arch, "X86_64");
      assert.equal(host.executions, 2);
      const first = await t.read(`/api/v1/reports/${echoed.report_id}`);
      // Local time without a zone is taken as UTC; the microseconds are kept.
      assert.equal(first.collected_at, "2020-02-25T23:00:55.123456Z");
      const sessions = await t.read(`/api/v1/hosts/${host.id}/sessions?report=${echoed.report_id}`);
      assert.deepEqual(sessions.items.map((s: any) => [s.user, s.pid]).sort(), [
        ["ana", 1300],
        ["juan", 1234],
      ]);
      const ps = await t.read(`/api/v1/hosts/${host.id}/processes?sort=pid`);
      assert.deepEqual(
        ps.items.map((p: any) => [p.pid, p.name, p.user]),
        [
          [1, "systemd", "root"],
          [640, "sshd", "root"],
          [1234, "bash", "juan"],
          [2001, "nginx", ""],
        ],
      );
      const diff = await t.read(`/api/v1/hosts/${host.id}/diff?from=${echoed.report_id}`);
      assert.deepEqual(
        diff.processes.started.map((p: any) => p.pid),
        [2001],
      );
      assert.deepEqual(diff.processes.ended, []);
      assert.deepEqual(
        diff.sessions.closed.map((s: any) => s.user),
        ["ana"],
      );
      // The same check-in again is the same report: stored once.
      const again = await t.post("/servers", seedFixture("001-server.json"));
      assert.equal(again.statusCode, 201);
      assert.equal(again.json().report_id, echoed.report_id);
      assert.equal((await t.hostOf("192.168.1.10")).executions, 2);
    });

    test("seed 002: sessions and processes unknown; the user and memory share kept as notes", async () => {
      const r = await t.post("/report", seedFixture("002-report.json"));
      assert.equal(r.statusCode, 200);
      assert.deepEqual(r.json(), { status: "success" });
      const host = await t.hostOf("10.10.10.1");
      assert.equal(host.sessions_known, false);
      assert.equal(host.last_seen_at, "2024-06-01T12:26:24.000Z");
      const sessions = await t.read(`/api/v1/hosts/${host.id}/sessions`);
      assert.equal(sessions.known, false);
      assert.match(sessions.reason, /fabian/);
      const report = await t.read(`/api/v1/reports/${host.last_report_id}`);
      assert.deepEqual(collectors(report.errors), [
        "cpu",
        "hostname",
        "memory",
        "processes",
        "sessions",
      ]);
      assert.match(report.errors.find((e: any) => e.collector === "memory").message, /41\.5%/);
      assert.deepEqual(report.processes, []);
    });

    test("seed 004: a body with no Content-Type is read as JSON; two executions diff", async () => {
      const r = await t.postRaw("/", seedFixtureText("004-execution.json"));
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json(), {
        "Status API Challenge Meli": "Informacion recibida correctamente",
      });
      // With a Content-Type it works the same.
      const later = await t.post("/", seedFixture("004-execution-later.json"));
      assert.equal(later.statusCode, 200, later.body);
      const host = await t.hostOf("10.0.2.20");
      assert.equal(host.hostname, "debian");
      assert.equal(host.cpu.vendor, "GenuineIntel");
      assert.equal(host.executions, 2);
      assert.equal(host.last_seen_at, "2020-02-24T03:11:14.000Z");
      const reports = await t.read(`/api/v1/hosts/${host.id}/reports`);
      assert.equal(reports.items[1].collected_at, "2020-02-24T02:11:14.123456Z");
      const diff = await t.read(`/api/v1/hosts/${host.id}/diff`);
      assert.deepEqual(
        diff.processes.started.map((p: any) => [p.pid, p.name]),
        [[1500, "python3"]],
      );
      assert.deepEqual(
        diff.sessions.closed.map((s: any) => s.user),
        ["agus"],
      );
      const ps = await t.read(
        `/api/v1/hosts/${host.id}/processes?report=${reports.items[1].report_id}`,
      );
      assert.deepEqual(
        ps.items.map((p: any) => p.name),
        ["systemd", "kthreadd", "sshd"],
      );
    });

    test("a legacy host never merges into a host that enrolled with a key", async () => {
      // Our enroll route refuses the legacy namespace...
      const refused = await t.app.inject({
        method: "POST",
        url: "/api/v1/enroll",
        payload: {
          enroll_secret: ENROLL_SECRET,
          host_identifier: "legacy:ip:10.0.7.1",
          hostname: "x",
        },
      });
      assert.equal(refused.statusCode, 400);
      // ...and an agent's host with the same address stays a host of its own.
      const enrolled = await t.app.inject({
        method: "POST",
        url: "/api/v1/enroll",
        payload: { enroll_secret: ENROLL_SECRET, host_identifier: "machine-7", hostname: "web-7" },
      });
      const { node_key, host_id } = enrolled.json();
      // Collected by the API's clock (the test's), like every other time in this suite.
      const report = makeReport({
        identifier: "machine-7",
        collected_at: new Date(t.clock.ms).toISOString(),
      });
      report.host.primary_ip = "10.0.7.1";
      report.host.ip_addresses = ["10.0.7.1"];
      const sent = await t.app.inject({
        method: "POST",
        url: "/api/v1/reports",
        headers: { authorization: `Bearer ${node_key}` },
        payload: report,
      });
      assert.equal(sent.statusCode, 201);
      const body = seedFixture("000-signature.json");
      body.server_ip = "10.0.7.1";
      assert.equal((await t.post("/api/v1/compliance/system_info", body)).statusCode, 201);
      const legacy = await t.hostOf("10.0.7.1");
      assert.notEqual(legacy.id, host_id);
      const agentHost = await t.read(`/api/v1/hosts/${host_id}`);
      assert.equal(agentHost.executions, 1);
      assert.equal(agentHost.source, "agent");
      assert.equal(legacy.source, "legacy");
    });
  });
}
