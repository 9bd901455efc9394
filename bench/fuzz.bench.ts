// The API fuzzed from its OpenAPI document for a long run on SQLite, PostgreSQL and
// MariaDB (the suite of packages/api/test/fuzz.test.ts, many more cases, several in flight):
// how the answers split between 2xx, 4xx and 5xx, and how fast the API answers broken
// input next to the same number of valid GET /health requests sent the same way in the
// same process. Failures are printed grouped; the test is what fails on them.
import type { TestEngine } from "../packages/api/test/helpers/databases.ts";
import {
  type FuzzTarget,
  formatFailures,
  integrityProblems,
  runFuzz,
  startFuzzTarget,
} from "../packages/api/test/helpers/fuzz.ts";
import { fmt, table } from "./support/harness.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_130);
const CASES = Number(process.env.FUZZ_CASES ?? 15_000);
const CONCURRENCY = Number(process.env.BENCH_CONNECTIONS ?? 4);
const engines = (process.env.BENCH_ENGINES ?? "sqlite,postgres,mysql").split(",") as TestEngine[];

/** `count` valid GET /health requests, `CONCURRENCY` in flight; resolves requests per second. */
async function healthRate(target: FuzzTarget, count: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next++ < count) {
      const r = await target.send({ method: "GET", url: "/health", headers: {} });
      if (r.status !== 200) throw new Error(`GET /health answered ${r.status}: ${r.body}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return (count / (performance.now() - t0)) * 1000;
}

const rows: (string | number)[][] = [];
const reports: string[] = [];
for (const engine of engines) {
  const target = await startFuzzTarget(engine);
  try {
    const baseline = await healthRate(target, CASES);
    const summary = await runFuzz(target, {
      seed: SEED,
      cases: CASES,
      concurrency: CONCURRENCY,
      longArray: 20_001,
    });
    const problems = await integrityProblems(target, SEED);
    const rate = (summary.cases / summary.ms) * 1000;
    const c = summary.byClass;
    rows.push([
      engine,
      summary.cases,
      c["2xx"],
      c["4xx"],
      c["5xx"],
      c.none,
      fmt(summary.ms / 1000),
      fmt(rate, 0),
      fmt(baseline, 0),
      fmt(rate / baseline, 2),
      summary.failures.length,
      problems.length === 0 ? "ok" : "BROKEN",
    ]);
    if (summary.failures.length > 0) reports.push(formatFailures(engine, summary));
    if (problems.length > 0)
      reports.push(`after the run on ${engine}:\n  ${problems.join("\n  ")}`);
    const unreached = [...summary.coverage].filter(([, v]) => v.ok === 0).map(([k]) => k);
    if (unreached.length > 0) {
      reports.push(`${engine}: operations that never answered 2xx: ${unreached.join(", ")}`);
    }
  } finally {
    await target.close();
  }
}
console.log(
  `\n### Fuzzing the API from its OpenAPI document: seed ${SEED}, ${CASES} cases per engine, ` +
    `${CONCURRENCY} in flight\n`,
);
console.log(
  table(
    [
      "engine",
      "cases",
      "2xx",
      "4xx",
      "5xx",
      "no answer",
      "s",
      "requests/s",
      "GET /health/s",
      "**fuzz / health**",
      "kinds of failure",
      "afterwards",
    ],
    rows,
  ),
);
for (const r of reports) console.log(`\n${r}`);
