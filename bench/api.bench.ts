// API ingest: reports of 300 processes posted over HTTP by concurrent clients for a fixed
// time, against the same server answering the same POST (validated, not stored): the
// framework's own ceiling, measured in the same run.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { reportWithProcesses } from "../packages/api/test/helpers/reports.ts";
import { fmt, startApiServer, table } from "./support/harness.ts";
import { BENCH_SECRET } from "./support/secrets.ts";

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

/** Bodies for one host: the same 300 processes every time, or 5 of them new each time. */
function bodies(identifier: string, changed: number) {
  const base = reportWithProcesses(300, { identifier });
  const steady = base.processes.slice(0, 300 - changed);
  let n = 0;
  let t = Date.parse("2026-01-01T00:00:00Z");
  return () => {
    n++;
    t += 60_000;
    const fresh = Array.from({ length: changed }, (_, k) => ({
      ...base.processes[300 - changed + k]!,
      pid: 100_000 + n * changed + k,
    }));
    return JSON.stringify({
      ...base,
      report_id: randomUUID(),
      collected_at: new Date(t).toISOString(),
      processes: changed > 0 ? [...steady, ...fresh] : steady,
    });
  };
}

async function enroll(port: number, identifier: string): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/api/v1/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      enroll_secret: BENCH_SECRET,
      host_identifier: identifier,
      hostname: identifier,
    }),
  });
  return ((await r.json()) as { node_key: string }).node_key;
}

async function load(port: number, path: string, changed: number, tag: string) {
  const keys: string[] = [];
  for (let i = 0; i < CONNECTIONS; i++) keys.push(await enroll(port, `${tag}-${i}`));
  const makers = keys.map((_, i) => bodies(`${tag}-${i}`, changed));
  let next = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [
      {
        method: "POST",
        path,
        setupRequest: (req: Record<string, unknown>, context: Record<string, number>) => {
          context.client ??= next++ % CONNECTIONS;
          const i = context.client;
          return {
            ...req,
            headers: { "content-type": "application/json", authorization: `Bearer ${keys[i]}` },
            body: makers[i]!(),
          };
        },
      },
    ],
  } as never);
  return result as unknown as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
    "2xx": number;
  };
}

const dir = mkdtempSync(join(tmpdir(), "compliance-bench-api-"));
const server = await startApiServer(`sqlite:${join(dir, "bench.db")}`);
try {
  const rows: (string | number)[][] = [];
  for (const [label, changed] of [
    ["unchanged check-ins", 0],
    ["5 processes changed each", 5],
  ] as const) {
    const noop = await load(server.port, "/bench/noop", changed, `noop-${changed}`);
    const stored = await load(server.port, "/api/v1/reports", changed, `stored-${changed}`);
    for (const [what, r] of [
      ["validate only (ceiling)", noop],
      ["validate + store (SQLite)", stored],
    ] as const) {
      rows.push([
        label,
        what,
        fmt(r.requests.average, 0),
        fmt(r.latency.p50),
        fmt(r.latency.p99),
        r.non2xx + r.errors,
      ]);
    }
    rows.push([
      label,
      "**stored / ceiling**",
      fmt(stored.requests.average / noop.requests.average, 2),
      "",
      "",
      "",
    ]);
  }
  console.log(
    `\n### API ingest over HTTP: 300-process reports, ${CONNECTIONS} connections, ${DURATION} s each\n`,
  );
  console.log(table(["check-ins", "server", "reports/s", "p50 ms", "p99 ms", "failed"], rows));
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
