// Ingest of 300-process reports on SQLite, PostgreSQL and MariaDB, with one and with two
// API processes, next to the raw insert floor: the same 300 rows per report bulk-inserted
// directly (one transaction per report, the engine's best bulk statement, the same
// concurrency), in the same run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../packages/api/src/store/database.ts";
import { createTestDatabase, type TestEngine } from "../packages/api/test/helpers/databases.ts";
import { reportWithProcesses } from "../packages/api/test/helpers/reports.ts";
import { createFullCopyTable, insertFullCopy } from "./support/full-copy.ts";
import { fmt, startApiServer, table } from "./support/harness.ts";
import { postReports } from "./support/load.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const engines = (process.env.BENCH_ENGINES ?? "sqlite,postgres,mysql").split(",") as TestEngine[];

/** The floor: the same rows written by the leanest possible code, `seconds` long. */
async function rawFloor(url: string, engine: TestEngine): Promise<number> {
  const handle = openDatabase(url, { poolSize: CONNECTIONS });
  const db = handle.db;
  await createFullCopyTable(db, engine, "raw_processes");
  const report = reportWithProcesses(300, { identifier: "floor" });
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const id = `${n++}`.padStart(36, "0");
      await db
        .transaction()
        .execute((trx) => insertFullCopy(trx, engine, "raw_processes", id, report.processes));
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: engine === "sqlite" ? 1 : CONNECTIONS }, worker));
  const rate = (n / (performance.now() - t0)) * 1000;
  await handle.close();
  return rate;
}

const rows: (string | number)[][] = [];
for (const engine of engines) {
  const database = await createTestDatabase(engine);
  const dir = mkdtempSync(join(tmpdir(), "compliance-bench-engines-"));
  const url = engine === "sqlite" ? `sqlite:${join(dir, "bench.db")}` : database.url;
  try {
    const floor = await rawFloor(url, engine);
    const one = await startApiServer(url);
    const single = await postReports({
      base: `http://127.0.0.1:${one.port}`,
      path: "/api/v1/reports",
      tag: "one",
      connections: CONNECTIONS,
      seconds: SECONDS,
    });
    let dual: { rps: number; failed: number; p99: number } | null = null;
    if (engine !== "sqlite") {
      const two = await startApiServer(url);
      const [a, b] = await Promise.all(
        [one, two].map((s, i) =>
          postReports({
            base: `http://127.0.0.1:${s.port}`,
            path: "/api/v1/reports",
            tag: `two-${i}`,
            connections: CONNECTIONS / 2,
            seconds: SECONDS,
          }),
        ),
      );
      dual = { rps: a!.rps + b!.rps, failed: a!.failed + b!.failed, p99: Math.max(a!.p99, b!.p99) };
      await two.stop();
    }
    await one.stop();
    rows.push([engine, "raw insert floor (300 rows, no API)", fmt(floor, 0), "", "", ""]);
    rows.push([
      engine,
      "1 API process",
      fmt(single.rps, 0),
      fmt(single.p99),
      single.failed,
      `${fmt(single.rps / floor, 2)}×`,
    ]);
    if (dual)
      rows.push([
        engine,
        "2 API processes",
        fmt(dual.rps, 0),
        fmt(dual.p99),
        dual.failed,
        `${fmt(dual.rps / floor, 2)}×`,
      ]);
    else
      rows.push([
        engine,
        "2 API processes",
        "—",
        "",
        "",
        "SQLite is one writer: run one API process",
      ]);
  } finally {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(
  `\n### Ingest by engine: unchanged 300-process check-ins over HTTP, ${CONNECTIONS} connections, ${SECONDS} s\n`,
);
console.log(table(["engine", "writer", "reports/s", "p99 ms", "failed", "vs floor"], rows));
