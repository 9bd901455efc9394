import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Report } from "@compliance/contract";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { ENGINES } from "./helpers/databases.ts";
import { makeProcess, makeReport, makeSession } from "./helpers/reports.ts";

/**
 * One host, four check-ins with known changes, the third arriving last (out of order).
 *   10:00 systemd, sshd, nginx            sessions: ana
 *   11:00 systemd, sshd, postgres         sessions: ana, bob      (+postgres, -nginx, +bob)
 *   12:00 postgres renamed; OS 12.5       sessions: bob           (changed postgres, -ana, OS)
 *   13:00 + cron; sessions unreadable                             (+cron, sessions unknown)
 */
const at = (h: number, m = 0) =>
  `2026-11-20T${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:00Z`;
const systemd = makeProcess({ pid: 1, ppid: 0, name: "systemd", cmdline: "/sbin/init" });
const sshd = makeProcess({ pid: 812, name: "sshd", cmdline: "/usr/sbin/sshd -D" });
const nginx = makeProcess({ pid: 900, name: "nginx", user: "www-data" });
const postgres = makeProcess({
  pid: 1000,
  name: "postgres",
  user: "postgres",
  started_at: "2026-11-20T10:30:00Z",
});
const checkpointer = { ...postgres, name: "postgres: checkpointer" };
const cron = makeProcess({ pid: 1200, name: "cron" });
const ana = makeSession({ user: "ana", terminal: "pts/0" });
const bob = makeSession({ user: "bob", terminal: "pts/1", remote_host: "10.0.0.5" });

function sequence(identifier: string): Report[] {
  const base = { identifier };
  const e1 = makeReport({
    ...base,
    collected_at: at(10),
    processes: [systemd, sshd, nginx],
    sessions: [ana],
  });
  const e2 = makeReport({
    ...base,
    collected_at: at(11),
    processes: [systemd, sshd, postgres],
    sessions: [ana, bob],
  });
  const e3 = makeReport({
    ...base,
    collected_at: at(12),
    processes: [systemd, sshd, checkpointer],
    sessions: [bob],
  });
  e3.os = { ...e3.os, version: "12.5" };
  const e4 = makeReport({
    ...base,
    collected_at: at(13),
    processes: [systemd, sshd, checkpointer, cron],
    sessions: [],
    errors: [{ collector: "sessions", message: "no utmp at /run/utmp" }],
  });
  e4.os = { ...e4.os, version: "12.5" };
  return [e1, e2, e3, e4];
}

const names = (list: { name: string }[]) => list.map((p) => p.name).sort();

