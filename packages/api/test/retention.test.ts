import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Report } from "@compliance/contract";
import { ENGINES } from "./helpers/databases.ts";
import { makeProcess, makeReport, makeSession } from "./helpers/reports.ts";
import { storedReport, storeFixture } from "./helpers/store.ts";

/** Twelve check-ins with churn; pruning the older half must not change the newer half. */
function reports(identifier: string): Report[] {
  const out: Report[] = [];
  for (let i = 0; i < 12; i++) {
    const processes = [makeProcess({ pid: 1, name: "init" })];
    for (let k = 0; k < 5; k++) {
      const pid = 100 + ((i + k) % 9);
      processes.push(
        makeProcess({ pid, name: `w${pid}`, cpu_percent: (i * k) % 7, rss_bytes: 4096 * (i + k) }),
      );
    }
    const sessions = i % 3 === 0 ? [] : [makeSession({ user: `u${i % 2}`, terminal: "pts/0" })];
    out.push(
      makeReport({
        identifier,
        collected_at: new Date(Date.UTC(2026, 10, 1, i)).toISOString(),
        processes,
        sessions,
      }),
    );
  }
  return out;
}

for (const engine of ENGINES) {
  describe(`retention on ${engine}`, () => {
    const fixture = storeFixture(engine);

    test("pruning keeps what the kept executions rebuild to, and each host's latest", async () => {
      const busy = reports("busy");
      const quiet = reports("quiet").slice(0, 2); // stopped reporting long ago
      for (const [identifier, list] of [
        ["busy", busy],
        ["quiet", quiet],
      ] as const) {
        const { hostId } = await fixture.store.enrollHost({
          identifier,
          hostname: identifier,
          nodeKeyHash: identifier,
          source: "agent",
        });
        for (const r of list) await fixture.store.ingest(hostId, r, Date.now());
      }
      const spansBefore = await fixture.db
        .selectFrom("process_spans")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      const result = await fixture.store.prune(Date.UTC(2026, 10, 1, 6));
      assert.equal(result.executions, 6 + 1, "six of busy and the older one of quiet");
      assert.ok(result.processSpans > 0, "lifetimes that only covered pruned executions are gone");
      const spansAfter = await fixture.db
        .selectFrom("process_spans")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      assert.equal(Number(spansBefore.n) - Number(spansAfter.n), result.processSpans);

      for (const r of busy.slice(6))
        assert.deepEqual((await storedReport(fixture.store, r.report_id))?.report, r);
      for (const r of busy.slice(0, 6))
        assert.equal(await storedReport(fixture.store, r.report_id), null);
      assert.deepEqual(
        (await storedReport(fixture.store, quiet[1]!.report_id))?.report,
        quiet[1],
        "a silent host keeps its latest",
      );
      assert.equal(await storedReport(fixture.store, quiet[0]!.report_id), null);

      const busyHost = (await fixture.store.listHosts({ q: "busy" }, { limit: 10, offset: 0 }))
        .items[0]!;
      assert.equal(busyHost.executions, 6);
      assert.equal(busyHost.first_seen_at, new Date(Date.UTC(2026, 10, 1, 6)).toISOString());
      const timeline = await fixture.store.listExecutions(
        busyHost.id,
        {},
        { limit: 100, offset: 0, sort: "collected_at" },
      );
      assert.equal(
        timeline.items[0]!.changes,
        null,
        "the oldest kept execution has no predecessor",
      );

      // New reports after pruning still build on the kept history, also one older than all kept.
      const late = makeReport({
        identifier: "busy",
        collected_at: new Date(Date.UTC(2026, 10, 1, 5, 30)).toISOString(),
        processes: busy[6]!.processes.slice(0, 3),
        sessions: [],
      });
      await fixture.store.ingest(busyHost.id, late, Date.now());
      assert.deepEqual((await storedReport(fixture.store, late.report_id))?.report, late);
      for (const r of busy.slice(6))
        assert.deepEqual((await storedReport(fixture.store, r.report_id))?.report, r);
      // Pruning again with nothing old enough does nothing.
      assert.equal((await fixture.store.prune(Date.UTC(2026, 10, 1, 0))).executions, 0);
    });

    test("the bodies older agents sent go with the executions made of them", async () => {
      const list = reports("legacy-host");
      const { hostId } = await fixture.store.enrollHost({
        identifier: "legacy-host",
        hostname: "legacy-host",
        nodeKeyHash: "legacy-host",
        source: "agent",
      });
      for (const r of list) {
        await fixture.store.ingest(hostId, r, Date.now());
        await fixture.store.saveLegacyRequest({
          hostId,
          seed: "000",
          kind: "report",
          reportId: r.report_id,
          ip: "192.0.2.7",
          receivedAt: Date.parse(r.collected_at),
          itemCount: 0,
          body: JSON.stringify({ sent: r.collected_at }),
        });
      }
      // Executions of this host only before hour 4 (the test above pruned the others' before hour 6).
      const result = await fixture.store.prune(Date.UTC(2026, 10, 1, 4));
      assert.equal(result.legacyRequests, 4);
      for (const [i, r] of list.entries()) {
        const body = await fixture.store.legacyRequestOf(r.report_id);
        assert.equal(body !== null, i >= 4, `the body of check-in ${i}`);
      }
    });
  });
}
