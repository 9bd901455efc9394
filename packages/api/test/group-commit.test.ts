import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Report } from "@compliance/contract";
import { openStore } from "../src/store/sql-store.ts";
import type { Store } from "../src/store/store.ts";
import { createTestDatabase, ENGINES, type TestDatabase } from "./helpers/databases.ts";
import { makeProcess, makeReport } from "./helpers/reports.ts";
import { storedReport, storeFixture } from "./helpers/store.ts";

/** Reports per shared commit: SQLite's default; PostgreSQL and MySQL share them when told. */
const SHARED = { writeBatch: 32 };

/**
 * Reports that arrive together share one commit (SQLite: one fsync; PostgreSQL, MySQL: one
 * transaction, with COMPLIANCE_DB_WRITE_BATCH above 1). A report that fails inside a shared
 * commit must roll back alone: the others are stored, it leaves nothing behind.
 */
for (const engine of ENGINES)
  describe(`group commit on ${engine}`, () => {
    const fixture = storeFixture(engine, SHARED);

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

    test("the commits are shared", async () => {
      const sizes: number[] = [];
      fixture.store.observeCommits((size) => sizes.push(size));
      const { hostId } = await fixture.store.enrollHost({
        identifier: "shared",
        hostname: "shared",
        nodeKeyHash: "shared",
        source: "agent",
      });
      const reports = Array.from({ length: 20 }, (_, i) =>
        makeReport({
          identifier: "shared",
          collected_at: new Date(Date.UTC(2026, 10, 2, 0, i)).toISOString(),
        }),
      );
      await Promise.all(reports.map((r) => fixture.store.ingest(hostId, r, 1)));
      assert.equal(
        sizes.reduce((a, b) => a + b, 0),
        20,
      );
      assert.ok(sizes.length < 20, `fewer commits than reports: ${sizes.join(",")}`);
      assert.equal((await fixture.store.getHost(hostId))?.executions, 20);
    });
  });

/**
 * Two API processes batching at once on one database: each batch locks its hosts' rows in
 * host order, so opposite arrival orders never deadlock for good, and a report_id sent for
 * two hosts through the two stores at once (a unique key taken meanwhile, tried again) is
 * stored once and refused once as taken.
 */
for (const engine of ENGINES.filter((e) => e !== "sqlite"))
  describe(`two stores batching on one ${engine} database`, () => {
    let database: TestDatabase;
    const stores: Store[] = [];
    before(async () => {
      database = await createTestDatabase(engine);
      for (let i = 0; i < 2; i++)
        stores.push(openStore({ url: database.url, poolSize: 4, ...SHARED }));
      await stores[0]!.migrate();
    });
    after(async () => {
      for (const s of stores) await s.close();
      await database?.drop();
    });

    test("the same hosts in opposite orders: every report stored once", async () => {
      const HOSTS = 12;
      const hosts: number[] = [];
      for (let h = 0; h < HOSTS; h++) {
        const enrolled = await stores[0]!.enrollHost({
          identifier: `x${h}`,
          hostname: `x${h}`,
          nodeKeyHash: `x${h}`,
          source: "agent",
        });
        hosts.push(enrolled.hostId);
      }
      const sends: { store: Store; hostId: number; report: Report }[] = [];
      for (let round = 0; round < 4; round++) {
        for (let s = 0; s < 2; s++) {
          const order = s === 0 ? hosts : [...hosts].reverse();
          for (const hostId of order) {
            const h = hosts.indexOf(hostId);
            sends.push({
              store: stores[s]!,
              hostId,
              report: makeReport({
                identifier: `x${h}`,
                collected_at: new Date(Date.UTC(2026, 10, 3, round, s, h)).toISOString(),
                processes: [
                  makeProcess({ pid: 1, name: "init" }),
                  makeProcess({ pid: 10 + round }),
                ],
              }),
            });
          }
        }
      }
      const shared = makeReport({ identifier: "x0" });
      const results = await Promise.allSettled([
        ...sends.map((x) => x.store.ingest(x.hostId, x.report, 1)),
        stores[0]!.ingest(hosts[0]!, shared, 1),
        stores[1]!.ingest(hosts[1]!, { ...shared, host: { ...shared.host, identifier: "x1" } }, 1),
      ]);
      const refused = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
      assert.deepEqual(
        refused.map((r) => (r.reason as { code?: string }).code),
        ["report_id_taken"],
        refused.map((r) => String(r.reason)).join("; "),
      );
      for (const [i, id] of hosts.entries()) {
        const extra = i < 2 ? 1 : 0;
        const executions = (await stores[1]!.getHost(id))?.executions ?? 0;
        assert.ok(executions === 8 || executions === 8 + extra, `x${i}: ${executions}`);
      }
      const stored = await storedReport(stores[0]!, shared.report_id);
      assert.ok(stored && hosts.slice(0, 2).includes(stored.hostId));
      for (const x of sends)
        assert.deepEqual((await storedReport(stores[1]!, x.report.report_id))?.report, x.report);
    });
  });
