import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Report } from "@compliance/contract";
import { ENGINES } from "./helpers/databases.ts";
import { makeProcess, makeReport } from "./helpers/reports.ts";
import { storedReport, storeFixture } from "./helpers/store.ts";

// Agents spool what they could not deliver, so reports older than the retention cut-off
// arrive after a prune. They are placed among the kept executions, and everything kept or
// late rebuilds exactly.

const HOUR = 3600_000;
const T0 = Date.parse("2026-11-01T00:00:00Z");

for (const engine of ENGINES) {
  describe(`retention, then late reports, on ${engine}`, () => {
    const fixture = storeFixture(engine);

    test("a lifetime begun in a pruned execution is placed right for reports older than the cut", async () => {
      const { hostId } = await fixture.store.enrollHost({
        identifier: "late-host",
        hostname: "late-host",
        nodeKeyHash: "late-host",
        source: "agent",
      });
      const at = (hours: number, withDaemon: boolean): Report =>
        makeReport({
          identifier: "late-host",
          collected_at: new Date(T0 + hours * HOUR).toISOString(),
          processes: [
            makeProcess({ pid: 1, name: "systemd" }),
            ...(withDaemon ? [makeProcess({ pid: 50, name: "daemon" })] : []),
          ],
        });
      const kept = [at(20, true), at(40, true)];
      for (const r of kept) await fixture.store.ingest(hostId, r, T0 + 41 * HOUR);
      const pruned = await fixture.store.prune(T0 + 30 * HOUR);
      assert.equal(pruned.executions, 1);

      const late = [at(10, false), at(30, false), at(15, true)];
      for (const r of late) await fixture.store.ingest(hostId, r, T0 + 42 * HOUR);
      for (const r of [kept[1]!, ...late]) {
        const stored = await storedReport(fixture.store, r.report_id);
        assert.deepEqual(stored?.report, r, `the report collected at ${r.collected_at}`);
      }
    });
  });
}
