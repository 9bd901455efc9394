// Check-ins per second on PostgreSQL with two API processes, each report in a transaction
// of its own (COMPLIANCE_DB_WRITE_BATCH=1, the default) and with shared commits
// (COMPLIANCE_DB_WRITE_BATCH=32), against SQLite with one process, in the same run. Then a burst:
// BENCH_BURST check-ins sent at once to the two PostgreSQL processes, each refused one sent
// again after its Retry-After: how long until all are stored, and how they were answered.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "../packages/api/test/helpers/databases.ts";
import { makeReport } from "../packages/api/test/helpers/reports.ts";
import { type ApiProcess, startApiProcess } from "./support/api-process.ts";
import { fmt, table } from "./support/harness.ts";
import { enroll, type LoadResult, postReports } from "./support/load.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const BURST = Number(process.env.BENCH_BURST ?? 1000);

/** Settings of every API process here: no rate limit stands between the load and ingest. */
const QUIET = { COMPLIANCE_RATE_LIMIT_REPORTS: "0", COMPLIANCE_RATE_LIMIT_ENROLL: "0" };

async function withProcesses<T>(
  env: Record<string, string>,
  count: number,
  run: (apis: ApiProcess[]) => Promise<T>,
): Promise<T> {
  const apis: ApiProcess[] = [];
  try {
    for (let i = 0; i < count; i++) apis.push(await startApiProcess({ ...QUIET, ...env }));
    return await run(apis);
  } finally {
    for (const api of apis) await api.stop();
  }
}

/** Unchanged 300-process check-ins over CONNECTIONS connections shared by the processes. */
async function sustained(apis: ApiProcess[], tag: string): Promise<LoadResult> {
  const results = await Promise.all(
    apis.map((api, i) =>
      postReports({
        base: api.url,
        path: "/api/v1/reports",
        tag: `${tag}-${i}`,
        connections: CONNECTIONS / apis.length,
        seconds: SECONDS,
      }),
    ),
  );
  return {
    rps: results.reduce((a, r) => a + r.rps, 0),
    p50: Math.max(...results.map((r) => r.p50)),
    p99: Math.max(...results.map((r) => r.p99)),
    failed: results.reduce((a, r) => a + r.failed, 0),
  };
}

interface BurstResult {
  seconds: number;
  answers: Map<string, number>;
  stored: number;
}

/** BURST hosts check in at once, alternating processes; refused ones retry after Retry-After. */
async function burst(apis: ApiProcess[], tag: string): Promise<BurstResult> {
  const keys: string[] = [];
  for (let h = 0; h < BURST; h += 50) {
    const batch = Array.from({ length: Math.min(50, BURST - h) }, (_, i) =>
      enroll(apis[(h + i) % apis.length]!.url, `${tag}-${h + i}`),
    );
    keys.push(...(await Promise.all(batch)));
  }
  const answers = new Map<string, number>();
  let stored = 0;
  const t0 = performance.now();
  await Promise.all(
    keys.map(async (key, h) => {
      const body = JSON.stringify(makeReport({ identifier: `${tag}-${h}` }));
      for (let attempt = 1; attempt <= 100; attempt++) {
        const r = await fetch(`${apis[h % apis.length]!.url}/api/v1/reports`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
          body,
        });
        const json = (await r.json()) as { error?: { code?: string } };
        const label = `${r.status}${json.error?.code ? ` ${json.error.code}` : ""}`;
        answers.set(label, (answers.get(label) ?? 0) + 1);
        if (r.status < 300) {
          stored++;
          return;
        }
        if (r.status !== 503 && r.status !== 429) return;
        await new Promise((done) => setTimeout(done, Number(r.headers.get("retry-after")) * 1000));
      }
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, answers, stored };
}

const rows: (string | number)[][] = [];
const bursts: (string | number)[][] = [];
const dir = mkdtempSync(join(tmpdir(), "compliance-bench-pg-burst-"));
const database = await createTestDatabase("postgres");
try {
  const sqlite = await withProcesses({ DATABASE_URL: `sqlite:${join(dir, "bench.db")}` }, 1, (a) =>
    sustained(a, "sqlite"),
  );
  const pg = { DATABASE_URL: database.url };
  const alone = await withProcesses({ ...pg, COMPLIANCE_DB_WRITE_BATCH: "1" }, 2, async (a) => {
    const load = await sustained(a, "alone");
    bursts.push(burstRow("a transaction per report", await burst(a, "burst-alone")));
    return load;
  });
  const shared = await withProcesses({ ...pg, COMPLIANCE_DB_WRITE_BATCH: "32" }, 2, async (a) => {
    const load = await sustained(a, "shared");
    bursts.push(burstRow("shared commits", await burst(a, "burst-shared")));
    return load;
  });
  const row = (engine: string, writer: string, r: LoadResult) => [
    engine,
    writer,
    fmt(r.rps, 0),
    fmt(r.p99),
    r.failed,
    `${fmt(r.rps / sqlite.rps, 2)}×`,
  ];
  rows.push(row("sqlite", "1 process, group commit", sqlite));
  rows.push(row("postgres", "2 processes, a transaction per report", alone));
  rows.push(row("postgres", "2 processes, shared commits", shared));
  rows.push([
    "postgres",
    "shared vs a transaction per report",
    `${fmt(shared.rps / alone.rps, 2)}×`,
  ]);
} finally {
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
}

function burstRow(writer: string, r: BurstResult): (string | number)[] {
  const answers = [...r.answers].map(([k, n]) => `${k}: ${n}`).join(", ");
  return [writer, fmt(r.seconds), `${r.stored}/${BURST}`, answers];
}

console.log(
  `\n### Check-ins per second: unchanged 300-process reports, ${CONNECTIONS} connections, ${SECONDS} s\n`,
);
console.log(table(["engine", "writer", "reports/s", "p99 ms", "failed", "vs sqlite"], rows));
console.log(`\n### A burst of ${BURST} check-ins at once on 2 PostgreSQL processes\n`);
console.log(table(["writer", "seconds to store all", "stored", "answers"], bursts));
