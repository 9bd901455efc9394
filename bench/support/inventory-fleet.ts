import { spawn } from "node:child_process";
import { existsSync, renameSync, rmSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { buildApp } from "../../packages/api/src/app.ts";
import { hashSecret } from "../../packages/api/src/auth.ts";
import { loadConfig } from "../../packages/api/src/config.ts";
import { loadStarterPolicies } from "../../packages/api/src/policies/index.ts";
import { openStore } from "../../packages/api/src/store/sql-store.ts";
import { InventoryHost } from "./inventory-host.ts";
import { seeded } from "./seeded.ts";

/**
 * A fleet of Debian servers with every inventory section, generated deterministically
 * (seeded: the same fleet whatever the machine or the number of build processes) and stored
 * through the API's ingest with the starter policies enabled, one execution per host every
 * 5 minutes:
 *
 * - processes churn as in the fleet benchmark (40 % of check-ins replace 1–4 processes);
 * - OpenSSL starts at 3.0.9-1 (20 % of hosts), 3.0.11-1~deb12u2 (40 %), 3.0.13-1~deb12u1
 *   (25 %) or 3.0.15-1~deb12u1 (15 %), libssl3 alike; 70 % of hosts run an upgrade once at
 *   a random execution (OpenSSL to 3.0.15-1~deb12u1 and 5–20 other packages), 20 % a
 *   second, smaller one;
 * - drift for the policies to find: root logins allowed on 10 % of hosts (half fix it),
 *   password logins on 25 %, IP forwarding on 5 %, auditd stopped on 3 %, telnet listening
 *   on 2 % for a while, a miner running from /tmp on 1 % for a while, SSH on port 2222 on 5 %.
 */
export interface FleetShape {
  hosts: number;
  executions: number;
  processes: number;
  packages: number;
}

export const FLEET_START = Date.parse("2026-01-01T00:00:00Z");
export const FLEET_INTERVAL = 300_000;
/** Host i starts this many ms after host i − 1. */
export const FLEET_STAGGER = 137;

const OPENSSL_START: [number, string][] = [
  [0.2, "3.0.9-1"],
  [0.6, "3.0.11-1~deb12u2"],
  [0.85, "3.0.13-1~deb12u1"],
  [1, "3.0.15-1~deb12u1"],
];
const OPENSSL_FIXED = "3.0.15-1~deb12u1";

/** What happens to one host, and when (execution numbers). */
interface Script {
  upgradeAt: number | null;
  upgradeSize: number;
  secondUpgradeAt: number | null;
  rootLoginFixedAt: number | null;
  telnet: [number, number] | null;
  miner: [number, number] | null;
}

function prepareHost(i: number, shape: FleetShape): { host: InventoryHost; script: Script } {
  const rng = seeded(100_003 + i * 31);
  const at = () => 1 + Math.floor(rng() * (shape.executions - 1));
  const host = new InventoryHost(`inv-${String(i).padStart(5, "0")}`, {
    processes: shape.processes,
    packages: shape.packages,
    seed: i + 1,
    start: FLEET_START + i * FLEET_STAGGER,
    order: "canonical",
  });
  const draw = rng();
  const openssl = OPENSSL_START.find(([p]) => draw < p)![1];
  host.setVersion("openssl", openssl);
  host.setVersion("libssl3", openssl);
  const script: Script = {
    upgradeAt: rng() < 0.7 ? at() : null,
    upgradeSize: 5 + Math.floor(rng() * 16),
    secondUpgradeAt: rng() < 0.2 ? at() : null,
    rootLoginFixedAt: null,
    telnet: null,
    miner: null,
  };
  if (rng() < 0.1) {
    host.setSshd("permitrootlogin", "yes");
    if (rng() < 0.5) script.rootLoginFixedAt = at();
  }
  if (rng() < 0.25) host.setSshd("passwordauthentication", "yes");
  if (rng() < 0.05) host.setSysctl("net.ipv4.ip_forward", "1");
  if (rng() < 0.03) {
    host.services = host.services.map((s) =>
      s.name === "auditd.service" ? { ...s, state: "inactive" } : s,
    );
  }
  if (rng() < 0.02) {
    const from = at();
    script.telnet = [from, from + 50 + Math.floor(rng() * 100)];
  }
  if (rng() < 0.01) {
    const from = at();
    script.miner = [from, from + 20 + Math.floor(rng() * 40)];
  }
  if (rng() < 0.05) {
    host.setSshd("port", "2222");
    host.listening = host.listening.map((l) => (l.port === 22 ? { ...l, port: 2222 } : l));
  }
  return { host, script };
}

/** Applies what the script says happens at execution e. */
function play(host: InventoryHost, script: Script, e: number): void {
  if (e === script.upgradeAt) {
    for (const name of ["openssl", "libssl3"]) host.setVersion(name, OPENSSL_FIXED);
    host.upgradeRandom(script.upgradeSize);
  }
  if (e === script.secondUpgradeAt) host.upgradeRandom(3 + (e % 6));
  if (e === script.rootLoginFixedAt) host.setSshd("permitrootlogin", "no");
  if (script.telnet && e === script.telnet[0]) {
    host.listening = [
      ...host.listening,
      { protocol: "tcp", address: "0.0.0.0", port: 23, pid: 700, process: "inetd" },
    ];
  }
  if (script.telnet && e === script.telnet[1]) {
    host.listening = host.listening.filter((l) => l.port !== 23);
  }
  if (script.miner && e === script.miner[0]) {
    host.extraProcesses = [
      {
        pid: 66_666,
        ppid: 1,
        name: "xmrig",
        user: "www-data",
        cpu_percent: 390,
        rss_bytes: 2_400_000_000,
        cmdline: "/tmp/.x/xmrig -o stratum+tcp://pool.example:3333 -u 4A",
      },
    ];
  }
  if (script.miner && e === script.miner[1]) host.extraProcesses = [];
}

/** How many hosts of the fleet each part of the scenario concerns. */
export function describeFleet(shape: FleetShape): Record<string, number> {
  const counts: Record<string, number> = {
    "OpenSSL < 3.0.13 at the start": 0,
    "OpenSSL < 3.0.13 at the end": 0,
    "an upgrade": 0,
    "a second upgrade": 0,
    "root logins allowed at the start": 0,
    "root logins allowed at the end": 0,
    "password logins": 0,
    "IP forwarding": 0,
    "auditd stopped": 0,
    "telnet for a while": 0,
    "a miner for a while": 0,
    "SSH on port 2222": 0,
  };
  const vulnerable = (v: string | undefined) => v === "3.0.9-1" || v === "3.0.11-1~deb12u2";
  for (let i = 0; i < shape.hosts; i++) {
    const { host, script } = prepareHost(i, shape);
    const count = (key: string, yes: boolean) => {
      if (yes) counts[key]!++;
    };
    count("OpenSSL < 3.0.13 at the start", vulnerable(host.versionOf("openssl")));
    count(
      "OpenSSL < 3.0.13 at the end",
      vulnerable(host.versionOf("openssl")) && script.upgradeAt === null,
    );
    count("an upgrade", script.upgradeAt !== null);
    count("a second upgrade", script.secondUpgradeAt !== null);
    const rootLogin = host.settings.sshd?.permitrootlogin === "yes";
    count("root logins allowed at the start", rootLogin);
    count("root logins allowed at the end", rootLogin && script.rootLoginFixedAt === null);
    count("password logins", host.settings.sshd?.passwordauthentication === "yes");
    count("IP forwarding", host.settings.sysctl?.["net.ipv4.ip_forward"] === "1");
    count(
      "auditd stopped",
      host.services.some((s) => s.name === "auditd.service" && s.state !== "active"),
    );
    count("telnet for a while", script.telnet !== null);
    count("a miner for a while", script.miner !== null);
    count("SSH on port 2222", host.settings.sshd?.port === "2222");
  }
  return counts;
}

/** What one shard's build took. */
export interface ShardTimes {
  hosts: number;
  executions: number;
  seconds: number;
  cpuSeconds: number;
}

/**
 * Builds hosts [from, to) of the fleet into their own SQLite file, through the API's ingest
 * service with the starter pack enabled (as a server loads it at start), so that every
 * execution is evaluated and its statuses stored as it arrives. The clock is the fleet's.
 */
export async function buildShard(
  file: string,
  shape: FleetShape,
  from: number,
  to: number,
  log: (line: string) => void,
): Promise<ShardTimes> {
  for (const f of ["", "-wal", "-shm"]) rmSync(`${file}${f}`, { force: true });
  let clock = FLEET_START;
  const now = () => clock;
  // Only building: the measurements open the merged file with the API's own settings.
  const store = openStore({ url: `sqlite:${file}`, sqliteSynchronous: "NORMAL", now });
  await store.migrate();
  const app = await buildApp({
    store,
    config: loadConfig({}),
    secrets: {
      adminTokenHash: hashSecret("unused-unused-1"),
      enrollSecretHash: hashSecret("unused-unused-2"),
    },
    now,
  });
  await app.services.policies.sync(loadStarterPolicies(), "starter");
  await app.services.jobs.runPending();
  const hosts: { id: number; host: InventoryHost; script: Script; churn: () => number }[] = [];
  for (let i = from; i < to; i++) {
    const { host, script } = prepareHost(i, shape);
    const { hostId } = await store.enrollHost({
      identifier: host.identifier,
      hostname: host.identifier,
      nodeKeyHash: host.identifier,
      source: "agent",
    });
    hosts.push({ id: hostId, host, script, churn: seeded(500_009 + i) });
  }
  const began = performance.now();
  const cpu0 = process.cpuUsage();
  const BATCH = 50;
  for (let e = 0; e < shape.executions; e++) {
    for (let b = 0; b < hosts.length; b += BATCH) {
      const batch = hosts.slice(b, b + BATCH).map(({ id, host, script, churn }) => {
        play(host, script, e);
        // 40 % of check-ins see 1–4 processes end and others start; the rest see none.
        const changed = churn() < 0.4 ? 1 + Math.floor(churn() * 4) : 0;
        return { id, report: host.next(e === 0 ? 0 : changed, FLEET_INTERVAL) };
      });
      clock = Math.max(...batch.map(({ report }) => Date.parse(report.collected_at))) + 1000;
      // Hosts check in concurrently, as through the API: SQLite commits them in groups.
      await Promise.all(batch.map(({ id, report }) => app.services.ingest.save(id, report)));
    }
    if (e % 50 === 49) {
      const done = (e + 1) * hosts.length;
      const seconds = (performance.now() - began) / 1000;
      log(
        `hosts ${from}–${to - 1}: ${done} executions in ${seconds.toFixed(0)} s (${(done / seconds).toFixed(0)}/s)`,
      );
    }
  }
  const cpu = process.cpuUsage(cpu0);
  await app.close();
  await store.close();
  return {
    hosts: hosts.length,
    executions: hosts.length * shape.executions,
    seconds: (performance.now() - began) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/** Columns that refer to another table's id: shifted with that table's rows. */
const REFERENCES: Record<string, string> = {
  host_id: "hosts",
  facts_id: "host_facts",
  latest_execution_id: "executions",
  execution_id: "executions",
};
/** Columns named like references that are not numeric ids. */
const NOT_REFERENCES = new Set(["report_id", "policy_id"]);
/** Tables of every shard's hosts, copied with their ids shifted. */
const PER_HOST = [
  "hosts",
  "host_facts",
  "executions",
  "host_state",
  "host_addresses",
  "current_names",
  "process_spans",
  "session_spans",
  "inventory_spans",
  "policy_runs",
  "policy_events",
];
/** Tables every shard holds alike (the policies), or that the build leaves to no purpose (jobs). */
const SHARED = new Set([
  "policies",
  "policy_versions",
  "jobs",
  "settings",
  "api_tokens",
  // The policies' synchronisation, written alike by every shard.
  "audit_log",
]);

/**
 * Merges shards into the first one: each other shard's rows are appended with their ids
 * (and the references to them) shifted past those already there. Refuses tables and
 * reference columns it does not know, so that a schema change is noticed here.
 */
export function mergeShards(target: string, others: string[]): void {
  const db = new DatabaseSync(target);
  db.exec("pragma journal_mode = WAL");
  db.exec("pragma synchronous = NORMAL");
  const maxId = (table: string) =>
    Number(
      (db.prepare(`select coalesce(max(id), 0) as n from main.${table}`).get() as { n: number }).n,
    );
  for (const shard of others) {
    db.exec(`attach database '${shard.replaceAll("'", "''")}' as shard`);
    const tables = (
      db.prepare("select name from shard.sqlite_master where type = 'table'").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    for (const t of tables) {
      if (
        PER_HOST.includes(t) ||
        SHARED.has(t) ||
        t.startsWith("sqlite_") ||
        t.startsWith("kysely_")
      )
        continue;
      const n = (db.prepare(`select count(*) as n from shard.${t}`).get() as { n: number }).n;
      if (n > 0) throw new Error(`merging shards: table ${t} has rows and no merge rule`);
    }
    const columnsOf = (t: string) =>
      (db.prepare(`pragma shard.table_info(${t})`).all() as { name: string }[]).map((c) => c.name);
    const offsets = new Map<string, number>();
    for (const t of PER_HOST) if (columnsOf(t).includes("id")) offsets.set(t, maxId(t));
    db.exec("begin");
    for (const t of PER_HOST) {
      const columns = columnsOf(t);
      const expressions = columns.map((c) => {
        if (c === "id") return `id + ${offsets.get(t)!}`;
        if (c in REFERENCES) return `${c} + ${offsets.get(REFERENCES[c]!)!}`;
        if (c.endsWith("_id") && !NOT_REFERENCES.has(c)) {
          throw new Error(`merging shards: ${t}.${c} looks like a reference with no merge rule`);
        }
        return c;
      });
      db.exec(
        `insert into main.${t} (${columns.join(", ")}) select ${expressions.join(", ")} from shard.${t}`,
      );
    }
    db.exec("commit");
    db.exec("detach database shard");
  }
  db.exec("pragma wal_checkpoint(TRUNCATE)");
  db.close();
}

/**
 * Builds the fleet into `file` (SQLite) unless it is there already, in `shards` processes
 * at once (hosts split between them, each its own file), then merges them. Returns what
 * each shard took, or null when the file was there.
 */
export async function buildInventoryFleet(
  file: string,
  shape: FleetShape,
  shards: number,
  log: (line: string) => void,
): Promise<ShardTimes[] | null> {
  if (existsSync(file)) return null;
  const per = Math.ceil(shape.hosts / shards);
  const parts = Array.from({ length: shards }, (_, k) => ({
    file: `${file}.shard${k}`,
    from: k * per,
    to: Math.min(shape.hosts, (k + 1) * per),
  })).filter((p) => p.from < p.to);
  const entry = new URL("./inventory-fleet-shard.ts", import.meta.url).pathname;
  const times = await Promise.all(
    parts.map(
      (p) =>
        new Promise<ShardTimes>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            [
              "--conditions=source",
              "--import",
              "tsx",
              entry,
              p.file,
              String(p.from),
              String(p.to),
              JSON.stringify(shape),
            ],
            { stdio: ["ignore", "pipe", "inherit"] },
          );
          let out = "";
          child.stdout.on("data", (d: Buffer) => {
            out += d.toString("utf8");
          });
          child.once("exit", (code) =>
            code === 0
              ? resolve(JSON.parse(out) as ShardTimes)
              : reject(new Error(`shard ${p.from}–${p.to} exited with ${code}`)),
          );
        }),
    ),
  );
  log("merging shards");
  const [first, ...others] = parts;
  mergeShards(
    first!.file,
    others.map((p) => p.file),
  );
  renameSync(first!.file, file);
  for (const p of parts)
    for (const f of ["", "-wal", "-shm"]) rmSync(`${p.file}${f}`, { force: true });
  return times;
}
