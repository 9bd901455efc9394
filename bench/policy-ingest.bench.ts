// Policies at ingest: what evaluating 50 enabled policies (the 23 of the starter pack and
// 27 more over processes, packages and services) adds to storing a check-in. Two databases
// on the same engine, one with the policies and one without, receive the very same reports
// through the API's ingest service (IngestService.save: the evaluator runs inside the
// report's transaction, results are stored as runs). Hosts check in concurrently, as
// through the API; the database that goes first alternates by round. Each host is a Debian
// server with 300 processes, 2,000 packages, its sockets, accounts, services and settings.
import type { Report } from "@compliance/contract";
import { type App, buildApp } from "../packages/api/src/app.ts";
import { hashSecret } from "../packages/api/src/auth.ts";
import { loadConfig } from "../packages/api/src/config.ts";
import { loadStarterPolicies } from "../packages/api/src/policies/index.ts";
import { openStore } from "../packages/api/src/store/sql-store.ts";
import type { Store } from "../packages/api/src/store/store.ts";
import { createTestDatabase, type TestEngine } from "../packages/api/test/helpers/databases.ts";
import { generatedPolicies } from "./support/bench-policies.ts";
import { fmt, median, percentile, table } from "./support/harness.ts";
import { InventoryHost } from "./support/inventory-host.ts";

const HOSTS = Number(process.env.BENCH_HOSTS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const PACKAGES = Number(process.env.BENCH_PACKAGES ?? 2000);
const POLICIES = 50;
const engines = (process.env.BENCH_ENGINES ?? "sqlite,postgres").split(",") as TestEngine[];

interface Side {
  label: string;
  app: App;
  store: Store;
  hostIds: number[];
  close(): Promise<void>;
}

async function side(engine: TestEngine, label: string, withPolicies: boolean): Promise<Side> {
  const database = await createTestDatabase(engine);
  // A connection per concurrent host (PostgreSQL): none waits for the pool.
  const store = openStore({ url: database.url, poolSize: HOSTS + 2 });
  await store.migrate();
  const app = await buildApp({
    store,
    config: loadConfig({}),
    secrets: {
      adminTokenHash: hashSecret("bench-admin-token-0123456789"),
      enrollSecretHash: hashSecret("unused-unused-unused"),
    },
  });
  if (withPolicies) {
    const starter = loadStarterPolicies();
    await app.services.policies.sync(starter, "starter");
    for (const p of generatedPolicies(POLICIES - starter.length)) {
      await app.services.policies.put(p, "api");
    }
    // The evaluation jobs of the new policies find no history yet.
    await app.services.jobs.runPending();
    const active = await app.services.policies.active();
    if (active.length !== POLICIES) throw new Error(`${active.length} policies enabled`);
  }
  const hostIds: number[] = [];
  for (let i = 0; i < HOSTS; i++) {
    const { hostId } = await store.enrollHost({
      identifier: `policy-ingest-${i}`,
      hostname: `policy-ingest-${i}`,
      nodeKeyHash: `policy-ingest-${i}`,
      source: "agent",
    });
    hostIds.push(hostId);
  }
  return {
    label,
    app,
    store,
    hostIds,
    close: async () => {
      await app.close();
      await store.close();
      await database.drop();
    },
  };
}

/** Stores one report per host, concurrently; returns ms per check-in and CPU ms per check-in. */
async function checkIn(s: Side, reports: Report[]): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(reports.map((r, i) => s.app.services.ingest.save(s.hostIds[i]!, r)));
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall: wall / reports.length, cpu: (c.user + c.system) / 1000 / reports.length };
}

async function run(engine: TestEngine): Promise<(string | number)[][]> {
  const without = await side(engine, "without", false);
  const withP = await side(engine, "with", true);
  try {
    const hosts = Array.from(
      { length: HOSTS },
      (_, i) =>
        new InventoryHost(`policy-ingest-${i}`, {
          processes: 300,
          packages: PACKAGES,
          seed: 31 + i,
          start: Date.parse("2026-01-01T00:00:00Z"),
          order: "canonical",
        }),
    );
    // First check-ins store everything; not timed.
    const first = hosts.map((h) => h.next(0));
    await checkIn(without, first);
    await checkIn(withP, first);
    // The evaluation alone, on the same reports (pure: no I/O).
    const evaluate = withP.app.services.policies.evaluator(
      await withP.app.services.policies.active(),
    );
    const rows: (string | number)[][] = [];
    for (const [label, change] of [
      ["unchanged", (_h: InventoryHost) => 0],
      ["3 processes replaced", (_h: InventoryHost) => 3],
      [
        "1 package upgraded",
        (h: InventoryHost) => {
          h.upgradeRandom(1);
          return 0;
        },
      ],
    ] as const) {
      const times = { with: [] as number[], without: [] as number[] };
      const cpu = { with: [] as number[], without: [] as number[] };
      const ratios: number[] = [];
      const evalMs: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const reports = hosts.map((h) => h.next(change(h)));
        const t0 = performance.now();
        for (const r of reports) evaluate(r, Date.parse(r.collected_at) - 300_000);
        evalMs.push((performance.now() - t0) / reports.length);
        const order = round % 2 === 0 ? [withP, without] : [without, withP];
        const got = new Map<Side, { wall: number; cpu: number }>();
        for (const s of order) got.set(s, await checkIn(s, reports));
        const w = got.get(withP)!;
        const wo = got.get(without)!;
        times.with.push(w.wall);
        times.without.push(wo.wall);
        cpu.with.push(w.cpu);
        cpu.without.push(wo.cpu);
        ratios.push(w.wall / wo.wall);
      }
      const added = median(ratios) - 1;
      rows.push([
        engine,
        label,
        fmt(median(times.without), 2),
        fmt(median(times.with), 2),
        `${fmt(100 * added, 0)} % (${fmt(100 * (percentile(ratios, 25) - 1), 0)} … ${fmt(100 * (percentile(ratios, 75) - 1), 0)} %)`,
        fmt(median(cpu.without), 2),
        fmt(median(cpu.with), 2),
        `${fmt(100 * (median(cpu.with) / median(cpu.without) - 1), 0)} %`,
        fmt(median(evalMs), 2),
        added < 0.2 ? "✓ < 20 %" : "✗ > 20 %",
      ]);
      process.stderr.write(`${engine}: ${label} done\n`);
    }
    return rows;
  } finally {
    await withP.close();
    await without.close();
  }
}

const HEADERS = [
  "engine",
  "check-ins",
  "ms/check-in without",
  "ms/check-in with",
  "added (median of rounds, quartiles)",
  "CPU ms without",
  "CPU ms with",
  "CPU added",
  "evaluation alone ms",
  "goal",
];
console.log(
  `\n### Ingest with ${POLICIES} policies enabled against none: ${HOSTS} hosts checking in concurrently, ${ROUNDS} rounds per row, 300 processes and ${PACKAGES} packages per host\n`,
);
const rows: (string | number)[][] = [];
for (const engine of engines) {
  rows.push(...(await run(engine)));
  // Each engine's rows as soon as they are known; the whole table at the end.
  process.stderr.write(`${table(HEADERS, rows)}\n`);
}
console.log(table(HEADERS, rows));
