import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Report } from "@compliance/contract";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { ENGINES } from "./helpers/databases.ts";
import { makeProcess, makeReport, makeSession } from "./helpers/reports.ts";

/**
 * Three hosts with known answers:
 *   web-1 (10.0.0.1, Debian 12, Xeon):  08:00 nginx+sshd, ana     09:00 nginx+sshd, (no sessions)
 *   web-2 (10.0.0.2, Debian 12, Xeon):  08:30 nginx+postgres, bob  09:30 postgres, bob
 *   db-1  (10.0.0.3, Ubuntu 24.04, EPYC): 08:15 postgres+sshd, ana, root
 */
const at = (h: number, m = 0) =>
  `2026-11-20T${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:00Z`;
const p = {
  nginx: makeProcess({ pid: 900, name: "nginx", user: "www-data" }),
  sshd: makeProcess({ pid: 812, name: "sshd" }),
  postgres: makeProcess({ pid: 1000, name: "postgres", user: "postgres" }),
};
const ana = makeSession({ user: "ana", terminal: "pts/0", started_at: "2026-11-20T07:55:00Z" });
const bob = makeSession({ user: "bob", terminal: "pts/1", started_at: "2026-11-20T08:20:00Z" });
const root = makeSession({ user: "root", terminal: "tty1", started_at: "2026-11-20T08:00:00Z" });

function host(
  identifier: string,
  ip: string,
  os: [string, string],
  cpu: string,
  collected: string,
  usage: number,
) {
  return (processes: Report["processes"], sessions: Report["sessions"]) => {
    const r = makeReport({ identifier, collected_at: collected, processes, sessions });
    r.host = { identifier, hostname: identifier, primary_ip: ip, ip_addresses: [ip] };
    r.os = { ...r.os, name: os[0], version: os[1] };
    r.cpu = { ...r.cpu, model: cpu, usage_percent: usage };
    return r;
  };
}

