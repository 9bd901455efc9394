// Inventory and policies on a generated fleet (default 1,000 hosts × 500 executions, each
// host a Debian server with processes, packages, sockets, accounts, services and settings;
// see bench/support/inventory-fleet.ts), SQLite:
//
// - package and listening-socket searches now and at a time (p50/p99 over many times);
// - a new policy evaluated over the whole stored history by PolicyJobs.runPending(): one
//   over processes, one over packages, next to the bare walk over the same history;
// - a policy's failing hosts and the fleet's compliance, now and at a time, with the 23
//   starter policies evaluated.
//
// Reads go through the API (inject, no network), interleaved with a baseline read (a page
// of the host list). The generated database is kept in bench/out/ and reused by later runs
// of the same size (it is built through the API's ingest with the starter pack enabled, in
// several processes at once, each a share of the hosts, merged at the end). Each run works
// on a fresh copy of it.
import { copyFileSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Policy } from "@compliance/contract";
import { buildApp } from "../packages/api/src/app.ts";
import { hashSecret } from "../packages/api/src/auth.ts";
import { loadConfig } from "../packages/api/src/config.ts";
import { needsOf } from "../packages/api/src/policies/needs.ts";
import { openStore } from "../packages/api/src/store/sql-store.ts";
import type { Store } from "../packages/api/src/store/store.ts";
import { PACKAGE_POLICY, PROCESS_POLICY } from "./support/bench-policies.ts";
import { fmt, median, table } from "./support/harness.ts";
import {
  buildInventoryFleet,
  describeFleet,
  FLEET_INTERVAL,
  FLEET_STAGGER,
  FLEET_START,
  type FleetShape,
} from "./support/inventory-fleet.ts";
import { p50, p99, type ReadCase, type ReadTimes, timeReads } from "./support/reads.ts";
import { fleetHistory, seeded, timeWithin } from "./support/seeded.ts";

const shape: FleetShape = {
  hosts: Number(process.env.BENCH_HOSTS ?? 1000),
  executions: Number(process.env.BENCH_EXECUTIONS ?? 500),
  processes: Number(process.env.BENCH_PROCESSES ?? 100),
  packages: Number(process.env.BENCH_PACKAGES ?? 200),
};
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
/** Processes building the fleet at once, each a share of the hosts (merged afterwards). */
const BUILD_PROCESSES = Number(process.env.BENCH_BUILD_PROCESSES ?? 6);
const PARTS = new Set((process.env.BENCH_PARTS ?? "search,retro,status").split(","));
const END = FLEET_START + (shape.executions + 1) * FLEET_INTERVAL + 1000 * shape.hosts;
const log = (line: string) => process.stderr.write(`${line}\n`);

