// API ingest: reports of 300 processes posted over HTTP by concurrent clients for a fixed
// time, against the same server answering the same POST (validated, not stored): the
// framework's own ceiling, measured in the same run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, startApiServer, table } from "./support/harness.ts";
import { postReports } from "./support/load.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

const dir = mkdtempSync(join(tmpdir(), "compliance-bench-api-"));
const server = await startApiServer(`sqlite:${join(dir, "bench.db")}`);
const base = `http://127.0.0.1:${server.port}`;
try {
  const rows: (string | number)[][] = [];
  for (const [label, changed] of [
    ["unchanged check-ins", 0],
    ["5 processes replaced each", 5],
  ] as const) {
    const common = { base, connections: CONNECTIONS, seconds: SECONDS, changed };
    const noop = await postReports({ ...common, path: "/bench/noop", tag: `noop-${changed}` });
    const stored = await postReports({
      ...common,
      path: "/api/v1/reports",
      tag: `stored-${changed}`,
    });
    rows.push([
      label,
      "validate only (ceiling)",
      fmt(noop.rps, 0),
      fmt(noop.p50),
      fmt(noop.p99),
      noop.failed,
    ]);
    rows.push([
      label,
      "validate + store (SQLite)",
      fmt(stored.rps, 0),
      fmt(stored.p50),
      fmt(stored.p99),
      stored.failed,
    ]);
    rows.push([label, "**stored / ceiling**", fmt(stored.rps / noop.rps, 2), "", "", ""]);
  }
  console.log(
    `\n### API ingest over HTTP: 300-process reports, ${CONNECTIONS} connections, ${SECONDS} s each\n`,
  );
  console.log(table(["check-ins", "server", "reports/s", "p50 ms", "p99 ms", "failed"], rows));
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
