// The kinds of check-in the check-in benchmark (bench/checkins.bench.ts) sends. Each mode is a
// body builder: the text of host h's check-in number `round` (0 is its first, sent before
// the timing starts). Bodies are built before the load starts, by the load generator's own
// thread, so their cost is not measured.
//
// To measure another kind of check-in, add a row to MODES with its builder and, if it goes
// elsewhere, its path and headers; the benchmark runs every row against our API and the
// seed-000 baseline (with the whole reports of `baseline` when the row is not whole
// reports) and prints one line each.
import { randomUUID } from "node:crypto";
import { makeDelta, type Report } from "@compliance/contract";
import { canonicalTexts, compareText } from "@compliance/contract/canonical";
import { reportDigest } from "@compliance/contract/digest";
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
  /** Where our API takes the timed check-ins; /api/v1/reports unless told. The first go there. */
  path?: string;
  /** The mode whose bodies the seed-000 baseline gets instead (it takes whole reports only). */
  baseline?: string;
  /** Headers besides content-type and the host's node key. */
  headers?: Record<string, string>;
  /** The body of the host's check-in `round`; each round's collected_at is later than the one before. */
  body(host: BenchHost, round: number, clock: CheckInClock): string;
}

/** Processes in every benchmarked report. */
export const PROCESSES = 300;

/** Packages in a report "with inventory": what a small Debian server lists. */
export const PACKAGES = 800;

/**
 * What a Debian server's agent sends besides processes: PACKAGES packages, 30 accounts, 10
 * listening sockets and 40 services, the same on every host (as on a fleet built from one
 * image) and in every round.
 */
function inventory(): Pick<Report, "packages" | "accounts" | "listening" | "services"> {
  const sections = ["libs", "utils", "net", "admin", "python", "perl"];
  // In canonical order, as the agent sends its lists (the API stores no order for them).
  const sorted = <T>(items: T[]): T[] => {
    const texts = canonicalTexts(items);
    return items
      .map((item, i) => ({ item, text: texts[i]! }))
      .sort((a, b) => compareText(a.text, b.text))
      .map((x) => x.item);
  };
  const lists = {
    packages: Array.from({ length: PACKAGES }, (_, i) => ({
      name: `${sections[i % sections.length]}-package-${i}`,
      version: `${1 + (i % 9)}.${i % 23}.${i % 7}-${1 + (i % 3)}+deb12u${i % 5}`,
      arch: i % 10 === 0 ? "all" : "amd64",
      source: "deb" as const,
    })),
    accounts: Array.from({ length: 30 }, (_, i) => ({
      name: i === 0 ? "root" : `user${i}`,
      uid: i === 0 ? 0 : 1000 + i,
      gid: i === 0 ? 0 : 1000 + i,
      home: i === 0 ? "/root" : `/home/user${i}`,
      shell: i % 4 === 0 ? "/usr/sbin/nologin" : "/bin/bash",
    })),
    listening: Array.from({ length: 10 }, (_, i) => ({
      protocol: i % 3 === 0 ? ("udp" as const) : ("tcp" as const),
      address: i % 2 === 0 ? "0.0.0.0" : "127.0.0.1",
      port: 1000 + i * 111,
      process: `daemon-${i}`,
    })),
    services: Array.from({ length: 40 }, (_, i) => ({
      name: `unit-${i}.service`,
      state: i % 5 === 0 ? "inactive" : "active",
      enabled: i % 3 !== 0,
    })),
  };
  return {
    packages: sorted(lists.packages),
    accounts: sorted(lists.accounts),
    listening: sorted(lists.listening),
    services: sorted(lists.services),
  };
}

/** A host's report with its 300 processes (and an inventory, when asked), built once per host. */
function baseReport(host: BenchHost, withInventory = false): Report {
  const report = reportWithProcesses(PROCESSES, {
    identifier: host.identifier,
    ...(withInventory ? inventory() : {}),
  });
  const ip = `10.${(host.index >> 16) & 255}.${(host.index >> 8) & 255}.${host.index & 255}`;
  return {
    ...report,
    host: { ...report.host, hostname: host.identifier, primary_ip: ip, ip_addresses: [ip] },
  };
}

/** A report id that the same host and round always get, in whichever thread builds it. */
const idOf = (host: BenchHost, round: number) =>
  `00000000-${String(round).padStart(4, "0")}-4000-8000-${String(host.index).padStart(12, "0")}`;

/**
 * Whole reports: the same processes every time, or the last `replaced` of them new at
 * every round (new pids; the previous round's are gone).
 */
function fullReports(
  replaced: number,
  withInventory = false,
): (host: BenchHost, round: number, clock: CheckInClock) => Report {
  const bases = new Map<number, Report>();
  return (host, round, clock) => {
    let base = bases.get(host.index);
    if (!base) {
      base = baseReport(host, withInventory);
      bases.set(host.index, base);
    }
    const steady = base.processes.slice(0, PROCESSES - replaced);
    const fresh = Array.from({ length: replaced }, (_, k) => ({
      ...base.processes[PROCESSES - replaced + k]!,
      pid: 100_000 + round * replaced + k,
    }));
    return {
      ...base,
      report_id: idOf(host, round),
      collected_at: new Date(clock.start + round * clock.intervalMs).toISOString(),
      processes: replaced > 0 ? [...steady, ...fresh] : steady,
    };
  };
}

/** Whole reports, as an agent sends its first one (or one that cannot go as a delta). */
export function fullCheckIns(replaced: number, withInventory = false): CheckInMode["body"] {
  const reports = fullReports(replaced, withInventory);
  return (host, round, clock) =>
    JSON.stringify({ ...reports(host, round, clock), report_id: randomUUID() });
}

/**
 * Delta check-ins, as the agent sends them after its first report: what changed since the
 * host's report of the round before (round 0 goes whole).
 */
export function deltaCheckIns(replaced: number, withInventory = false): CheckInMode["body"] {
  const reports = fullReports(replaced, withInventory);
  return (host, round, clock) => {
    const now = reports(host, round, clock);
    if (round === 0) return JSON.stringify(now);
    const before = reports(host, round - 1, clock);
    return JSON.stringify(makeDelta(before, now, before.report_id, reportDigest(now)));
  };
}

/** Every mode the benchmark runs, in order. */
export const MODES: CheckInMode[] = [
  { name: "full, unchanged", body: fullCheckIns(0) },
  { name: "full, 5 processes replaced", body: fullCheckIns(5) },
  {
    name: "delta, unchanged",
    path: "/api/v1/reports/delta",
    baseline: "full, unchanged",
    body: deltaCheckIns(0),
  },
  {
    name: "delta, 5 processes replaced",
    path: "/api/v1/reports/delta",
    baseline: "full, 5 processes replaced",
    body: deltaCheckIns(5),
  },
  {
    name: "full, 5 processes replaced, with inventory",
    body: fullCheckIns(5, true),
  },
  {
    name: "delta, 5 processes replaced, with inventory",
    path: "/api/v1/reports/delta",
    baseline: "full, 5 processes replaced, with inventory",
    body: deltaCheckIns(5, true),
  },
];

export function modeNamed(name: string): CheckInMode {
  const mode = MODES.find((m) => m.name === name);
  if (!mode) throw new Error(`no check-in mode "${name}"`);
  return mode;
}