for (const engine of ENGINES) {
  describe(`fleet queries on ${engine}`, () => {
    let t: TestApp;
    let clock = Date.parse("2026-11-21T00:00:00Z");
    const ids: Record<string, number> = {};
    const reports: Report[] = [];
    before(async () => {
      t = await startTestApp(engine, { now: () => clock });
      const debian: [string, string] = ["Debian GNU/Linux", "12 (bookworm)"];
      const plan: [string, string, [string, string], string, Report[]][] = [
        [
          "web-1",
          "10.0.0.1",
          debian,
          "Intel Xeon",
          [
            host("web-1", "10.0.0.1", debian, "Intel Xeon", at(8), 10)([p.nginx, p.sshd], [ana]),
            host("web-1", "10.0.0.1", debian, "Intel Xeon", at(9), 20)([p.nginx, p.sshd], []),
          ],
        ],
        [
          "web-2",
          "10.0.0.2",
          debian,
          "Intel Xeon",
          [
            host(
              "web-2",
              "10.0.0.2",
              debian,
              "Intel Xeon",
              at(8, 30),
              30,
            )([p.nginx, p.postgres], [bob]),
            host("web-2", "10.0.0.2", debian, "Intel Xeon", at(9, 30), 40)([p.postgres], [bob]),
          ],
        ],
        [
          "db-1",
          "10.0.0.3",
          ["Ubuntu", "24.04"],
          "AMD EPYC",
          [
            host(
              "db-1",
              "10.0.0.3",
              ["Ubuntu", "24.04"],
              "AMD EPYC",
              at(8, 15),
              50,
            )([p.postgres, p.sshd], [ana, root]),
          ],
        ],
      ];
      for (const [name, , , , list] of plan) {
        const { nodeKey, hostId } = await t.enroll(name);
        ids[name] = hostId;
        for (const r of list) {
          clock += 1000;
          await t.store201(nodeKey, r);
          reports.push(r);
        }
      }
      clock += 60_000;
    });
    after(() => t?.close());

    const hostnames = (items: { hostname: string }[]) => items.map((h) => h.hostname).sort();

    test("host list: search by name, IP, OS, CPU, running process and logged-in user", async () => {
      assert.deepEqual(hostnames((await t.read("/api/v1/hosts?q=web")).items), ["web-1", "web-2"]);
      assert.deepEqual(hostnames((await t.read("/api/v1/hosts?ip=10.0.0.3")).items), ["db-1"]);
      assert.deepEqual(hostnames((await t.read("/api/v1/hosts?os=ubuntu")).items), ["db-1"]);
      assert.deepEqual(hostnames((await t.read("/api/v1/hosts?cpu=xeon")).items), [
        "web-1",
        "web-2",
      ]);
      assert.deepEqual(hostnames((await t.read("/api/v1/hosts?process=nginx")).items), ["web-1"]);
      assert.deepEqual(hostnames((await t.read("/api/v1/hosts?user=bob")).items), ["web-2"]);
      assert.deepEqual(hostnames((await t.read("/api/v1/hosts?q=postgres")).items), [
        "db-1",
        "web-2",
      ]);
      const sorted = await t.read("/api/v1/hosts?sort=-cpu_usage_percent&limit=2");
      assert.deepEqual(
        sorted.items.map((h: { hostname: string }) => h.hostname),
        ["db-1", "web-2"],
      );
      assert.equal(sorted.total, 3);
      assert.equal((await t.get("/api/v1/hosts?sort=nonsense")).statusCode, 400);
      assert.equal((await t.get("/api/v1/hosts?limit=5000")).statusCode, 400);
    });

    test("hosts running a process, now and at a time, by name or glob", async () => {
      const now = await t.read("/api/v1/search/processes?name=nginx");
      assert.deepEqual(hostnames(now.items), ["web-1"]);
      assert.equal(now.items[0].processes[0].pid, 900);
      const then = await t.read(`/api/v1/search/processes?name=nginx&at=${at(8, 45)}`);
      assert.deepEqual(hostnames(then.items), ["web-1", "web-2"]);
      const glob = await t.read("/api/v1/search/processes?name=POST*");
      assert.deepEqual(hostnames(glob.items), ["db-1", "web-2"]);
      assert.equal(glob.total, 2);
      const early = await t.read(`/api/v1/search/processes?name=*&at=${at(8, 10)}`);
      assert.deepEqual(hostnames(early.items), ["web-1"], "only web-1 had reported by 08:10");
    });

    test("where a user has or had a session", async () => {
      const open = await t.read("/api/v1/search/sessions?user=ana&open=true");
      assert.deepEqual(hostnames(open.items), ["db-1"]);
      const ever = await t.read("/api/v1/search/sessions?user=ana");
      assert.deepEqual(hostnames(ever.items), ["db-1", "web-1"]);
      const closed = ever.items.find((s: { hostname: string }) => s.hostname === "web-1");
      assert.equal(closed.open, false);
      assert.equal(closed.first_seen_at, new Date(at(8)).toISOString());
      assert.equal(closed.last_seen_at, new Date(at(8)).toISOString());
      const window = await t.read(`/api/v1/search/sessions?user=*&from=${at(9)}&to=${at(10)}`);
      assert.deepEqual(hostnames(window.items), ["db-1", "db-1", "web-2"]);
    });

    test("the CPU series, fleet-wide and per host", async () => {
      const all = await t.read("/api/v1/cpus?sort=collected_at");
      assert.deepEqual(
        all.items.map((x: { cpu_usage_percent: number }) => x.cpu_usage_percent),
        [10, 50, 30, 20, 40],
      );
      const one = await t.read(`/api/v1/cpus?host_id=${ids["web-2"]}`);
      assert.deepEqual(
        one.items.map((x: { cpu_usage_percent: number }) => x.cpu_usage_percent),
        [40, 30],
      );
    });

    test("the five inventory tables, as JSON and CSV", async () => {
      const users = await t.read(`/api/v1/inventory/users?host_id=${ids["db-1"]}`);
      assert.deepEqual(
        users.items.map((r: { user: string }) => r.user),
        ["ana", "root"],
      );
      assert.equal(users.items[0].report_id, reports[4]!.report_id);
      const platforms = await t.read("/api/v1/inventory/platforms");
      assert.deepEqual(
        platforms.items.map((r: { hostname: string; os_name: string; cpu_model: string }) => [
          r.hostname,
          r.os_name,
          r.cpu_model,
        ]),
        [
          ["db-1", "Ubuntu", "AMD EPYC"],
          ["web-1", "Debian GNU/Linux", "Intel Xeon"],
          ["web-2", "Debian GNU/Linux", "Intel Xeon"],
        ],
      );
      const procs = await t.read(`/api/v1/inventory/processes?report_id=${reports[2]!.report_id}`);
      assert.deepEqual(
        procs.items.map((r: { name: string }) => r.name),
        ["nginx", "postgres"],
      );
      const counts = await t.read(`/api/v1/inventory/process-counts?host_id=${ids["web-2"]}`);
      assert.deepEqual(
        counts.items.map((r: { process_count: number }) => r.process_count),
        [1, 2],
      );
      const userCounts = await t.read(`/api/v1/inventory/user-counts?host_id=${ids["web-1"]}`);
      assert.deepEqual(
        userCounts.items.map((r: { user_count: number; session_count: number }) => [
          r.session_count,
          r.user_count,
        ]),
        [
          [0, 0],
          [1, 1],
        ],
      );
      const csv = await t.get(
        `/api/v1/inventory/process-counts?host_id=${ids["web-2"]}&format=csv`,
      );
      assert.equal(csv.statusCode, 200);
      assert.match(csv.headers["content-type"] as string, /text\/csv/);
      const lines = csv.body.trim().split("\r\n");
      assert.equal(lines[0], "host_id,hostname,ip,report_id,collected_at,process_count");
      assert.equal(lines.length, 3);
      assert.ok(lines[1]!.endsWith(`,${at(9, 30)},1`));
      const viaAccept = await t.app.inject({
        method: "GET",
        url: "/api/v1/inventory/platforms",
        headers: { ...t.admin, accept: "text/csv" },
      });
      assert.match(viaAccept.body, /^host_id,hostname,ip,os_name/);
      assert.equal((await t.get("/api/v1/inventory/nothing")).statusCode, 400);
    });

    test("the change feed hands out each change once, in order, then an empty page", async () => {
      const first = await t.read("/api/v1/changes?since=0&limit=3");
      assert.equal(first.items.length, 3);
      assert.equal(first.has_more, true);
      assert.equal(first.items[0].first, true);
      const rest = await t.read(`/api/v1/changes?since=${first.next_cursor}`);
      // web-1's 09:00 check-in changed its sessions (ana left); web-2's 09:30 ended nginx.
      const all = [...first.items, ...rest.items];
      assert.equal(all.length, 5);
      const web2 = all.filter((c: { hostname: string }) => c.hostname === "web-2");
      assert.deepEqual(
        web2[1].processes.ended.map((x: { name: string }) => x.name),
        ["nginx"],
      );
      const web1 = all.filter((c: { hostname: string }) => c.hostname === "web-1");
      assert.deepEqual(web1[1].sessions.closed, [ana]);
      const empty = await t.read(`/api/v1/changes?since=${rest.next_cursor}`);
      assert.deepEqual(empty.items, []);
      assert.equal(empty.next_cursor, rest.next_cursor);
    });

    test("the fleet summary", async () => {
      const s = await t.read("/api/v1/summary");
      assert.deepEqual(s.hosts, { total: 3, online: 3, offline: 0, never_reported: 0 });
      assert.equal(s.processes, 2 + 1 + 2);
      assert.equal(s.sessions, 0 + 1 + 2);
      assert.equal(s.executions, 5);
      assert.deepEqual(s.os[0], { name: "Debian GNU/Linux", version: "12 (bookworm)", hosts: 2 });
      assert.equal(s.recently_changed[0].hostname, "web-2");
      clock += 3600_000;
      const later = await t.read("/api/v1/summary");
      assert.deepEqual(later.hosts, { total: 3, online: 0, offline: 3, never_reported: 0 });
      clock -= 3600_000;
    });
  });
}
