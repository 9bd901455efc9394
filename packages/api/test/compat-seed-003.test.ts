import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type CompatApp, seedFixture, startCompatApp } from "./fixtures/seeds/compat-app.ts";
import { ENGINES } from "./helpers/databases.ts";

// Seed 003's agent sends one part of the host's state per call. Each call stores an
// execution that is the host's latest state with that part replaced; what no call has sent
// yet is unknown. Whatever the order of the parts, the host ends in the same state.

const PARTS = [
  ["/hosts", "003-so-name.json"],
  ["/hosts", "003-so-version.json"],
  ["/users", "003-users.json"],
  ["/processes", "003-processes.json"],
  ["/cpus", "003-cpu.json"],
] as const;

/** The same parts, for another address. */
function partFor(file: string, ip: string) {
  const body = seedFixture(file);
  if ("ip" in body) body.ip = ip;
  else body.host = ip;
  return body;
}

const KEY = "a-legacy-key-of-seed-003";

for (const engine of ENGINES) {
  describe(`seed 003 parts on ${engine}`, () => {
    let t: CompatApp;
    before(async () => {
      t = await startCompatApp(engine, { legacyKey: KEY });
    });
    after(() => t?.close());

    const send = (url: string, body: unknown) => t.post(url, body, { "x-api-key": KEY });

    /** The state our API shows for a host, without times and ids. */
    async function stateOf(ip: string) {
      const host = await t.hostOf(ip);
      const ps = await t.read(`/api/v1/hosts/${host.id}/processes?sort=pid`);
      const sessions = await t.read(`/api/v1/hosts/${host.id}/sessions?sort=user`);
      return {
        hostname: host.hostname,
        os: host.os,
        processes: ps.items.map((p: any) => [p.pid, p.user]),
        sessions: { known: sessions.known, users: sessions.items.map((s: any) => s.user) },
      };
    }

    test("each part call is one execution; before a part arrives it is unknown", async () => {
      const ip = "172.31.5.20";
      const name = await send("/hosts", seedFixture("003-so-name.json"));
      // The original answered 200 to a new host as to a known one.
      assert.equal(name.statusCode, 200, name.body);
      assert.deepEqual(
        { ...(name.json() as object), uuid: undefined },
        { uuid: undefined, ip, so_name: "Linux ip-172-31-5-20", so_version: null },
      );
      let host = await t.hostOf(ip);
      assert.equal(host.hostname, "ip-172-31-5-20");
      assert.equal(host.os.name, "Linux");
      assert.equal(host.sessions_known, false);
      let report = await t.read(`/api/v1/reports/${host.last_report_id}`);
      const unknown = report.errors.map((e: any) => e.collector).sort();
      assert.deepEqual(unknown, ["cpu", "memory", "processes", "sessions"]);

      const version = await send("/hosts", seedFixture("003-so-version.json"));
      assert.equal(version.statusCode, 200);
      assert.equal(version.json().so_name, "Linux ip-172-31-5-20");
      assert.equal(version.json().so_version, "5.10.0-1038-aws");
      assert.equal(version.json().uuid, name.json().uuid);

      t.clock.ms += 1000;
      const users = await send("/users", seedFixture("003-users.json"));
      assert.equal(users.statusCode, 201, users.body);
      assert.deepEqual(
        users.json().users.map((u: any) => u.name),
        ["root", "ana", "ana"],
      );
      const ps = await send("/processes", seedFixture("003-processes.json"));
      assert.equal(ps.statusCode, 201, ps.body);
      assert.deepEqual(
        ps.json().processes.map((p: any) => [p.pid, p.user]),
        [
          ["1", "root"],
          ["123", "root"],
          ["4500", "ana"],
        ],
      );
      const cpu = await send("/cpus", seedFixture("003-cpu.json"));
      assert.equal(cpu.statusCode, 201, cpu.body);
      assert.equal(cpu.json().cpu_usage, "12.5");
      t.clock.ms -= 1000;

      host = await t.hostOf(ip);
      assert.equal(host.executions, 5);
      assert.equal(host.os.version, "5.10.0-1038-aws");
      assert.equal(host.os.kernel, "5.10.0-1038-aws");
      assert.equal(host.process_count, 3);
      assert.equal(host.session_count, 2);
      assert.equal(host.sessions_known, true);
      assert.equal(host.cpu_usage_percent, 12.5);
      report = await t.read(`/api/v1/reports/${host.last_report_id}`);
      assert.deepEqual(
        report.errors.map((e: any) => e.collector),
        ["memory"],
      );

      // Each execution changed one part: the timeline shows the history of the calls.
      const reports = await t.read(`/api/v1/hosts/${host.id}/reports?sort=collected_at`);
      assert.deepEqual(
        reports.items.map((e: any) => [e.process_count, e.session_count, e.sessions_known]),
        [
          [0, 0, false],
          [0, 0, false],
          [0, 2, true],
          [3, 2, true],
          [3, 2, true],
        ],
      );
      // CPU use is a measurement: known only in the execution of the cpu call.
      assert.deepEqual(
        reports.items.map((e: any) => e.cpu_usage_percent),
        [0, 0, 0, 0, 12.5],
      );
      assert.ok(reports.items[3].errors.some((e: any) => e.collector === "cpu"));
      const diff = await t.read(
        `/api/v1/hosts/${host.id}/diff?from=${reports.items[2].report_id}&to=${reports.items[3].report_id}`,
      );
      assert.deepEqual(
        diff.processes.started.map((p: any) => p.pid),
        [1, 123, 4500],
      );
    });

    test("the parts arriving in any order give the same host", async () => {
      const orders = [
        [0, 1, 2, 3, 4],
        [4, 3, 2, 1, 0],
        [2, 4, 0, 3, 1],
      ];
      const states = [];
      for (const [n, order] of orders.entries()) {
        const ip = `10.3.0.${n + 1}`;
        for (const i of order) {
          const [url, file] = PARTS[i]!;
          const r = await send(url, partFor(file, ip));
          assert.ok(r.statusCode === 200 || r.statusCode === 201, r.body);
        }
        states.push(await stateOf(ip));
      }
      assert.deepEqual(states[1], states[0]);
      assert.deepEqual(states[2], states[0]);
      assert.deepEqual(states[0]!.sessions, { known: true, users: ["ana", "root"] });
      assert.equal(states[0]!.os.name, "Linux");
      assert.equal(states[0]!.os.version, "5.10.0-1038-aws");
    });

    test("POST /hosts is an upsert by ip that changes only the fields sent", async () => {
      const ip = "10.3.1.1";
      for (const [url, file] of PARTS) await send(url, partFor(file, ip));
      const before = await stateOf(ip);
      t.clock.ms += 2000;
      const r = await send("/hosts", { ip, so_version: "6.1.0-18-amd64" });
      t.clock.ms -= 2000;
      assert.equal(r.statusCode, 200);
      const after = await stateOf(ip);
      assert.deepEqual(after, {
        ...before,
        os: { ...before.os, version: "6.1.0-18-amd64", kernel: "6.1.0-18-amd64" },
      });
      const host = await t.hostOf(ip);
      const diff = await t.read(`/api/v1/hosts/${host.id}/diff`);
      assert.deepEqual(diff.facts.map((f: any) => f.field).sort(), ["os.kernel", "os.version"]);
      assert.deepEqual(diff.processes.started, []);
      assert.deepEqual(diff.sessions, { known: true, opened: [], closed: [] });

      // With no field to change, nothing is stored; a new address is a new host.
      const executions = host.executions;
      const none = await send("/hosts", { ip });
      assert.equal(none.statusCode, 200);
      assert.equal((await t.hostOf(ip)).executions, executions);
      const fresh = await send("/hosts", { ip: "10.3.1.2" });
      assert.equal(fresh.statusCode, 200);
      assert.deepEqual(
        { ...(fresh.json() as object), uuid: undefined },
        { uuid: undefined, ip: "10.3.1.2", so_name: null, so_version: null },
      );
      assert.equal((await t.hostOf("10.3.1.2")).executions, 0);
    });

    test("a part resent within the same second is stored once", async () => {
      const ip = "10.3.2.1";
      await send("/processes", partFor("003-processes.json", ip));
      await send("/processes", partFor("003-processes.json", ip));
      assert.equal((await t.hostOf(ip)).executions, 1);
      const users = partFor("003-users.json", ip);
      users.users = [{ name: "root" }, null, ""];
      const r = await send("/users", users);
      assert.equal(r.statusCode, 201, r.body);
      assert.deepEqual(
        r.json().users.map((u: any) => u.name),
        ["root"],
      );
      assert.equal((await t.hostOf(ip)).executions, 2);
    });

    test("concurrent parts of one host are applied one after the other", async () => {
      const ip = "10.3.3.1";
      const rs = await Promise.all(PARTS.map(([url, file]) => send(url, partFor(file, ip))));
      for (const r of rs) assert.ok(r.statusCode < 300, r.body);
      const state = await stateOf(ip);
      assert.equal(state.processes.length, 3);
      assert.deepEqual(state.sessions, { known: true, users: ["ana", "root"] });
      assert.equal(state.os.version, "5.10.0-1038-aws");
      assert.equal(state.hostname, "ip-172-31-5-20");
    });
  });
}
