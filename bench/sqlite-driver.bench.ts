// SQLite drivers side by side: node:sqlite (built into Node, what the API ships) against
// better-sqlite3 (a native module compiled or unpacked at install), in one process, the
// same workloads interleaved round after round, medians and the ratio. Whether the native
// driver is worth its install is decided on these numbers.
//
// BENCH_BETTER_SQLITE3=/path/to/node_modules/better-sqlite3 names the native driver; without
// it (or when it does not load) node:sqlite is measured alone and the table says why.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { SqliteOpener } from "../packages/api/src/store/database.ts";
import { openStore } from "../packages/api/src/store/sql-store.ts";
import { openSqlite, type SqliteConnection } from "../packages/api/src/store/sqlite-driver.ts";
import { loadBetterSqlite3 } from "./support/better-sqlite3.ts";
import { ChurningHost } from "./support/churn.ts";
import { fmt, median, table } from "./support/harness.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const TRANSACTIONS = Number(process.env.BENCH_TRANSACTIONS ?? 20);
const SELECTS = Number(process.env.BENCH_SELECTS ?? 5_000);
const RANGES = Number(process.env.BENCH_RANGES ?? 200);
const CHECK_INS = Number(process.env.BENCH_CHECK_INS ?? 40);
const ROWS = 300;
const SELECT_TABLE_ROWS = 10_000;

interface Driver {
  name: string;
  open: SqliteOpener;
}

const native = loadBetterSqlite3(process.env.BENCH_BETTER_SQLITE3);
const drivers: Driver[] = [{ name: "node:sqlite", open: openSqlite }];
if (native.loaded) drivers.push({ name: "better-sqlite3", open: native.open });

const dir = mkdtempSync(join(tmpdir(), "compliance-bench-sqlite-driver-"));
/** Everything opened, closed before the directory is removed. */
const opened: { close(): void | Promise<void> }[] = [];

/** One workload on one driver: a sample is the mean cost of one operation in one round. */
interface Workload {
  label: string;
  unit: "ms" | "µs";
  run(): Promise<number>;
}

/** Row values a process contributes, in column order. */
function processRow(seed: number): unknown[] {
  const name = ["nginx", "postgres", "sshd", "cron", "node", "python3", "java", "redis-server"][
    seed % 8
  ]!;
  return [
    `report-${Math.floor(seed / ROWS)}`,
    100 + (seed % ROWS),
    1,
    name,
    seed % 3 === 0 ? "www-data" : "root",
    (seed % 500) / 100,
    (2_000 + (seed % 97) * 311) * 1024,
    "2026-01-01T00:00:00.000Z",
    `/usr/bin/${name} --worker ${seed} --config /etc/${name}/${name}.conf`,
  ];
}

const CREATE_ROWS = `create table if not exists process_rows (
  id integer primary key, report text not null, pid integer not null, ppid integer not null,
  name text not null, user_name text not null, cpu_percent real not null,
  rss_bytes integer not null, started_at text, cmdline text)`;
const INSERT_ROW =
  "insert into process_rows (report, pid, ppid, name, user_name, cpu_percent, rss_bytes, started_at, cmdline) values (?, ?, ?, ?, ?, ?, ?, ?, ?)";

/**
 * A connection as the store configures its writer, synchronous=NORMAL: with FULL each
 * commit waits for an fsync that costs both drivers the same and, on a shared disk, varies
 * more than the drivers differ.
 */
function openRaw(driver: Driver, file: string): SqliteConnection {
  const connection = driver.open(join(dir, file), { readOnly: false });
  opened.push(connection);
  connection.pragma("journal_mode = WAL");
  connection.pragma("synchronous = NORMAL");
  connection.pragma("cache_size = -65536");
  connection.pragma("mmap_size = 1073741824");
  connection.prepare(CREATE_ROWS).run([]);
  return connection;
}

const slug = (driver: Driver) => driver.name.replace(/\W/g, "-");

/** 300 rows in one transaction, the insert statement from the cache. */
function rawInsert(driver: Driver): Workload {
  const connection = openRaw(driver, `insert-${slug(driver)}.db`);
  let seed = 0;
  return {
    label: `raw insert: ${ROWS} rows in one transaction`,
    unit: "ms",
    async run() {
      const start = performance.now();
      for (let t = 0; t < TRANSACTIONS; t++) {
        connection.prepare("begin").run([]);
        const insert = connection.prepare(INSERT_ROW);
        for (let i = 0; i < ROWS; i++) insert.run(processRow(seed++));
        connection.prepare("commit").run([]);
      }
      return (performance.now() - start) / TRANSACTIONS;
    },
  };
}

/** A table of SELECT_TABLE_ROWS process rows, written in one transaction. */
function filled(driver: Driver, file: string): SqliteConnection {
  const connection = openRaw(driver, file);
  connection.prepare("begin").run([]);
  const insert = connection.prepare(INSERT_ROW);
  for (let i = 0; i < SELECT_TABLE_ROWS; i++) insert.run(processRow(i));
  connection.prepare("commit").run([]);
  return connection;
}

/** One row by primary key, all its columns, ids in the same pseudo-random order. */
function pointSelect(driver: Driver): Workload {
  const connection = filled(driver, `select-${slug(driver)}.db`);
  return {
    label: "point select by primary key",
    unit: "µs",
    async run() {
      let id = 1;
      let found = 0;
      const start = performance.now();
      for (let i = 0; i < SELECTS; i++) {
        id = ((id * 48_271) % 2_147_483_647) % SELECT_TABLE_ROWS;
        found += connection.prepare("select * from process_rows where id = ?").all([id + 1]).length;
      }
      const elapsed = performance.now() - start;
      if (found !== SELECTS) throw new Error(`${driver.name}: ${found} of ${SELECTS} rows found`);
      return (elapsed * 1000) / SELECTS;
    },
  };
}

