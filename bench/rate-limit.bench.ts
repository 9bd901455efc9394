// One host's node key flooding the API with reports, against other hosts that check in at
// their own pace (each within its own rate limit): their answer times while the flood runs,
// against the same hosts' answer times on the quiet API, in the same run. The API runs in a child process
// (`compliance-api start`, SQLite, the default rate limits); the flood runs in a process of
// its own, so that neither its work nor the API's is measured with the quiet host's, at the
// lowest CPU priority (nice 19): a real flood comes from another machine, and on this one
// the flooder must not take the API's cores, only what they leave. Quiet and flooded rounds
// alternate, so that the machine's own noise falls on both alike.
import { spawn } from "node:child_process";
import { makeProcess, makeReport } from "../packages/api/test/helpers/reports.ts";
import { PROCESS_ENROLL_SECRET, startApiProcess } from "./support/api-process.ts";
import { fmt, percentile, table } from "./support/harness.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** Each other host's pace: a report every this many ms, under its limit of 1/s. */
const PACE_MS = Number(process.env.BENCH_PACE_MS ?? 1100);
/** Hosts checking in at that pace side by side. */
const HOSTS = Number(process.env.BENCH_HOSTS ?? 20);
const FLOOD_CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
/** Quiet and flooded rounds, alternating. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const report = (identifier: string) =>
  JSON.stringify(
    makeReport({
      identifier,
      processes: Array.from({ length: 300 }, (_, i) =>
        makeProcess({ pid: i + 2, name: `worker-${i % 40}`, cmdline: `/usr/bin/w --id ${i}` }),
      ),
    }),
  );

// Run as `rate-limit.bench.ts --flood <url> <node key> <seconds> <connections>`: posts
// reports of one host as fast as the API answers, then prints the answers' statuses.
if (process.argv[2] === "--flood") {
  const [, , , url, key, seconds, connections] = process.argv;
  const end = performance.now() + Number(seconds) * 1000;
  const statuses: Record<string, number> = {};
  const worker = async () => {
    while (performance.now() < end) {
      const r = await fetch(`${url}/api/v1/reports`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: report("flood"),
      });
      await r.arrayBuffer();
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Number(connections) }, worker));
  process.stdout.write(JSON.stringify(statuses));
  process.exit(0);
}

const SECRET = PROCESS_ENROLL_SECRET;
const api = await startApiProcess();
const url = api.url;

async function enroll(identifier: string): Promise<string> {
  const r = await fetch(`${url}/api/v1/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ enroll_secret: SECRET, host_identifier: identifier }),
  });
  return ((await r.json()) as { node_key: string }).node_key;
}

/** One host checking in at its pace for `seconds`: answer times and statuses. */
async function checkIns(
  identifier: string,
  key: string,
  seconds: number,
  into: { times: number[]; statuses: Record<string, number> },
) {
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const began = performance.now();
    const r = await fetch(`${url}/api/v1/reports`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: report(identifier),
    });
    await r.arrayBuffer();
    into.times.push(performance.now() - began);
    into.statuses[r.status] = (into.statuses[r.status] ?? 0) + 1;
    const left = PACE_MS - (performance.now() - began);
    if (left > 0) await new Promise((done) => setTimeout(done, left));
  }
}

/** Every other host checking in side by side, each at its pace. */
async function fleet(keys: string[], seconds: number) {
  const run = { times: [] as number[], statuses: {} as Record<string, number> };
  await Promise.all(
    keys.map(async (key, i) => {
      // Spread over one pace, as agents' schedules are.
      await new Promise((done) => setTimeout(done, (PACE_MS * i) / keys.length));
      await checkIns(`quiet-${i}`, key, seconds, run);
    }),
  );
  return run;
}

function flood(key: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "nice",
      [
        "-n",
        "19",
        process.execPath,
        "--conditions=source",
        "--import",
        "tsx",
        new URL(import.meta.url).pathname,
        "--flood",
        url,
        key,
        String(SECONDS),
        String(FLOOD_CONNECTIONS),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    child.once("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`flood exited ${code}`)),
    );
  });
}

try {
  const keys: string[] = [];
  for (let i = 0; i < HOSTS; i++) keys.push(await enroll(`quiet-${i}`));
  const floodKey = await enroll("flood");
  const rows: (string | number)[][] = [];
  const quiet = { times: [] as number[], statuses: {} as Record<string, number> };
  const busy = { times: [] as number[], statuses: {} as Record<string, number> };
  const flooded: Record<string, number> = {};
  const add = (into: typeof quiet, run: typeof quiet) => {
    into.times.push(...run.times);
    for (const [k, n] of Object.entries(run.statuses))
      into.statuses[k] = (into.statuses[k] ?? 0) + n;
  };
  for (let round = 0; round < ROUNDS; round++) {
    add(quiet, await fleet(keys, SECONDS));
    const [run, answers] = await Promise.all([fleet(keys, SECONDS), flood(floodKey)]);
    add(busy, run);
    for (const [k, n] of Object.entries(answers)) flooded[k] = (flooded[k] ?? 0) + n;
  }
  const describe = (s: Record<string, number>) =>
    Object.entries(s)
      .map(([status, n]) => `${n}×${status}`)
      .join(" ");
  for (const [label, run] of [
    ["quiet API", quiet],
    [`while one key floods (${FLOOD_CONNECTIONS} connections)`, busy],
  ] as const) {
    rows.push([
      label,
      run.times.length,
      fmt(percentile(run.times, 50), 1),
      fmt(percentile(run.times, 99), 1),
      describe(run.statuses),
    ]);
  }
  const ratio = percentile(busy.times, 99) / percentile(quiet.times, 99);
  const floodRate = Object.values(flooded).reduce((a, b) => a + b, 0) / (ROUNDS * SECONDS);
  console.log(
    `\n### One node key flooding, ${HOSTS} other hosts checking in every ${PACE_MS} ms, ${ROUNDS} × ${SECONDS} s each, alternating\n`,
  );
  console.log(table(["the other hosts", "check-ins", "p50 ms", "p99 ms", "answers"], rows));
  console.log(
    `\nflood: ${describe(flooded)} (${fmt(floodRate, 0)} answers/s); the other hosts' p99 while flooded / quiet: ${fmt(ratio, 2)}× ` +
      `(goal ≤ 1.2×)`,
  );
} finally {
  await api.stop();
}
