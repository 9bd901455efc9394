import type { App } from "../../packages/api/src/app.ts";
import { percentile } from "./harness.ts";

/** One kind of read: a label and the URL of its next sample. */
export interface ReadCase {
  label: string;
  url: () => string;
}

export interface ReadTimes {
  label: string;
  times: number[];
  /** Each sample's `total` (hosts found), when the answer is a page. */
  totals: number[];
}

/**
 * Times reads through the API (inject: no network), interleaved: every round makes one
 * request of each case, the case that goes first rotating by round, so that the machine's
 * noise falls on all of them alike. The first `warmup` rounds are not kept.
 */
export async function timeReads(
  app: App,
  headers: Record<string, string>,
  cases: ReadCase[],
  samples: number,
  warmup = 3,
): Promise<ReadTimes[]> {
  const results = cases.map((c) => ({
    label: c.label,
    times: [] as number[],
    totals: [] as number[],
  }));
  for (let round = 0; round < samples + warmup; round++) {
    for (let k = 0; k < cases.length; k++) {
      const i = (round + k) % cases.length;
      const url = cases[i]!.url();
      const t0 = performance.now();
      const r = await app.inject({ method: "GET", url, headers });
      const ms = performance.now() - t0;
      if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body.slice(0, 300)}`);
      if (round < warmup) continue;
      results[i]!.times.push(ms);
      const total = (JSON.parse(r.body) as { total?: unknown }).total;
      if (typeof total === "number") results[i]!.totals.push(total);
    }
  }
  return results;
}

export const p50 = (r: ReadTimes) => percentile(r.times, 50);
export const p99 = (r: ReadTimes) => percentile(r.times, 99);
