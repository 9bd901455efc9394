// Check-in throughput of one API process on SQLite, against seed 000's way of taking a
// check-in (parse the JSON, write it to a file of its own: bench/support/seed-000-baseline.ts)
// with the same load generator and the very same bodies, in the same run.
//
// Each server runs in a process of its own; the load generator (autocannon) runs in a worker
// thread and builds all its bodies before it starts. The fleet is BENCH_HOSTS enrolled hosts
// (1,000) of 300 processes; each request is the next host's next check-in with its node key,
// host 0..n-1 of one round, then of the next, every host's collected_at a minute after its
// previous one, so each one is stored as a new execution. Round 0 (every host's first
// report) is sent before the timing starts; BENCH_ROUNDS rounds (10) are timed. The kinds of
// check-in are the rows of MODES in bench/support/checkin-modes.ts.
//
// Stored bytes are the growth of the SQLite file (its write-ahead log checkpointed before
// and after the timed rounds) or of the baseline's directory, per timed check-in. Server CPU is
// the server process's user and system time per timed check-in (bench/support/process-cpu.ts):
// unlike check-ins/s, a busy machine hardly moves it, so it is what to compare across runs.
import { mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  type ApiProcess,
  PROCESS_ENROLL_SECRET,
  startApiProcess,
  startServerProcess,
} from "./support/api-process.ts";
import { type CheckInLoad, type CheckInResult, sendCheckIns } from "./support/checkin-load.ts";
import { type CheckInMode, MODES, modeNamed } from "./support/checkin-modes.ts";
import { fmt, table } from "./support/harness.ts";
import { cpuMsOf } from "./support/process-cpu.ts";

const HOSTS = Number(process.env.BENCH_HOSTS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const BASELINE_PATH = "/api/v1/compliance/system_info";
/** Rounds a minute apart, the last one well before the API's clock. */
const clock = { start: Date.now() - (ROUNDS + 2) * 60_000 - 3600_000, intervalMs: 60_000 };
/** Enrollment is not what is measured: the API's per-address limit is off. */
const API_ENV = { COMPLIANCE_RATE_LIMIT_ENROLL: "0" };

interface Measured {
  result: CheckInResult;
  storedBytes: number;
  /** The server process's CPU time per timed check-in (ms): robust to a busy machine. */
  cpuMs: number;
}

let failed = false;

function checkAnswers(what: string, r: CheckInResult): void {
  const bad = Object.entries(r.statuses).filter(([s]) => !/^2\d\d$/.test(s));
  if (bad.length === 0 && r.sent > 0) return;
  failed = true;
  console.error(
    `${what}: ${bad.map(([s, n]) => `${n} × ${s}`).join(", ")} of ${r.sent}; first: ${r.firstFailure}`,
  );
}

const sqliteBytes = (dir: string) =>
  ["compliance.db", "compliance.db-wal"]
    .map((f) => join(dir, f))
    .reduce((sum, f) => sum + (statSync(f, { throwIfNoEntry: false })?.size ?? 0), 0);

const dirBytes = (dir: string) =>
  readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);

async function enrollAll(api: ApiProcess): Promise<{ identifier: string; key: string }[]> {
  const hosts = Array.from({ length: HOSTS }, (_, i) => ({ identifier: `bench-${i}`, key: "" }));
  let next = 0;
  const enrollNext = async (): Promise<void> => {
    for (let i = next++; i < HOSTS; i = next++) {
      const r = await fetch(`${api.url}/api/v1/enroll`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          enroll_secret: PROCESS_ENROLL_SECRET,
          host_identifier: hosts[i]!.identifier,
          hostname: hosts[i]!.identifier,
        }),
      });
      if (r.status !== 200) throw new Error(`enroll answered ${r.status}: ${await r.text()}`);
      hosts[i]!.key = ((await r.json()) as { node_key: string }).node_key;
    }
  };
  await Promise.all(Array.from({ length: 8 }, enrollNext));
  return hosts;
}

function load(mode: CheckInMode, path: string, hosts: CheckInLoad["hosts"]) {
  return (url: string, fromRound: number, rounds: number, firstPath = path) =>
    sendCheckIns({
      url,
      path: fromRound === 0 ? firstPath : path,
      mode: mode.name,
      hosts,
      fromRound,
      rounds,
      connections: CONNECTIONS,
      clock,
    });
}

async function measureOurs(mode: CheckInMode): Promise<Measured> {
  const api = await startApiProcess(API_ENV);
  try {
    const send = load(mode, mode.path ?? "/api/v1/reports", await enrollAll(api));
    // Every host's first check-in is a whole report.
    checkAnswers(
      `${mode.name}, ours, first check-ins`,
      await send(api.url, 0, 1, "/api/v1/reports"),
    );
    const db = new DatabaseSync(join(api.dir, "compliance.db"));
    const before = storedBytes(db, api.dir);
    const cpuBefore = cpuMsOf(api.child.pid!);
    const result = await send(api.url, 1, ROUNDS);
    const cpuMs = (cpuMsOf(api.child.pid!) - cpuBefore) / result.sent;
    checkAnswers(`${mode.name}, ours`, result);
    const after = storedBytes(db, api.dir);
    const executions = Number(
      (db.prepare("select count(*) as n from executions").get() as { n: number }).n,
    );
    db.close();
    if (executions !== HOSTS * (ROUNDS + 1)) {
      failed = true;
      console.error(`${mode.name}: ${executions} executions stored, not ${HOSTS * (ROUNDS + 1)}`);
    }
    return { result, storedBytes: (after - before) / result.sent, cpuMs };
  } finally {
    await api.stop();
  }
}

