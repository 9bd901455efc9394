import { randomUUID } from "node:crypto";
import autocannon from "autocannon";
import { reportWithProcesses } from "../../packages/api/test/helpers/reports.ts";
import { BENCH_SECRET } from "./secrets.ts";

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  failed: number;
}

/** Report bodies for one host: the same processes every time, or `changed` of them new each time. */
export function reportBodies(identifier: string, processes: number, changed: number): () => string {
  const base = reportWithProcesses(processes, { identifier });
  const steady = base.processes.slice(0, processes - changed);
  let n = 0;
  let t = Date.parse("2026-01-01T00:00:00Z");
  return () => {
    n++;
    t += 60_000;
    const fresh = Array.from({ length: changed }, (_, k) => ({
      ...base.processes[processes - changed + k]!,
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

export async function enroll(base: string, identifier: string): Promise<string> {
  const r = await fetch(`${base}/api/v1/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      enroll_secret: BENCH_SECRET,
      host_identifier: identifier,
      hostname: identifier,
    }),
  });
  if (r.status !== 200) throw new Error(`enroll answered ${r.status}`);
  return ((await r.json()) as { node_key: string }).node_key;
}

/**
 * Posts reports for `seconds` over `connections` connections, each connection a host of
 * its own (enrolled first), and returns the rate and latencies autocannon measured.
 */
export async function postReports(options: {
  base: string;
  path: string;
  tag: string;
  connections: number;
  seconds: number;
  processes?: number;
  changed?: number;
}): Promise<LoadResult> {
  const { base, path, tag, connections, seconds } = options;
  const keys: string[] = [];
  for (let i = 0; i < connections; i++) keys.push(await enroll(base, `${tag}-${i}`));
  const makers = keys.map((_, i) =>
    reportBodies(`${tag}-${i}`, options.processes ?? 300, options.changed ?? 0),
  );
  let next = 0;
  const result = (await autocannon({
    url: base,
    connections,
    duration: seconds,
    requests: [
      {
        method: "POST",
        path,
        setupRequest: (req: Record<string, unknown>, context: Record<string, number>) => {
          context.client ??= next++ % connections;
          const i = context.client;
          return {
            ...req,
            headers: { "content-type": "application/json", authorization: `Bearer ${keys[i]}` },
            body: makers[i]!(),
          };
        },
      },
    ],
  } as never)) as unknown as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
  };
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors,
  };
}
