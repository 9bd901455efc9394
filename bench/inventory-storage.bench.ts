// Storage of the inventory: bytes of database growth per check-in of a Debian server with
// 300 processes (10 % of them busy: CPU and RSS move every check-in) and 2,000 installed
// packages plus its sockets, accounts, services and settings, unchanged or with one package
// upgraded per check-in, against a plain full copy of the same rows (every process, package
// and item of every report as a row) written in the same run and the same database. The
// lists are sent either sorted the way the API stores them (canonical JSON) or in the
// order the system tools give them (dpkg by package name, /etc/passwd order, ...).
// A host with processes only is the reference of the earlier storage benchmark.

import { openDatabase } from "../packages/api/src/store/database.ts";
import { openStore } from "../packages/api/src/store/sql-store.ts";
import { createTestDatabase, type TestEngine } from "../packages/api/test/helpers/databases.ts";
import { bytesUsed } from "./support/bytes.ts";
import {
  createFullCopyTable,
  createItemCopyTable,
  createPackageCopyTable,
  insertFullCopy,
  insertItemCopy,
  insertPackageCopy,
  otherItems,
} from "./support/full-copy.ts";
import { fmt, median, table } from "./support/harness.ts";
import { InventoryHost, type ListOrder } from "./support/inventory-host.ts";

const CHECK_INS = Number(process.env.BENCH_CHECK_INS ?? 200);
const PACKAGES = Number(process.env.BENCH_PACKAGES ?? 2000);
const engines = (process.env.BENCH_ENGINES ?? "sqlite,postgres,mysql").split(",") as TestEngine[];

const OURS = [
  "executions",
  "process_spans",
  "session_spans",
  "inventory_spans",
  "host_facts",
  "host_state",
  "hosts",
  "host_addresses",
  "current_names",
];
const COPY = ["full_copy", "full_copy_packages", "full_copy_items"];

interface Variant {
  label: string;
  inventory: boolean;
  order: ListOrder;
  upgrades: number;
}

const VARIANTS: Variant[] = [
  { label: "processes only (no inventory)", inventory: false, order: "native", upgrades: 0 },
  {
    label: "+ inventory, canonical order, unchanged",
    inventory: true,
    order: "canonical",
    upgrades: 0,
  },
  {
    label: "+ inventory, canonical order, 1 package upgraded",
    inventory: true,
    order: "canonical",
    upgrades: 1,
  },
  { label: "+ inventory, tools' order, unchanged", inventory: true, order: "native", upgrades: 0 },
  {
    label: "+ inventory, tools' order, 1 package upgraded",
    inventory: true,
    order: "native",
    upgrades: 1,
  },
];

async function run(engine: TestEngine): Promise<(string | number)[][]> {
  const database = await createTestDatabase(engine);
  const store = openStore({ url: database.url });
  const inspect = openDatabase(database.url, { poolSize: 2 });
  const db = inspect.db;
  try {
    await store.migrate();
    await createFullCopyTable(db, engine, "full_copy");
    await createPackageCopyTable(db, "full_copy_packages");
    await createItemCopyTable(db, engine, "full_copy_items");
    const rows: (string | number)[][] = [];
    for (const [v, variant] of VARIANTS.entries()) {
      const host = new InventoryHost(`storage-${v}`, {
        processes: 300,
        packages: PACKAGES,
        seed: 11 + v,
        start: Date.parse("2026-01-01T00:00:00Z"),
        order: variant.order,
      });
      const { hostId } = await store.enrollHost({
        identifier: host.identifier,
        hostname: host.identifier,
        nodeKeyHash: host.identifier,
        source: "agent",
      });
      const next = () => {
        if (variant.upgrades > 0) host.upgradeRandom(variant.upgrades);
        const r = host.next(0);
        if (!variant.inventory) {
          delete r.packages;
          delete r.listening;
          delete r.accounts;
          delete r.services;
          delete r.settings;
        }
        return r;
      };
      const ingestMs: number[] = [];
      const copyMs: number[] = [];
      const checkIn = async () => {
        const r = next();
        let t0 = performance.now();
        await store.ingest(hostId, r, Date.now());
        ingestMs.push(performance.now() - t0);
        t0 = performance.now();
        await insertFullCopy(db, engine, "full_copy", r.report_id, r.processes);
        await insertPackageCopy(db, engine, "full_copy_packages", r.report_id, r.packages ?? []);
        await insertItemCopy(db, engine, "full_copy_items", r.report_id, otherItems(r));
        copyMs.push(performance.now() - t0);
      };
      // Warm up: the first check-in of a host stores everything in both layouts.
      await checkIn();
      ingestMs.length = 0;
      copyMs.length = 0;
      const ours0 = await bytesUsed(db, engine, OURS);
      const copy0 = await bytesUsed(db, engine, COPY);
      for (let i = 0; i < CHECK_INS; i++) await checkIn();
      const ours = ((await bytesUsed(db, engine, OURS)) - ours0) / CHECK_INS;
      const full = ((await bytesUsed(db, engine, COPY)) - copy0) / CHECK_INS;
      rows.push([
        engine,
        variant.label,
        fmt(ours, 0),
        fmt(full, 0),
        `${fmt(full / ours, 0)}×`,
        fmt(median(ingestMs), 1),
        fmt(median(copyMs), 1),
        variant.upgrades === 0 ? (ours < 1024 ? "✓ < 1 KB" : "✗ > 1 KB") : "",
      ]);
      process.stderr.write(`${engine}: ${variant.label} done\n`);
    }
    return rows;
  } finally {
    await inspect.close();
    await store.close();
    await database.drop();
  }
}

const rows: (string | number)[][] = [];
for (const engine of engines) rows.push(...(await run(engine)));
console.log(
  `\n### Storage per check-in: 300 processes (10 % busy) and ${PACKAGES} packages, ${CHECK_INS} check-ins per row\n`,
);
console.log(
  table(
    [
      "engine",
      "host",
      "ours bytes/check-in",
      "full copy bytes/check-in",
      "full copy / ours",
      "ingest ms (median)",
      "full-copy insert ms (median)",
      "goal",
    ],
    rows,
  ),
);