/**
 * 300 rows by an index, all their columns: what a changed check-in does when it loads the
 * host's running processes, where the drivers' cost of building rows shows.
 */
function rangeSelect(driver: Driver): Workload {
  const connection = filled(driver, `range-${slug(driver)}.db`);
  connection
    .prepare("create index if not exists process_rows_report on process_rows (report)")
    .run([]);
  // Only whole reports: each read finds exactly ROWS rows.
  const reports = Math.floor(SELECT_TABLE_ROWS / ROWS);
  return {
    label: `range select: ${ROWS} rows by an index`,
    unit: "µs",
    async run() {
      let found = 0;
      const start = performance.now();
      for (let i = 0; i < RANGES; i++) {
        found += connection
          .prepare("select * from process_rows where report = ? order by pid")
          .all([`report-${i % reports}`]).length;
      }
      const elapsed = performance.now() - start;
      if (found !== RANGES * ROWS) throw new Error(`${driver.name}: ${found} rows found`);
      return (elapsed * 1000) / RANGES;
    },
  };
}

/**
 * Check-ins stored through the API's store (group commit, the writer's pragmas, the
 * repositories' queries) over the driver, one host of 300 processes, awaited one by one.
 */
async function storeCheckIns(
  driver: Driver,
  synchronous: "FULL" | "NORMAL",
  changed: number,
): Promise<Workload> {
  const store = openStore({
    url: `sqlite:${join(dir, `store-${slug(driver)}-${synchronous}-${changed}.db`)}`,
    sqliteSynchronous: synchronous,
    sqliteDriver: driver.open,
  });
  opened.push(store);
  await store.migrate();
  // The same seed on every driver: both stores receive the same processes.
  const host = new ChurningHost(`bench-${changed}`, ROWS, Date.parse("2026-01-01T00:00:00Z"), 7);
  const { hostId } = await store.enrollHost({
    identifier: host.identifier,
    hostname: host.identifier,
    nodeKeyHash: host.identifier,
    source: "agent",
  });
  // The first check-in stores every process; the ones measured store the changes.
  await store.ingest(hostId, host.next(0), Date.now());
  const what = changed === 0 ? "unchanged" : `${changed} processes replaced`;
  return {
    label: `store check-in, ${what} (synchronous=${synchronous})`,
    unit: "ms",
    async run() {
      const reports = Array.from({ length: CHECK_INS }, () => host.next(changed));
      const start = performance.now();
      for (const report of reports) await store.ingest(hostId, report, Date.now());
      return (performance.now() - start) / CHECK_INS;
    },
  };
}

try {
  // workloads[w][d]: workload w on driver d.
  const workloads: Workload[][] = [];
  workloads.push(drivers.map(rawInsert));
  workloads.push(drivers.map(pointSelect));
  workloads.push(drivers.map(rangeSelect));
  for (const synchronous of ["FULL", "NORMAL"] as const)
    for (const changed of [0, 5]) {
      const row: Workload[] = [];
      for (const driver of drivers) row.push(await storeCheckIns(driver, synchronous, changed));
      workloads.push(row);
    }

  // samples[w][d][round]
  const samples = workloads.map((row) => row.map(() => [] as number[]));
  // A first pass warms the JIT and the page caches and is not counted.
  for (const row of workloads) for (const w of row) await w.run();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [w, row] of workloads.entries()) {
      // Alternate which driver goes first, so neither always runs on a warmer machine.
      const order = row.map((_, d) => d);
      if (round % 2 === 1) order.reverse();
      for (const d of order) samples[w]![d]!.push(await row[d]!.run());
    }
  }

  console.log(
    `\n### SQLite drivers: Node ${process.version}, ${ROUNDS} interleaved rounds, medians\n`,
  );
  const probe = openSqlite(":memory:", { readOnly: false });
  const builtIn = probe.prepare("select sqlite_version() as v").all([])[0] as { v: string };
  probe.close();
  console.log(`node:sqlite: SQLite ${builtIn.v}, built into Node`);
  if (native.loaded)
    console.log(`better-sqlite3: ${native.version}, SQLite ${native.sqliteVersion}`);
  else console.log(`better-sqlite3: comparison not run: ${native.reason}`);
  console.log(
    `\nper round: ${TRANSACTIONS} transactions, ${SELECTS} point and ${RANGES} range selects, ${CHECK_INS} check-ins per store\n`,
  );

  const rows = workloads.map((row, w) => {
    const [ours, theirs] = samples[w]!;
    const digits = row[0]!.unit === "µs" ? 2 : 3;
    const mine = median(ours!);
    if (!theirs) return [row[0]!.label, row[0]!.unit, fmt(mine, digits), "not run", ""];
    // Each round's ratio pairs samples taken moments apart: its spread shows the noise.
    const paired = ours!.map((x, i) => x / theirs[i]!);
    const spread = `${fmt(Math.min(...paired), 2)}–${fmt(Math.max(...paired), 2)}`;
    return [
      row[0]!.label,
      row[0]!.unit,
      fmt(mine, digits),
      fmt(median(theirs), digits),
      `${fmt(mine / median(theirs), 2)}× (rounds ${spread})`,
    ];
  });
  console.log(
    table(
      ["workload", "unit", "node:sqlite", "better-sqlite3", "node:sqlite / better-sqlite3"],
      rows,
    ),
  );
} finally {
  for (const o of opened) await o.close();
  rmSync(dir, { recursive: true, force: true });
}