const out = new URL("./out/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });
const name = `inventory-fleet-${shape.hosts}x${shape.executions}x${shape.processes}p${shape.packages}k`;
const baseFile = join(out, `${name}.db`);
const workFile = join(out, `${name}-work.db`);

const TOKEN = "bench-admin-token-0123456789";
const headers = { authorization: `Bearer ${TOKEN}` };

async function open(file: string) {
  const now = () => END;
  const store = openStore({ url: `sqlite:${file}`, now });
  await store.migrate();
  const app = await buildApp({
    store,
    config: loadConfig({}),
    secrets: {
      adminTokenHash: hashSecret(TOKEN),
      enrollSecretHash: hashSecret("unused-unused-unused"),
    },
    now,
  });
  return { store, app };
}

const removeDb = (file: string) => {
  for (const f of ["", "-wal", "-shm"]) rmSync(`${file}${f}`, { force: true });
};
const sizeOf = (file: string) => statSync(file).size;

// ---- the fleet (built once, then kept) -------------------------------------------------------
const built = await buildInventoryFleet(baseFile, shape, BUILD_PROCESSES, log);
removeDb(workFile);
copyFileSync(baseFile, workFile);
const { store, app } = await open(workFile);

const rng = seeded(4242);
/** Times every host has history for, so that no sample falls before a host's first check-in. */
const history = fleetHistory({
  start: FLEET_START,
  interval: FLEET_INTERVAL,
  stagger: FLEET_STAGGER,
  hosts: shape.hosts,
  executions: shape.executions,
});
const someTime = () => timeWithin(rng, history);
const baseline: ReadCase = {
  label: "baseline: host list page (50 by hostname)",
  url: () => `/api/v1/hosts?limit=50&offset=${Math.floor(rng() * Math.max(1, shape.hosts - 50))}`,
};

function readRows(results: ReadTimes[]): (string | number)[][] {
  const base = p50(results[0]!);
  return results.map((r) => [
    r.label,
    fmt(p50(r)),
    fmt(p99(r)),
    r.totals.length > 0 ? fmt(median(r.totals), 0) : "",
    `${fmt(p50(r) / base, 1)}×`,
  ]);
}
const READ_HEADERS = [
  "read (API, inject)",
  "p50 ms",
  "p99 ms",
  "hosts found (median)",
  "p50 / baseline",
];

console.log(
  `\n### Inventory fleet: ${shape.hosts} hosts × ${shape.executions} executions, ${shape.processes} processes and ${shape.packages} packages per host (SQLite)\n`,
);
const builtIn =
  built === null
    ? "kept from an earlier run"
    : `${fmt(Math.max(...built.map((b) => b.seconds)) / 60, 0)} min in ${built.length} processes at once (${fmt(built.reduce((a, b) => a + b.cpuSeconds, 0) / 60, 0)} CPU min, ${fmt((1000 * built.reduce((a, b) => a + b.cpuSeconds, 0)) / (shape.hosts * shape.executions), 1)} CPU ms per execution)`;
console.log(
  table(
    ["database", "size MB", "built"],
    [["fleet, starter policies evaluated at ingest", fmt(sizeOf(baseFile) / 1e6, 0), builtIn]],
  ),
);
console.log("");
console.log(
  table(
    ["hosts with", "count"],
    Object.entries(describeFleet(shape)).map(([what, n]) => [what, n]),
  ),
);

// ---- searches ------------------------------------------------------------------------------
if (PARTS.has("search")) {
  const results = await timeReads(
    app,
    headers,
    [
      baseline,
      {
        label: "packages: openssl lt:3.0.13 at a time",
        url: () => `/api/v1/search/packages?name=openssl&version=lt:3.0.13&at=${someTime()}`,
      },
      {
        label: "packages: openssl lt:3.0.13 now",
        url: () => "/api/v1/search/packages?name=openssl&version=lt:3.0.13",
      },
      {
        label: "listening: port 22 at a time",
        url: () => `/api/v1/search/listening?port=22&at=${someTime()}`,
      },
      { label: "listening: port 22 now", url: () => "/api/v1/search/listening?port=22" },
    ],
    SAMPLES,
  );
  console.log(`\n#### Fleet searches, ${SAMPLES} samples each, a random time per sample\n`);
  console.log(table(READ_HEADERS, readRows(results)));
}

// ---- a new policy over the stored history ---------------------------------------------------
/** The walk alone: every execution of every host rebuilt as the policy needs, nothing evaluated. */
async function walkOnly(s: Store, hostIds: number[], policy: Policy): Promise<number> {
  const needs = needsOf(policy);
  let executions = 0;
  for (const hostId of hostIds) {
    for await (const step of s.walkHistory(hostId, needs)) {
      if (step.changed || needs.everyExecution || executions === 0) step.report();
      executions++;
    }
  }
  return executions;
}

if (PARTS.has("retro")) {
  const hostIds = await store.hostIdsWithHistory(null);
  const executions = shape.hosts * shape.executions;
  // The bare walk over a tenth of the hosts, before and after the job: the reading and
  // rebuilding share of the job's time.
  const sample = hostIds.filter((_, i) => i % 10 === 0);
  const rows: (string | number)[][] = [];
  for (const [label, policy] of [
    ["over processes", PROCESS_POLICY],
    ["over packages", PACKAGE_POLICY],
  ] as const) {
    const walkRates: number[] = [];
    const walk = async () => {
      const t0 = performance.now();
      const n = await walkOnly(store, sample, policy);
      walkRates.push(n / ((performance.now() - t0) / 1000));
    };
    await walk();
    await app.services.policies.put(policy, "api");
    const t0 = performance.now();
    const ran = await app.services.jobs.runPending();
    const seconds = (performance.now() - t0) / 1000;
    if (ran !== 1) throw new Error(`expected one job, ran ${ran}`);
    await walk();
    const jobs = await app.services.jobs.list();
    if (jobs[0]?.status !== "done") throw new Error(`job ended ${JSON.stringify(jobs[0])}`);
    const rate = executions / seconds;
    const walkRate = median(walkRates);
    rows.push([
      `new policy ${label}`,
      fmt(seconds, 1),
      fmt(rate, 0),
      fmt(walkRate, 0),
      `${fmt(rate / walkRate, 2)}×`,
      seconds < 60 ? "✓ < 60 s" : "✗ > 60 s",
    ]);
    await app.services.policies.remove(policy.id);
  }
  console.log(
    `\n#### A new policy evaluated over the whole history (${executions} executions): PolicyJobs.runPending()\n`,
  );
  console.log(
    table(
      [
        "job",
        "wall s",
        "executions/s",
        "bare walk executions/s (a tenth of the hosts)",
        "job / bare walk",
        "goal",
      ],
      rows,
    ),
  );
}

// ---- statuses over time ---------------------------------------------------------------------
if (PARTS.has("status")) {
  const results = await timeReads(
    app,
    headers,
    [
      baseline,
      {
        label: "policy hosts failing at a time (sshd-no-password-authentication)",
        url: () =>
          `/api/v1/policies/sshd-no-password-authentication/hosts?status=failing&at=${someTime()}`,
      },
      {
        label: "policy hosts failing now (sshd-no-password-authentication)",
        url: () => "/api/v1/policies/sshd-no-password-authentication/hosts?status=failing",
      },
      {
        label: "policy hosts failing at a time (sshd-no-root-login)",
        url: () => `/api/v1/policies/sshd-no-root-login/hosts?status=failing&at=${someTime()}`,
      },
      {
        label: "compliance at a time (23 policies)",
        url: () => `/api/v1/compliance?at=${someTime()}`,
      },
      { label: "compliance now (23 policies)", url: () => "/api/v1/compliance" },
    ],
    SAMPLES,
  );
  console.log(`\n#### Policy statuses, ${SAMPLES} samples each, a random time per sample\n`);
  console.log(table(READ_HEADERS, readRows(results)));
}

await app.close();
await store.close();
removeDb(workFile);
