// The kinds of check-in the check-in benchmark (bench/checkins.bench.ts) sends. Each mode is a
// body builder: the text of host h's check-in number `round` (0 is its first, sent before
// the timing starts). Bodies are built before the load starts, by the load generator's own
// thread, so their cost is not measured.
//
// To measure another kind of check-in (a delta against the previous one, say), add a row to
// MODES with its builder and, if it goes elsewhere, its path and headers; the benchmark
// runs every row against our API and the seed-000 baseline and prints one line each.
import { randomUUID } from "node:crypto";
import type { Report } from "@compliance/contract";
import { reportWithProcesses } from "../../packages/api/test/helpers/reports.ts";

/** One benchmarked host: its identifier and its place in the fleet. */
export interface BenchHost {
  index: number;
  identifier: string;
}

/** Where a check-in's time starts, and how far apart a host's check-ins are. */
export interface CheckInClock {
  /** collected_at of round 0, ms since the epoch. */
  start: number;
  /** Between two rounds of one host. */
  intervalMs: number;
}

export interface CheckInMode {
  name: string;
  /** Where our API takes it; /api/v1/reports unless told. */
  path?: string;
  /** Headers besides content-type and the host's node key. */
  headers?: Record<string, string>;
  /** The body of the host's check-in `round`; each round's collected_at is later than the one before. */
  body(host: BenchHost, round: number, clock: CheckInClock): string;
}

/** Processes in every benchmarked report. */
export const PROCESSES = 300;

/** A host's report with its 300 processes, built once per host. */
function baseReport(host: BenchHost): Report {
  const report = reportWithProcesses(PROCESSES, { identifier: host.identifier });
  const ip = `10.${(host.index >> 16) & 255}.${(host.index >> 8) & 255}.${host.index & 255}`;
  return {
    ...report,
    host: { ...report.host, hostname: host.identifier, primary_ip: ip, ip_addresses: [ip] },
  };
}

/**
 * Whole reports, as the agent sends them today: the same processes every time, or the last
 * `replaced` of them new at every round (new pids; the previous round's are gone).
 */
export function fullCheckIns(replaced: number): CheckInMode["body"] {
  const bases = new Map<number, Report>();
  return (host, round, clock) => {
    let base = bases.get(host.index);
    if (!base) {
      base = baseReport(host);
      bases.set(host.index, base);
    }
    const steady = base.processes.slice(0, PROCESSES - replaced);
    const fresh = Array.from({ length: replaced }, (_, k) => ({
      ...base.processes[PROCESSES - replaced + k]!,
      pid: 100_000 + round * replaced + k,
    }));
    return JSON.stringify({
      ...base,
      report_id: randomUUID(),
      collected_at: new Date(clock.start + round * clock.intervalMs).toISOString(),
      processes: replaced > 0 ? [...steady, ...fresh] : steady,
    });
  };
}

/** Every mode the benchmark runs, in order. Add delta check-ins here. */
export const MODES: CheckInMode[] = [
  { name: "full, unchanged", body: fullCheckIns(0) },
  { name: "full, 5 processes replaced", body: fullCheckIns(5) },
];

export function modeNamed(name: string): CheckInMode {
  const mode = MODES.find((m) => m.name === name);
  if (!mode) throw new Error(`no check-in mode "${name}"`);
  return mode;
}
