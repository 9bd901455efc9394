import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Report } from "@compliance/contract";
import { makeProcess, makeReport } from "./helpers/reports.ts";
import { storedReport, storeFixture } from "./helpers/store.ts";

/**
 * On SQLite, reports that arrive together share one commit. A report that fails inside a
 * shared commit must roll back alone: the others are stored, it leaves nothing behind.
 */
describe("group commit on SQLite", () => {
  const fixture = storeFixture("sqlite");

  test("concurrent reports are each stored once; failing ones roll back alone", async () => {
    const hosts: number[] = [];
    for (let h = 0; h < 4; h++) {
      hosts.push(
        (
          await fixture.store.enrollHost({
            identifier: `g${h}`,
            hostname: `g${h}`,
            nodeKeyHash: `g${h}`,
            source: "agent",
          })
        ).hostId,
      );
    }
    const reports: { hostId: number; report: Report }[] = [];
    for (let i = 0; i < 40; i++) {
      const h = i % 4;
      reports.push({
        hostId: hosts[h]!,
        report: makeReport({
          identifier: `g${h}`,
          collected_at: new Date(Date.UTC(2026, 10, 1, 0, i)).toISOString(),
          processes: [
            makeProcess({ pid: 1, name: "init" }),
            makeProcess({ pid: 1000 + i, name: `job${i}` }),
          ],
        }),
      });
    }
    // A report id already taken by another host, and a conditional write that must fail:
    // both arrive in the middle of the others.
    const stolen = makeReport({
      identifier: "g1",
      report_id: reports[0]!.report.report_id,
      processes: [makeProcess({ pid: 7, name: "thief" })],
    });
    const conditional = makeReport({
      identifier: "g2",
      processes: [makeProcess({ pid: 8, name: "never" })],
    });
    const results = await Promise.allSettled([
      ...reports.slice(0, 20).map((r) => fixture.store.ingest(r.hostId, r.report, 1)),
      fixture.store.ingest(hosts[1]!, stolen, 1),
      fixture.store.ingest(hosts[2]!, conditional, 1, {
        expectLatestReportId: "00000000-0000-4000-8000-000000000000",
      }),
      ...reports.slice(20).map((r) => fixture.store.ingest(r.hostId, r.report, 1)),
    ]);
    const failures = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    assert.equal(failures.length, 2);
    assert.ok(failures.some((f) => (f.reason as { code?: string }).code === "report_id_taken"));
    assert.ok(failures.some((f) => (f.reason as { code?: string }).code === "latest_changed"));
    for (const r of reports)
      assert.deepEqual((await storedReport(fixture.store, r.report.report_id))?.report, r.report);
    assert.equal(await storedReport(fixture.store, conditional.report_id), null);
    const thief = await fixture.db
      .selectFrom("process_spans")
      .select("id")
      .where("name", "in", ["thief", "never"])
      .execute();
    assert.deepEqual(thief, [], "nothing of the failed reports is left behind");
    for (const id of hosts) assert.equal((await fixture.store.getHost(id))?.executions, 10);
  });
});