/**
 * The SQLite file's size with everything in it: the API is idle between rounds, so the
 * write-ahead log is checkpointed into the file and emptied first (from a connection of
 * the benchmark's own; the API's stays open, as do the caches it keeps between check-ins).
 */
function storedBytes(db: DatabaseSync, dir: string): number {
  db.exec("pragma wal_checkpoint(truncate)");
  return sqliteBytes(dir);
}

async function measureBaseline(ours: CheckInMode): Promise<Measured> {
  const mode = ours.baseline ? modeNamed(ours.baseline) : ours;
  const dir = mkdtempSync(join(tmpdir(), "compliance-bench-seed-000-"));
  const files = join(dir, "static");
  const server = await startServerProcess(
    [new URL("./support/seed-000-baseline.ts", import.meta.url).pathname, files],
    dir,
    /Seed 000 baseline on (http:\/\/\S+)/,
  );
  try {
    const hosts = Array.from({ length: HOSTS }, (_, i) => ({
      identifier: `bench-${i}`,
      key: null,
    }));
    const send = load(mode, BASELINE_PATH, hosts);
    checkAnswers(`${mode.name}, baseline, first check-ins`, await send(server.url, 0, 1));
    const before = dirBytes(files);
    const cpuBefore = cpuMsOf(server.child.pid!);
    const result = await send(server.url, 1, ROUNDS);
    const cpuMs = (cpuMsOf(server.child.pid!) - cpuBefore) / result.sent;
    checkAnswers(`${mode.name}, baseline`, result);
    return { result, storedBytes: (dirBytes(files) - before) / result.sent, cpuMs };
  } finally {
    await server.stop();
  }
}

/** The issue's goals, by mode: the least check-ins/s, and the least ours / baseline. */
const GOALS: Record<string, { rps?: number; vsBaseline?: number; vsUnchanged?: number }> = {
  "full, unchanged": { rps: 1000, vsBaseline: 5 },
  "full, 5 processes replaced": { vsUnchanged: 0.7, vsBaseline: 3 },
  "delta, unchanged": { rps: 3000, vsBaseline: 5 },
  "delta, 5 processes replaced": { rps: 1500, vsBaseline: 3 },
};

const rows: (string | number)[][] = [];
const goals: (string | number)[][] = [];
const answers = (r: CheckInResult) =>
  Object.entries(r.statuses)
    .map(([s, n]) => `${n} × ${s}`)
    .join(", ");
const verdict = (value: number, goal: number | undefined) =>
  goal === undefined ? "" : value >= goal ? "met" : "**not met**";
let unchangedRps = Number.NaN;
/**
 * BENCH_MODES=delta runs only the modes whose name holds one of these, separated by ";"
 * (names hold commas): BENCH_MODES="delta, unchanged;full, unchanged".
 */
const only = process.env.BENCH_MODES?.split(";").filter(Boolean);
for (const mode of MODES.filter((m) => !only || only.some((o) => m.name.includes(o)))) {
  const ours = await measureOurs(mode);
  const baseline = await measureBaseline(mode);
  for (const [server, m] of [
    ["ours (SQLite)", ours],
    ["seed 000 (a file per check-in)", baseline],
  ] as const) {
    rows.push([
      mode.name,
      server,
      fmt(m.result.rps, 0),
      fmt(m.result.p50, 1),
      fmt(m.result.p99, 1),
      fmt(m.cpuMs, 2),
      fmt(m.result.requestBytes, 0),
      fmt(m.result.responseBytes, 0),
      fmt(m.storedBytes, 0),
      answers(m.result),
    ]);
  }
  const ratio = ours.result.rps / baseline.result.rps;
  rows.push([
    mode.name,
    "**ours / seed 000**",
    `**${fmt(ratio, 2)}×**`,
    "",
    "",
    "",
    "",
    "",
    "",
    "",
  ]);
  const goal = GOALS[mode.name] ?? {};
  if (mode.name === "full, unchanged") unchangedRps = ours.result.rps;
  if (goal.rps !== undefined) {
    goals.push([
      mode.name,
      "check-ins/s, one process",
      fmt(ours.result.rps, 0),
      `≥ ${goal.rps}`,
      verdict(ours.result.rps, goal.rps),
    ]);
  }
  if (goal.vsUnchanged !== undefined) {
    const r = ours.result.rps / unchangedRps;
    goals.push([
      mode.name,
      "/ full unchanged",
      `${fmt(r, 2)}×`,
      `≥ ${goal.vsUnchanged}×`,
      verdict(r, goal.vsUnchanged),
    ]);
  }
  goals.push([
    mode.name,
    "/ seed 000",
    `${fmt(ratio, 2)}×`,
    goal.vsBaseline === undefined ? "" : `≥ ${goal.vsBaseline}×`,
    verdict(ratio, goal.vsBaseline),
  ]);
}

console.log(
  `\n### Check-ins over HTTP: ${HOSTS} hosts of 300 processes, ${ROUNDS} timed rounds, ${CONNECTIONS} connections\n`,
);
console.log(
  table(
    [
      "check-in",
      "server",
      "check-ins/s",
      "p50 ms",
      "p99 ms",
      "server CPU ms",
      "bytes sent",
      "bytes back",
      "stored bytes",
      "answers",
    ],
    rows,
  ),
);
console.log("\n### Goals\n");
console.log(table(["check-in", "what", "measured", "goal", ""], goals));
if (failed) process.exitCode = 1;
