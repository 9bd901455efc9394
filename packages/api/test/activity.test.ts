import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ActivityItem, PageOf } from "@compliance/contract";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { ENGINES } from "./helpers/databases.ts";
import { makeProcess, makeReport, makeSession } from "./helpers/reports.ts";

/**
 * web-1 reports at 05:00 (bob logged in), 08:00, 10:30 and 13:33 (root logged in from
 * 10.0.0.9), 15:00 (nobody). nginx runs throughout; a backup job runs at 10:30 only.
 * db-1 reports at 10:00 with root logged in on its console.
 */
const at = (h: number, m = 0) =>
  `2026-11-20T${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:00.000Z`;
const nginx = makeProcess({ pid: 900, name: "nginx", user: "www-data" });
const backup = makeProcess({ pid: 4100, name: "backup", user: "root", cmdline: "backup --all" });
const bob = makeSession({ user: "bob", terminal: "pts/1", started_at: "2026-11-20T04:50:00Z" });
const root = makeSession({
  user: "root",
  terminal: "pts/0",
  remote_host: "10.0.0.9",
  started_at: "2026-11-20T10:29:00Z",
});
const console1 = makeSession({ user: "root", terminal: "tty1" });

for (const engine of ENGINES) {
  describe(`activity within a window on ${engine}`, () => {
    let t: TestApp;
    let clock = Date.parse("2026-11-21T00:00:00Z");
    let web = 0;
    const reportIds: string[] = [];
    before(async () => {
      t = await startTestApp(engine, { now: () => clock });
      const plan: [string, string, unknown[], unknown[]][] = [
        ["web-1", at(5), [nginx], [bob]],
        ["web-1", at(8), [nginx], []],
        ["web-1", at(10, 30), [nginx, backup], [root]],
        ["web-1", at(13, 33), [nginx], [root]],
        ["web-1", at(15), [nginx], []],
        ["db-1", at(10), [nginx], [console1]],
      ];
      const keys = new Map<string, string>();
      for (const [name, collected, processes, sessions] of plan) {
        if (!keys.has(name)) {
          const { nodeKey, hostId } = await t.enroll(name);
          keys.set(name, nodeKey);
          if (name === "web-1") web = hostId;
        }
        const report = makeReport({
          identifier: name,
          collected_at: collected,
          processes: processes as never,
          sessions: sessions as never,
        });
        report.host = { ...report.host, hostname: name };
        clock += 1000;
        reportIds.push(report.report_id);
        await t.store201(keys.get(name)!, report);
      }
      clock += 60_000;
    });
    after(() => t?.close());

    const read = (url: string) => t.read<PageOf<ActivityItem>>(url);

    test("a session that opened and closed between the window's ends is listed", async () => {
      const window = `from=${at(9)}&to=${at(16)}`;
      // The diff of the window's ends (08:00 and 15:00) does not see it.
      const diff = await t.read(
        `/api/v1/hosts/${web}/diff?from=${reportIds[1]}&to=${reportIds[4]}`,
      );
      assert.equal(diff.sessions.opened.length + diff.sessions.closed.length, 0);
      const page = await read(`/api/v1/hosts/${web}/activity?${window}&kind=session`);
      assert.equal(page.total, 1);
      const [session] = page.items;
      assert.deepEqual(session, {
        kind: "session",
        host_id: web,
        hostname: "web-1",
        name: "root",
        user: "root",
        terminal: "pts/0",
        remote_host: "10.0.0.9",
        started_at: "2026-11-20T10:29:00Z",
        first_seen_at: at(10, 30),
        last_seen_at: at(13, 33),
        gone_at: at(15),
        started: true,
        ended: true,
      });
    });

    test("a lifetime wholly outside the window is not", async () => {
      const page = await read(`/api/v1/hosts/${web}/activity?from=${at(9)}&to=${at(16)}`);
      const names = page.items.map((i) => `${i.kind}:${i.name}`).sort();
      assert.deepEqual(names, ["process:backup", "process:nginx", "session:root"]);
      const early = await read(`/api/v1/hosts/${web}/activity?from=${at(4)}&to=${at(6)}`);
      assert.deepEqual(early.items.map((i) => i.name).sort(), ["bob", "nginx"]);
    });

    test("only what started or ended, processes with their command line", async () => {
      const page = await read(
        `/api/v1/hosts/${web}/activity?from=${at(9)}&to=${at(16)}&changed=true&kind=process`,
      );
      assert.equal(page.total, 1);
      assert.equal(page.items[0]!.cmdline, "backup --all");
      assert.equal(page.items[0]!.pid, 4100);
    });

    test("fleet-wide, by user, newest first, paged", async () => {
      const all = await read(`/api/v1/activity?from=${at(0)}&to=${at(23)}&user=root&kind=session`);
      assert.deepEqual(
        all.items.map((i) => [i.hostname, i.first_seen_at]),
        [
          ["web-1", at(10, 30)],
          ["db-1", at(10)],
        ],
      );
      assert.equal(all.items[1]!.last_seen_at, null, "db-1's console session is still open");
      const second = await read(`/api/v1/activity?from=${at(0)}&user=root&limit=1&offset=1`);
      assert.equal(second.total, 3, "two sessions of root and the backup process it ran");
      assert.equal(second.items.length, 1);
      const remote = await read(`/api/v1/activity?from=${at(0)}&remote=10.0.0.*`);
      assert.deepEqual(
        remote.items.map((i) => [i.hostname, i.terminal]),
        [["web-1", "pts/0"]],
      );
      const oneHost = await read(`/api/v1/activity?from=${at(0)}&host_id=${web}&name=nginx`);
      assert.equal(oneHost.total, 1);
    });

    test("errors: unknown host, reversed window, missing start", async () => {
      assert.equal((await t.get(`/api/v1/hosts/99999/activity?from=${at(9)}`)).statusCode, 404);
      assert.equal((await t.get(`/api/v1/activity?from=${at(9)}&to=${at(8)}`)).statusCode, 400);
      assert.equal((await t.get("/api/v1/activity")).statusCode, 400);
      const spec = await t.read("/openapi.json");
      assert.ok(spec.paths["/api/v1/hosts/{id}/activity"].get);
      assert.ok(spec.paths["/api/v1/activity"].get);
    });
  });
}
