import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { HOST_CSV_COLUMNS } from "@compliance/contract";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { ENGINES } from "./helpers/databases.ts";
import { makeReport, makeSession } from "./helpers/reports.ts";

/**
 * Four hosts:
 *   alpha (Debian): two open sessions
 *   beta  (Debian): sessions unknown (the collector failed: no utmp)
 *   gamma (Ubuntu): one open session
 *   delta: enrolled, never reported
 */
const UNKNOWN_SESSIONS = [{ collector: "sessions", message: "no utmp file" }];

function reportOf(identifier: string, os: string, sessions: number, unknown = false) {
  const r = makeReport({
    identifier,
    collected_at: "2026-11-20T08:00:00Z",
    sessions: Array.from({ length: sessions }, (_, i) =>
      makeSession({ user: `u${i}`, terminal: `pts/${i}` }),
    ),
    ...(unknown ? { errors: UNKNOWN_SESSIONS } : {}),
  });
  r.host = { ...r.host, identifier, hostname: identifier };
  r.os = { ...r.os, name: os };
  return r;
}

for (const engine of ENGINES) {
  describe(`the host list as CSV, and unknown sessions, on ${engine}`, () => {
    let t: TestApp;
    const clock = Date.parse("2026-11-20T08:01:00Z");
    const ids: Record<string, number> = {};
    before(async () => {
      t = await startTestApp(engine, { now: () => clock });
      const plan: [string, string, number, boolean][] = [
        ["alpha", "Debian GNU/Linux", 2, false],
        ["beta", "Debian GNU/Linux", 0, true],
        ["gamma", "Ubuntu", 1, false],
      ];
      for (const [name, os, sessions, unknown] of plan) {
        const { nodeKey, hostId } = await t.enroll(name);
        ids[name] = hostId;
        await t.store201(nodeKey, reportOf(name, os, sessions, unknown));
      }
      ids.delta = (await t.enroll("delta")).hostId;
    });
    after(() => t?.close());

    test("format=csv answers every matching host, in the order asked, whatever the page", async () => {
      const r = await t.get("/api/v1/hosts?os=Debian&sort=-hostname&limit=1&offset=1&format=csv");
      assert.equal(r.statusCode, 200);
      assert.match(r.headers["content-type"] as string, /^text\/csv/);
      assert.match(r.headers["content-disposition"] as string, /filename="hosts\.csv"/);
      assert.equal(r.headers["x-total-count"], "2");
      const [header, ...rows] = r.body.trimEnd().split("\r\n");
      assert.equal(header, HOST_CSV_COLUMNS.join(","));
      const cells = rows.map((line) =>
        Object.fromEntries(HOST_CSV_COLUMNS.map((c, i) => [c, line.split(",")[i]])),
      );
      assert.deepEqual(
        cells.map((c) => [c.id, c.hostname, c.os_name, c.session_count]),
        [
          [String(ids.beta), "beta", "Debian GNU/Linux", ""],
          [String(ids.alpha), "alpha", "Debian GNU/Linux", "2"],
        ],
        "beta's unknown session count is an empty cell, not 0",
      );
      assert.equal(cells[1]?.process_count, "3");
      assert.equal(cells[1]?.online, "true");
      assert.equal(cells[1]?.last_seen_at, "2026-11-20T08:00:00.000Z");
    });

    test("Accept: text/csv asks for it too; the JSON list stays one page", async () => {
      const csv = await t.app.inject({
        method: "GET",
        url: "/api/v1/hosts?sort=hostname",
        headers: { ...t.admin, accept: "text/csv" },
      });
      assert.equal(csv.statusCode, 200);
      const names = csv.body
        .trimEnd()
        .split("\r\n")
        .slice(1)
        .map((l) => l.split(",")[2]);
      assert.deepEqual(names, ["alpha", "beta", "delta", "gamma"]);
      const delta = csv.body.split("\r\n").find((l) => l.split(",")[2] === "delta") as string;
      const row = Object.fromEntries(HOST_CSV_COLUMNS.map((c, i) => [c, delta.split(",")[i]]));
      assert.deepEqual(
        [row.process_count, row.session_count, row.cpu_usage_percent, row.last_seen_at],
        ["", "", "", ""],
        "a host that never reported has no counts, not zeros",
      );
      const json = await t.read("/api/v1/hosts?limit=1");
      assert.equal(json.items.length, 1);
      assert.equal(json.total, 4);
    });

    test("a format the list does not know is a 400 naming the field", async () => {
      const r = await t.get("/api/v1/hosts?format=xml");
      assert.equal(r.statusCode, 400);
      assert.match(r.body, /querystring\/format/);
    });

    test("the fleet summary counts the hosts whose sessions are unknown, not as 0", async () => {
      const s = await t.read("/api/v1/summary");
      assert.equal(s.sessions, 2 + 1);
      assert.equal(s.sessions_unknown, 1, "beta; delta never reported and counts nowhere");
      const beta = await t.read(`/api/v1/hosts/${ids.beta}`);
      assert.equal(beta.sessions_known, false);
      const alpha = await t.read(`/api/v1/hosts/${ids.alpha}`);
      assert.equal(alpha.sessions_known, true);
    });
  });
}
