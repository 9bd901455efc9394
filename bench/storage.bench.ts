// Storage: bytes of database growth per check-in of a 300-process host with 0, 5 and 50
// processes changed, against a plain full-copy table of the same rows written in the same
// run and the same database.

import { openDatabase } from "../packages/api/src/store/database.ts";
import { openStore } from "../packages/api/src/store/sql-store.ts";
import { createTestDatabase, type TestEngine } from "../packages/api/test/helpers/databases.ts";
import { bytesUsed } from "./support/bytes.ts";
import { ChurningHost } from "./support/churn.ts";
import { createFullCopyTable, insertFullCopy } from "./support/full-copy.ts";
import { fmt, table } from "./support/harness.ts";

const CHECK_INS = Number(process.env.BENCH_CHECK_INS ?? 300);
const engines = (process.env.BENCH_ENGINES ?? "sqlite,postgres,mysql").split(",") as TestEngine[];

const OURS = [
  "executions",
  "process_spans",
  "session_spans",
  "host_facts",
  "host_state",
  "hosts",
  "host_addresses",
];

async function run(engine: TestEngine) {
  const database = await createTestDatabase(engine);
  const store = openStore({ url: database.url });
  const inspect = openDatabase(database.url, { poolSize: 2 });
  const db = inspect.db;
  try {
    await store.migrate();
    await createFullCopyTable(db, engine, "full_copy");
    const rows: (string | number)[][] = [];
    for (const changed of [0, 5, 50]) {
      const host = new ChurningHost(
        `storage-${changed}`,
        300,
        Date.parse("2026-01-01T00:00:00Z"),
        changed + 7,
      );
      const { hostId } = await store.enrollHost({
        identifier: host.identifier,
        hostname: host.identifier,
        nodeKeyHash: host.identifier,
        source: "agent",
      });
      const copy = (r: ReturnType<ChurningHost["next"]>) =>
        insertFullCopy(db, engine, "full_copy", r.report_id, r.processes);
      // Warm up: the first check-in of a host stores everything in both layouts.
      const first = host.next(0);
      await store.ingest(hostId, first, Date.now());
      await copy(first);
      const ours0 = await bytesUsed(db, engine, OURS);
      const copy0 = await bytesUsed(db, engine, ["full_copy"]);
      for (let i = 0; i < CHECK_INS; i++) {
        const r = host.next(changed);
        await store.ingest(hostId, r, Date.now());
        await copy(r);
      }
      const ours = ((await bytesUsed(db, engine, OURS)) - ours0) / CHECK_INS;
      const full = ((await bytesUsed(db, engine, ["full_copy"])) - copy0) / CHECK_INS;
      rows.push([engine, changed, fmt(ours, 0), fmt(full, 0), `${fmt(full / ours, 0)}×`]);
    }
    return rows;
  } finally {
    await inspect.close();
    await store.close();
    await database.drop();
  }
}

const rows: (string | number)[][] = [];
for (const engine of engines) rows.push(...(await run(engine)));
console.log(
  `\n### Storage per check-in: 300 processes, 10 % of them busy (CPU and RSS moving), ${CHECK_INS} check-ins per row\n`,
);
console.log(
  table(
    [
      "engine",
      "processes changed",
      "ours bytes/check-in",
      "full copy bytes/check-in",
      "full copy / ours",
    ],
    rows,
  ),
);
