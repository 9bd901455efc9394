// A generated fleet (default 1,000 hosts × 500 executions × 300 processes, realistic churn)
// on SQLite: ingest rate of unchanged and changed check-ins, then p50/p99 of the reads
// people make, through the API (inject: no network in the measurement).
// The generated database is kept in bench/out/ and reused by later runs of the same size.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { buildApp } from "../packages/api/src/app.ts";
import { hashSecret } from "../packages/api/src/auth.ts";
import { loadConfig } from "../packages/api/src/config.ts";
import { openStore } from "../packages/api/src/store/sql-store.ts";
import type { LatestSpans } from "../packages/api/src/store/store.ts";
import { ChurningHost } from "./support/churn.ts";
import { fmt, percentile, table } from "./support/harness.ts";
import { fleetHistory, hostHistory, seeded, timeWithin } from "./support/seeded.ts";

const HOSTS = Number(process.env.BENCH_HOSTS ?? 1000);
const EXECUTIONS = Number(process.env.BENCH_EXECUTIONS ?? 500);
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 300);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const START = Date.parse("2026-01-01T00:00:00Z");
const INTERVAL = 300_000;

const out = new URL("./out/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });
const file = join(out, `fleet-${HOSTS}x${EXECUTIONS}x${PROCESSES}.db`);

/** Host i starts this many ms after host i − 1: its first check-in is at START + i × STAGGER + INTERVAL. */
const STAGGER = 137;
const clock = {
  start: START,
  interval: INTERVAL,
  stagger: STAGGER,
  hosts: HOSTS,
  executions: EXECUTIONS,
};
/** Which check-ins change, when building; and the samples of the reads, apart, so that the
 * reads are the same whether the fleet was built in this run or an earlier one. */
const churn = seeded(12345);
const random = seeded(4242);
/** Check-ins stored at once while building (host ids are 1..HOSTS, in enrollment order). */
const BATCH = 50;
let buildSeconds: number | null = null;
let buildCpuSeconds = 0;

// The file is complete once its marker exists. It is built under its own name: renaming a
// SQLite file while a connection to it is open would pair it with another WAL and lose or
// corrupt what the first one held.
const complete = `${file}.complete`;
if (!existsSync(complete)) {
  for (const f of ["", "-wal", "-shm"]) rmSync(`${file}${f}`, { force: true });
  // Only building: the measurements below open the file with the API's own settings.
  const store = openStore({ url: `sqlite:${file}`, sqliteSynchronous: "NORMAL" });
  await store.migrate();
  const hosts = Array.from(
    { length: HOSTS },
    (_, i) =>
      new ChurningHost(`host-${String(i).padStart(5, "0")}`, PROCESSES, START + i * STAGGER, i + 1),
  );
  const ids: number[] = [];
  for (const h of hosts) {
    ids.push(
      (
        await store.enrollHost({
          identifier: h.identifier,
          hostname: h.identifier,
          nodeKeyHash: h.identifier,
          source: "agent",
        })
      ).hostId,
    );
  }
  const latest: (LatestSpans | undefined)[] = [];
  const began = performance.now();
  const cpu0 = process.cpuUsage();
  for (let e = 0; e < EXECUTIONS; e++) {
    for (let b = 0; b < HOSTS; b += BATCH) {
      const batch = hosts.slice(b, b + BATCH).map((host, k) => {
        // 40 % of check-ins see 1–4 processes end and others start; the rest see none.
        const changed = churn() < 0.4 ? 1 + Math.floor(churn() * 4) : 0;
        return { id: ids[b + k]!, report: host.next(e === 0 ? 0 : changed, INTERVAL) };
      });
      // Hosts check in concurrently, as through the API: SQLite commits them in groups. As
      // the API does, each passes the spans its previous check-in left open.
      await Promise.all(
        batch.map(async ({ id, report }, k) => {
          const outcome = await store.ingest(id, report, START + e * INTERVAL, {
            latest: latest[b + k],
          });
          latest[b + k] = outcome.latest;
        }),
      );
    }
    if (e % 50 === 49) {
      const done = (e + 1) * HOSTS;
      process.stderr.write(
        `generated ${done} of ${HOSTS * EXECUTIONS} executions (${fmt(done / ((performance.now() - began) / 1000), 0)}/s)\n`,
      );
    }
  }
  await store.close();
  const db = new DatabaseSync(file, { readOnly: true });
  const stored = Number(
    (db.prepare("select count(*) as n from executions").get() as { n: number }).n,
  );
  db.close();
  if (stored !== HOSTS * EXECUTIONS) {
    throw new Error(`the built fleet holds ${stored} executions, not ${HOSTS * EXECUTIONS}`);
  }
  buildSeconds = (performance.now() - began) / 1000;
  const cpu = process.cpuUsage(cpu0);
  buildCpuSeconds = (cpu.user + cpu.system) / 1e6;
  writeFileSync(complete, `${stored} executions\n`);
}

const store = openStore({ url: `sqlite:${file}`, now: () => START + EXECUTIONS * INTERVAL });
await store.migrate();
const token = "bench-admin-token-0123456789";
const app = await buildApp({
  store,
  config: loadConfig({}),
  secrets: {
    adminTokenHash: hashSecret(token),
    enrollSecretHash: hashSecret("unused-unused-unused"),
  },
  now: () => START + EXECUTIONS * INTERVAL,
});
const headers = { authorization: `Bearer ${token}` };

async function measure(
  label: string,
  url: () => Promise<string> | string,
  target?: number,
): Promise<(string | number)[]> {
  const times: number[] = [];
  for (let i = 0; i < SAMPLES + 5; i++) {
    const u = await url();
    const t0 = performance.now();
    const r = await app.inject({ method: "GET", url: u, headers });
    const dt = performance.now() - t0;
    if (r.statusCode !== 200) throw new Error(`${u}: ${r.statusCode} ${r.body.slice(0, 200)}`);
    if (i >= 5) times.push(dt);
  }
  const p99 = percentile(times, 99);
  return [
    label,
    fmt(percentile(times, 50)),
    fmt(p99),
    target === undefined ? "" : p99 <= target ? `✓ < ${target}` : `✗ > ${target}`,
  ];
}

const hostId = () => 1 + Math.floor(random() * HOSTS);
/** A time within host `id`'s history: never before its first check-in nor after its last. */
const timeOfHost = (id: number) => timeWithin(random, hostHistory(clock, id - 1));
/** A time every host has history for. */
const someTime = () => timeWithin(random, fleetHistory(clock));
const reportsOf = async (id: number) =>
  (await store.listExecutions(id, {}, { limit: EXECUTIONS, offset: 0 })).items.map(
    (e) => e.report_id,
  );
const reportCache = new Map<number, string[]>();
const twoReports = async (id: number) => {
  if (!reportCache.has(id)) reportCache.set(id, await reportsOf(id));
  const list = reportCache.get(id)!;
  return [list[Math.floor(random() * list.length)]!, list[Math.floor(random() * list.length)]!];
};

const rows = [
  await measure(
    "host list page (50, by hostname)",
    () => `/api/v1/hosts?limit=50&offset=${Math.floor(random() * (HOSTS - 50))}`,
    20,
  ),
  await measure(
    "host list page sorted by last seen",
    () => "/api/v1/hosts?limit=50&sort=-last_seen_at",
    20,
  ),
  await measure("host search (q=host-004)", () => "/api/v1/hosts?q=host-004&limit=50"),
  await measure(
    "processes at a time",
    () => {
      const id = hostId();
      return `/api/v1/hosts/${id}/processes?at=${timeOfHost(id)}`;
    },
    50,
  ),
  await measure("processes now", () => `/api/v1/hosts/${hostId()}/processes`),
  await measure(
    "diff of two executions",
    async () => {
      const id = hostId();
      const [a, b] = await twoReports(id);
      return `/api/v1/hosts/${id}/diff?from=${a}&to=${b}`;
    },
    50,
  ),
  await measure(
    "timeline of one host (all executions)",
    () => `/api/v1/hosts/${hostId()}/reports?limit=${EXECUTIONS}`,
  ),
  await measure(
    "fleet search: hosts running nginx now (page of 100)",
    () => "/api/v1/search/processes?name=nginx",
  ),
  await measure(
    "fleet search: nginx at a time (page of 100)",
    () => `/api/v1/search/processes?name=nginx&at=${someTime()}`,
  ),
  await measure("fleet summary", () => "/api/v1/summary"),
];

// Ingest into the full database: new hosts join the fleet, then check in again and again.
const ingestRows: (string | number)[][] = [];
{
  const joiners = Array.from(
    { length: 50 },
    (_, i) => new ChurningHost(`joiner-${Date.now()}-${i}`, PROCESSES, START, 9000 + i),
  );
  const ids: number[] = [];
  for (const h of joiners) {
    const { hostId } = await store.enrollHost({
      identifier: h.identifier,
      hostname: h.identifier,
      nodeKeyHash: h.identifier,
      source: "agent",
    });
    ids.push(hostId);
    await store.ingest(hostId, h.next(0), Date.now());
  }
  for (const [label, changed] of [
    ["unchanged check-ins", 0],
    ["changed check-ins (3 processes replaced)", 3],
  ] as const) {
    // Each round's reports are made before the clock starts: only storing is timed.
    let n = 0;
    let spent = 0;
    for (let round = 0; round < 60; round++) {
      const reports = joiners.map((h) => h.next(changed));
      const t0 = performance.now();
      // Hosts check in concurrently, as they do through the API: SQLite commits them in groups.
      await Promise.all(reports.map((r, i) => store.ingest(ids[i]!, r, Date.now())));
      spent += performance.now() - t0;
      n += joiners.length;
    }
    ingestRows.push([label, n, fmt((n / spent) * 1000, 0)]);
  }
}
await app.close();
await store.close();

console.log(
  `\n### Fleet of ${HOSTS} hosts × ${EXECUTIONS} executions × ${PROCESSES} processes (SQLite)\n`,
);
console.log(
  buildSeconds === null
    ? `The fleet was built by an earlier run (${file}).\n`
    : `Built in ${fmt(buildSeconds, 0)} s (${fmt((HOSTS * EXECUTIONS) / buildSeconds, 0)} executions/s), ${fmt(buildCpuSeconds, 0)} s of CPU (${fmt((buildCpuSeconds * 1000) / (HOSTS * EXECUTIONS), 2)} ms per execution).\n`,
);
console.log(
  table(
    ["ingest into the full database (store, one process)", "check-ins", "per second"],
    ingestRows,
  ),
);
console.log("");
console.log(table(["read (through the API, no network)", "p50 ms", "p99 ms", "target"], rows));