for (const engine of ENGINES) {
  describe(`history endpoints on ${engine}`, () => {
    let t: TestApp;
    let hostId: number;
    let e: Report[];
    before(async () => {
      t = await startTestApp(engine);
      e = sequence("hist-1");
      const enrolled = await t.enroll("hist-1");
      hostId = enrolled.hostId;
      for (const i of [0, 1, 3, 2]) await t.store201(enrolled.nodeKey, e[i]!);
    });
    after(() => t?.close());

    test("processes now, at a time, and at a report", async () => {
      const now = await t.read(`/api/v1/hosts/${hostId}/processes`);
      assert.equal(now.report_id, e[3]!.report_id);
      assert.deepEqual(names(now.items), ["cron", "postgres: checkpointer", "sshd", "systemd"]);
      const at1130 = await t.read(`/api/v1/hosts/${hostId}/processes?at=${at(11, 30)}`);
      assert.equal(at1130.report_id, e[1]!.report_id);
      assert.deepEqual(at1130.items, e[1]!.processes);
      const exact = await t.read(`/api/v1/hosts/${hostId}/processes?at=${at(12)}`);
      assert.equal(
        exact.report_id,
        e[2]!.report_id,
        "a time equal to collected_at picks that execution",
      );
      const byReport = await t.read(`/api/v1/hosts/${hostId}/processes?report=${e[0]!.report_id}`);
      assert.deepEqual(byReport.items, e[0]!.processes);
      assert.equal((await t.get(`/api/v1/hosts/${hostId}/processes?at=${at(9)}`)).statusCode, 404);
      assert.equal((await t.get(`/api/v1/hosts/${hostId}/processes?at=yesterday`)).statusCode, 400);
    });

    test("process lists search, sort and page", async () => {
      const q = await t.read(`/api/v1/hosts/${hostId}/processes?q=postgres`);
      assert.deepEqual(names(q.items), ["postgres: checkpointer"]);
      const sorted = await t.read(`/api/v1/hosts/${hostId}/processes?sort=-pid&limit=2&offset=1`);
      assert.deepEqual(
        sorted.items.map((p: { pid: number }) => p.pid),
        [1000, 812],
      );
      assert.equal(sorted.total, 4);
      assert.equal((await t.get(`/api/v1/hosts/${hostId}/processes?sort=color`)).statusCode, 400);
    });

    test("sessions: who was logged in, and unknown when the agent could not read them", async () => {
      const then = await t.read(`/api/v1/hosts/${hostId}/sessions?at=${at(11, 1)}`);
      assert.equal(then.known, true);
      assert.deepEqual(
        then.items.map((s: { user: string }) => s.user),
        ["ana", "bob"],
      );
      const now = await t.read(`/api/v1/hosts/${hostId}/sessions`);
      assert.equal(now.known, false);
      assert.match(now.reason, /utmp/);
      assert.deepEqual(now.items, []);
    });

    test("diff between any two executions", async () => {
      const d12 = await t.read(
        `/api/v1/hosts/${hostId}/diff?from=${e[0]!.report_id}&to=${e[1]!.report_id}`,
      );
      assert.deepEqual(names(d12.processes.started), ["postgres"]);
      assert.deepEqual(names(d12.processes.ended), ["nginx"]);
      assert.deepEqual(d12.processes.changed, []);
      assert.deepEqual(d12.sessions, { known: true, opened: [bob], closed: [] });
      assert.deepEqual(d12.facts, []);

      const d23 = await t.read(
        `/api/v1/hosts/${hostId}/diff?from=${e[1]!.report_id}&to=${e[2]!.report_id}`,
      );
      assert.deepEqual(d23.processes.started, []);
      assert.deepEqual(d23.processes.ended, []);
      assert.deepEqual(d23.processes.changed, [{ before: postgres, after: checkpointer }]);
      assert.deepEqual(d23.sessions.closed, [ana]);
      assert.deepEqual(d23.facts, [
        { field: "os.version", before: "12 (bookworm)", after: "12.5" },
      ]);

      // Backwards works too, and the default is "the latest against the one before it".
      const back = await t.read(
        `/api/v1/hosts/${hostId}/diff?from=${e[2]!.report_id}&to=${e[0]!.report_id}`,
      );
      assert.deepEqual(names(back.processes.started), ["nginx"]);
      assert.deepEqual(names(back.processes.ended), ["postgres: checkpointer"]);
      const latest = await t.read(`/api/v1/hosts/${hostId}/diff`);
      assert.equal(latest.from.report_id, e[2]!.report_id);
      assert.equal(latest.to.report_id, e[3]!.report_id);
      assert.deepEqual(names(latest.processes.started), ["cron"]);
      assert.deepEqual(latest.sessions, { known: false, opened: [], closed: [] });
      assert.equal((await t.get(`/api/v1/hosts/${hostId}/diff?from=not-a-uuid`)).statusCode, 400);
    });

    test("timeline: counts and changes per execution, in time order, with a time range", async () => {
      const tl = await t.read(`/api/v1/hosts/${hostId}/reports?sort=collected_at`);
      assert.deepEqual(
        tl.items.map((x: { report_id: string }) => x.report_id),
        e.map((r) => r.report_id),
      );
      assert.deepEqual(
        tl.items.map((x: { process_count: number; session_count: number }) => [
          x.process_count,
          x.session_count,
        ]),
        [
          [3, 1],
          [3, 2],
          [3, 1],
          [4, 0],
        ],
      );
      assert.equal(tl.items[0].changes, null);
      assert.deepEqual(tl.items[1].changes, {
        processes_started: 1,
        processes_ended: 1,
        sessions_opened: 1,
        sessions_closed: 0,
        facts_changed: 0,
      });
      // The 12:00 report arrived last: its successor's counts were recomputed against it.
      assert.deepEqual(tl.items[2].changes, {
        processes_started: 1,
        processes_ended: 1,
        sessions_opened: 0,
        sessions_closed: 1,
        facts_changed: 1,
      });
      assert.deepEqual(tl.items[3].changes, {
        processes_started: 1,
        processes_ended: 0,
        sessions_opened: 0,
        sessions_closed: 0,
        facts_changed: 0,
      });
      assert.equal(tl.items[3].sessions_known, false);
      const ranged = await t.read(
        `/api/v1/hosts/${hostId}/reports?from=${at(10, 30)}&to=${at(12)}`,
      );
      assert.deepEqual(
        ranged.items.map((x: { report_id: string }) => x.report_id),
        [e[2]!.report_id, e[1]!.report_id],
      );
      assert.equal(ranged.total, 2);
      const paged = await t.read(`/api/v1/hosts/${hostId}/reports?limit=1&offset=1`);
      assert.equal(paged.items[0].report_id, e[2]!.report_id);
      assert.equal(paged.total, 4);
    });

    test("the host shows its latest facts and last change", async () => {
      const host = await t.read(`/api/v1/hosts/${hostId}`);
      assert.equal(host.last_report_id, e[3]!.report_id);
      assert.equal(host.os.version, "12.5");
      assert.equal(host.executions, 4);
      assert.equal(host.sessions_known, false);
      assert.equal(host.first_seen_at, new Date(at(10)).toISOString());
      assert.equal(host.last_seen_at, new Date(at(13)).toISOString());
      assert.equal(host.last_changed_at, new Date(at(13)).toISOString());
    });
  });
}
