import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { type DeltaReport, makeDelta, type Report } from "@compliance/contract";
import { reportDigest } from "@compliance/contract/digest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { ENGINES } from "./helpers/databases.ts";
import { makeProcess, makeReport, reportWithProcesses } from "./helpers/reports.ts";

/** The next check-in of `report`'s host: a new id, five minutes later, then `change`. */
function nextOf(report: Report, change: (r: Report) => void = () => {}): Report {
  const r = structuredClone(report);
  r.report_id = crypto.randomUUID();
  r.collected_at = new Date(Date.parse(report.collected_at) + 300_000).toISOString();
  change(r);
  return r;
}

const deltaOf = (from: Report, to: Report): DeltaReport =>
  makeDelta(from, to, from.report_id, reportDigest(to));

for (const engine of ENGINES) {
  describe(`delta check-ins over HTTP on ${engine}`, () => {
    let t: TestApp;
    let key: string;
    let first: Report;
    before(async () => {
      t = await startTestApp(engine);
      key = (await t.enroll("delta-host")).nodeKey;
      first = reportWithProcesses(300, {
        identifier: "delta-host",
        collected_at: new Date(Date.now() - 3600_000).toISOString(),
      });
      await t.store201(key, first);
    });
    after(() => t?.close());

    const sendDelta = (body: unknown, nodeKey = key, gzip = false) =>
      t.app.inject({
        method: "POST",
        url: "/api/v1/reports/delta",
        headers: {
          authorization: `Bearer ${nodeKey}`,
          "content-type": "application/json",
          ...(gzip ? { "content-encoding": "gzip" } : {}),
        },
        payload: gzip ? gzipSync(JSON.stringify(body)) : JSON.stringify(body),
      });

    test("an unchanged check-in is under 1 KB, gzip or not, and stores the whole report", async () => {
      const second = nextOf(first);
      const delta = deltaOf(first, second);
      assert.ok(JSON.stringify(delta).length < 1024, `${JSON.stringify(delta).length} bytes`);
      const r = await sendDelta(delta, key, true);
      assert.equal(r.statusCode, 201, r.body);
      assert.equal(r.json().report_id, second.report_id);
      assert.deepEqual(await t.read(`/api/v1/reports/${second.report_id}`), second);
      // Sent again (its answer was lost): the first answer, nothing stored twice.
      const again = await sendDelta(delta);
      assert.equal(again.statusCode, 201);
      assert.equal(again.headers["idempotent-replayed"], "true");
      first = second;
    });

    test("processes replaced and values moved: the execution is the one a whole report makes", async () => {
      const third = nextOf(first, (r) => {
        r.processes.splice(10, 5);
        r.processes.push(
          ...[1, 2, 3, 4, 5].map((i) => makeProcess({ pid: 5000 + i, name: `new-${i}` })),
        );
        r.processes[0]!.cpu_percent = 42.5;
        r.processes[1]!.rss_bytes = 123_456_789;
        r.memory.available_bytes = 1_000_000;
      });
      const delta = deltaOf(first, third);
      assert.ok(JSON.stringify(delta).length < 3 * 1024, `${JSON.stringify(delta).length} bytes`);
      const r = await sendDelta(delta);
      assert.equal(r.statusCode, 201, r.body);
      assert.deepEqual(await t.read(`/api/v1/reports/${third.report_id}`), third);
      const hostId = r.json().host_id;
      const [latest] = (await t.read(`/api/v1/hosts/${hostId}/reports?limit=1`)).items;
      assert.equal(latest.report_id, third.report_id);
      assert.equal(latest.changes.processes_started, 5);
      assert.equal(latest.changes.processes_ended, 5);
      first = third;
    });

    test("a base the API does not hold for this host: 409 delta_base_unknown", async () => {
      const other = await t.enroll("other-host");
      const theirs = makeReport({ identifier: "other-host" });
      await t.store201(other.nodeKey, theirs);
      // Another host's report is no base for this one, even though it exists.
      const mine = nextOf(first);
      const r = await sendDelta({ ...deltaOf(first, mine), base_report_id: theirs.report_id });
      assert.equal(r.statusCode, 409);
      assert.equal(r.json().error.code, "delta_base_unknown");
      assert.match(r.json().error.message, /body\/base_report_id/);
      const unknown = await sendDelta({
        ...deltaOf(first, mine),
        base_report_id: crypto.randomUUID(),
      });
      assert.equal(unknown.statusCode, 409);
      assert.equal((await t.get(`/api/v1/reports/${mine.report_id}`)).statusCode, 404);
    });

    test("a delta that does not fit its base, or whose digest differs: 409 delta_mismatch, nothing stored", async () => {
      const mine = nextOf(first, (r) => {
        r.processes[3]!.cpu_percent = 7;
      });
      const wrongDigest = await sendDelta({ ...deltaOf(first, mine), digest: "f".repeat(64) });
      assert.equal(wrongDigest.statusCode, 409);
      assert.equal(wrongDigest.json().error.code, "delta_mismatch");
      assert.match(wrongDigest.json().error.message, /body\/digest/);
      const past = await sendDelta({
        ...deltaOf(first, mine),
        lists: { processes: { removed: [first.processes.length] } },
      });
      assert.equal(past.statusCode, 409);
      assert.match(past.json().error.message, /body\/lists\/processes\/removed\/0/);
      assert.equal((await t.get(`/api/v1/reports/${mine.report_id}`)).statusCode, 404);
    });

    test("bad input is a 400 naming the field, in the delta or in the report it gives", async () => {
      const mine = nextOf(first);
      const badDigest = await sendDelta({ ...deltaOf(first, mine), digest: "xyz" });
      assert.equal(badDigest.statusCode, 400);
      assert.match(badDigest.json().error.message, /digest/);
      // A delta that gives, digest and all, a report the contract refuses.
      const lots = nextOf(first, (r) => {
        (r.processes[1] as unknown as { cpu_percent: string }).cpu_percent = "lots";
      });
      const badValue = await sendDelta(deltaOf(first, lots));
      assert.equal(badValue.statusCode, 400, badValue.body);
      assert.equal(badValue.json().error.details[0].path, "report/processes/1/cpu_percent");
      const samePid = nextOf(first, (r) => {
        r.processes[1]!.pid = first.processes[0]!.pid;
      });
      const twice = await sendDelta(deltaOf(first, samePid));
      assert.equal(twice.statusCode, 400);
      assert.match(twice.json().error.message, /report\/processes\/1\/pid/);
      // The same change with the digest of another report: 409, it goes whole.
      const unsure = await sendDelta({
        ...deltaOf(first, lots),
        digest: deltaOf(first, mine).digest,
      });
      assert.equal(unsure.statusCode, 409);
      const nul = await sendDelta({
        ...deltaOf(first, mine),
        lists: { processes: { changed: [{ i: 1, set: { cmdline: "a\u0000b" } }] } },
      });
      assert.equal(nul.statusCode, 400, nul.body);
      assert.equal(nul.json().error.details[0].path, "body/lists/processes/changed/0/set/cmdline");
      const elsewhere = nextOf(first, (r) => {
        r.host.identifier = "someone-else";
      });
      const stranger = await sendDelta(deltaOf(first, elsewhere));
      assert.equal(stranger.statusCode, 403);
      assert.equal(stranger.json().error.code, "host_mismatch");
      const noKey = await sendDelta(deltaOf(first, mine), "not-a-key");
      assert.equal(noKey.statusCode, 401);
    });
  });
}
