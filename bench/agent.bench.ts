/**
 * The agent's footprint on a busy host, printed as markdown tables:
 *
 * 1. One collection cycle with ~1,300 processes against `ps -eo pid,ppid,user,pcpu,rss,comm`
 *    (what a ps-based agent pays), interleaved runs, medians and the ratio.
 * 2. The inventory sections (packages, listening sockets, accounts, services, settings)
 *    against `dpkg-query -W` plus `ss -tuln` run as whole processes, interleaved, medians
 *    and the ratio; each collector on its own; dpkg's status parse at 2,000 packages.
 * 3. One-shot `compliance-agent collect` (the bundled single file, plain `node`, start-up
 *    included) against the same `ps`, both as whole processes, interleaved; with Node's own
 *    start-up (`node -e 0`) and the bundle's (`--version`) beside them.
 * 4. The service (`compliance-agent run`, the bundled single file) over 200 fast cycles:
 *    its RSS at cycles 1, 50, 100, 150, 200 and the trend, and the CPU per cycle.
 *
 * Run: node --conditions=source --import tsx bench/agent.bench.ts [--cycles 200] [--runs 15]
 *      [--bundle <compliance-agent.js>]   measure that bundle instead of building one
 *      [--compare <compliance-agent.js>]  another bundle measured beside it (parts 3 and 4)
 *      [--skip-inventory]                  leave out part 2 (the slowest)
 * It starts idle `sleep` processes to reach ~1,300 processes and ends exactly those.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { systemClock } from "../packages/agent/src/clock.ts";
import { COLLECTORS } from "../packages/agent/src/collectors/index.ts";
import { DpkgStatusParser } from "../packages/agent/src/linux/dpkg.ts";
import { readInPieces } from "../packages/agent/src/linux/files.ts";
import { CpuBaseline, collectReport, collectSections } from "../packages/agent/src/report.ts";
import { Spool } from "../packages/agent/src/spool.ts";
import { INVENTORY_COLLECTORS } from "../packages/contract/src/collectors.ts";
import { AGENT_ENTRY, bundle } from "../scripts/bundle.mjs";

const { values } = parseArgs({
  options: {
    cycles: { type: "string", default: "200" },
    runs: { type: "string", default: "15" },
    processes: { type: "string", default: "1300" },
    bundle: { type: "string" },
    compare: { type: "string" },
    "skip-inventory": { type: "boolean", default: false },
  },
});
const CYCLES = Number(values.cycles);
const RUNS = Number(values.runs);
const TARGET_PROCESSES = Number(values.processes);
const CLOCK_TICKS = 100;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const fmt = (n: number, digits = 1) => n.toFixed(digits);
const processCount = () => readdirSync("/proc").filter((n) => /^\d+$/.test(n)).length;

/** utime+stime (own) and cutime+cstime (waited-for children) of this process, in seconds. */
function ownAndChildrenCpu(): { own: number; children: number } {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    own: (Number(f[11]) + Number(f[12])) / CLOCK_TICKS,
    children: (Number(f[13]) + Number(f[14])) / CLOCK_TICKS,
  };
}

function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
}

/** Resident memory of a process, all of it and its private (anonymous) part, in bytes. */
function memoryOf(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1]) * 1024;
  return { rss: kb("VmRSS"), anon: kb("RssAnon") };
}

/** The node flags and environment the systemd unit runs the agent with, to measure the same. */
function unitRuntime(): { flags: string[]; env: Record<string, string> } {
  const unit = readFileSync(
    join(import.meta.dirname, "..", "deploy", "agent", "compliance-agent.service"),
    "utf8",
  );
  const exec = /^ExecStart=\S+ (.*) \S+compliance-agent\.js run$/m.exec(unit)?.[1] ?? "";
  const env: Record<string, string> = {};
  for (const [, key, value] of unit.matchAll(/^Environment=(\w+)=(\S*)$/gm)) env[key!] = value!;
  return { flags: exec.split(" ").filter((word) => word.startsWith("--")), env };
}

/** Wall time of a whole process and the CPU it used (the kernel's children counters). */
async function wholeWithCpu(command: string, args: string[]) {
  const before = ownAndChildrenCpu().children;
  const r = await runWhole(command, args);
  return { ...r, cpuMs: (ownAndChildrenCpu().children - before) * 1000 };
}

/**
 * `compliance-agent collect` as an operator runs it once, start-up included, against `ps`:
 * the same sections as the collection compared above (no inventory, CPU as averages like
 * ps's pcpu), interleaved. Node's bare start-up and the bundle's (`--version`) show what
 * of the difference is start-up; `--compare` adds another bundle's rows (e.g. an older
 * build), measured in the same rounds.
 */
async function oneShotVersusPs(bundled: string, compare?: string) {
  const inventoryOff = INVENTORY_COLLECTORS.map((name) => `--no-${name}`);
  const agentRows = (file: string, label: string): [string, string, string[]][] => [
    [
      "collect",
      `\`node ${label} collect --cpu-window 0 --no-<inventory>\` (to exit, JSON read)`,
      [process.execPath, file, "collect", "--cpu-window", "0", ...inventoryOff],
    ],
    [
      "version",
      `\`node ${label} --version\` (the bundle's start-up)`,
      [process.execPath, file, "--version"],
    ],
  ];
  const rows: [string, string, string[]][] = [
    ...agentRows(bundled, "compliance-agent.js"),
    [
      "no-cmdline",
      "the same with `--no-cmdline` (no command lines to read and redact, as ps's `comm`)",
      [process.execPath, bundled, "collect", "--cpu-window", "0", "--no-cmdline", ...inventoryOff],
    ],
    ...(compare ? agentRows(compare, `${compare} (compared)`) : []),
    ["bare", "`node -e 0` (Node's own start-up)", [process.execPath, "-e", "0"]],
    ["ps", "`ps -eo pid,ppid,user,pcpu,rss,comm`", ["ps", "-eo", "pid,ppid,user,pcpu,rss,comm"]],
  ];
  const times = rows.map(() => [] as number[]);
  const cpu = rows.map(() => [] as number[]);
  for (const [, , [command, ...args]] of rows) await runWhole(command!, args);
  for (let i = 0; i < RUNS; i++) {
    for (const [n, [, , [command, ...args]]] of rows.entries()) {
      const r = await wholeWithCpu(command!, args);
      times[n]!.push(r.ms);
      cpu[n]!.push(r.cpuMs);
    }
  }
  const ms = (n: number) => median(times[n]!);
  const ps = rows.length - 1;
  const ratio = ms(0) / ms(ps);
  console.log(`## One-shot collect vs ps, whole processes (${RUNS} interleaved runs, medians)\n`);
  console.log("| what | wall ms | CPU ms | / ps (wall) |");
  console.log("|---|---:|---:|---:|");
  for (const [n, [, label]] of rows.entries()) {
    console.log(
      `| ${label} | ${fmt(ms(n))} | ${fmt(median(cpu[n]!))} | ${fmt(ms(n) / ms(ps), 2)}× |`,
    );
  }
  console.log(
    `\nStart-up of the bundle beyond Node's own: ${fmt(ms(1) - ms(ps - 1))} ms wall. CPU from the kernel's children counters (10 ms ticks).\n`,
  );
  return ratio;
}

/** `ps` as a ps-based agent runs it: spawn, read all of its output, wait for it. */
function runPs(): Promise<{ ms: number; lines: number }> {
  return runWhole("ps", ["-eo", "pid,ppid,user,pcpu,rss,comm"]);
}

/** A command as a whole process: spawn, read all of its output, wait for it. */
function runWhole(command: string, args: string[]): Promise<{ ms: number; lines: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "ignore"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", () =>
      resolve({ ms: performance.now() - started, lines: out.trimEnd().split("\n").length - 1 }),
    );
  });
}

const idle: ChildProcess[] = [];
async function startIdleProcesses(): Promise<number> {
  const wanted = Math.max(1000, TARGET_PROCESSES - processCount());
  for (let i = 0; i < wanted; i++) {
    idle.push(spawn("sleep", ["600"], { stdio: "ignore" }));
    if (i % 100 === 99) await sleep(10);
  }
  await sleep(300);
  return wanted;
}

function endIdleProcesses(): void {
  // Exactly the processes this benchmark started, by pid.
  for (const child of idle) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  }
}

async function collectionVersusPs(spoolDir: string) {
  const baseline = new CpuBaseline();
  const clock = systemClock();
  // Warm up: the first collection has no previous sample (and the JIT is cold). The
  // inventory sections are measured on their own below: this compares with ps.
  await collectReport({ cpuWindowMs: 0, cpuBaseline: baseline, clock, skip: INVENTORY_COLLECTORS });
  await runPs();
  const spool = new Spool({ dir: spoolDir, maxReports: 5, maxBytes: 100 * 1024 * 1024 }).open();
  const agentMs: number[] = [];
  const agentCpu: number[] = [];
  const cycleMs: number[] = [];
  const psMs: number[] = [];
  const psCpu: number[] = [];
  let processes = 0;
  let psLines = 0;
  let reportBytes = 0;
  for (let i = 0; i < RUNS; i++) {
    // Interleaved: the agent's collection, then ps, so both see the same machine.
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await collectReport({
      cpuWindowMs: 0,
      cpuBaseline: baseline,
      agentStats: false,
      clock,
      skip: INVENTORY_COLLECTORS,
    });
    const t1 = performance.now();
    const used = process.cpuUsage(cpu0);
    const body = JSON.stringify(report);
    spool.put(report.report_id, body);
    const t2 = performance.now();
    agentMs.push(t1 - t0);
    cycleMs.push(t2 - t0);
    agentCpu.push((used.user + used.system) / 1000);
    processes = report.processes.length;
    reportBytes = Buffer.byteLength(body);

    const before = ownAndChildrenCpu().children;
    const ps = await runPs();
    psMs.push(ps.ms);
    psCpu.push((ownAndChildrenCpu().children - before) * 1000);
    psLines = ps.lines;
  }
  return { agentMs, agentCpu, cycleMs, psMs, psCpu, processes, psLines, reportBytes };
}

const INVENTORY_REGISTRY = Object.fromEntries(
  INVENTORY_COLLECTORS.map((name) => [name, COLLECTORS[name]!]),
);

/** The inventory collectors once, with or without the others, and how long that took. */
async function timeInventory(collectors: typeof INVENTORY_REGISTRY) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { sections } = await collectSections({ cpuWindowMs: 0, clock: systemClock(), collectors });
  const used = process.cpuUsage(cpu0);
  return { ms: performance.now() - t0, cpuMs: (used.user + used.system) / 1000, sections };
}

/**
 * The new sections against what an agent that shells out would run for two of them:
 * `dpkg-query -W` and `ss -tuln`, as whole processes, interleaved with the agent.
 */
async function inventoryVersusTools() {
  await timeInventory(INVENTORY_REGISTRY);
  const agentMs: number[] = [];
  const agentCpu: number[] = [];
  const toolsMs: number[] = [];
  const toolsCpu: number[] = [];
  let counts = { packages: 0, listening: 0, accounts: 0, dpkgLines: 0, ssLines: 0 };
  for (let i = 0; i < RUNS; i++) {
    const agent = await timeInventory(INVENTORY_REGISTRY);
    agentMs.push(agent.ms);
    agentCpu.push(agent.cpuMs);
    const before = ownAndChildrenCpu().children;
    const dpkg = await runWhole("dpkg-query", ["-W"]);
    const ss = await runWhole("ss", ["-tuln"]);
    toolsMs.push(dpkg.ms + ss.ms);
    toolsCpu.push((ownAndChildrenCpu().children - before) * 1000);
    counts = {
      packages: agent.sections.packages?.length ?? 0,
      listening: agent.sections.listening?.length ?? 0,
      accounts: agent.sections.accounts?.length ?? 0,
      dpkgLines: dpkg.lines + 1,
      ssLines: ss.lines,
    };
  }
  const each: [string, number][] = [];
  for (const name of INVENTORY_COLLECTORS) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      times.push((await timeInventory({ [name]: COLLECTORS[name]! })).ms);
    }
    each.push([name, median(times)]);
  }
  const ssOwners: number[] = [];
  for (let i = 0; i < RUNS; i++) ssOwners.push((await runWhole("ss", ["-tulnp"])).ms);
  return { agentMs, agentCpu, toolsMs, toolsCpu, counts, each, ssOwnersMs: median(ssOwners) };
}

/**
 * dpkg's status file grown to `target` packages by repeating this machine's stanzas
 * renamed, written where the agent reads it from in the test: bytes kept as they are.
 */
function writeDpkgStatus(path: string, target: number): number {
  const stanzas = readFileSync("/var/lib/dpkg/status", "latin1").split(/\n\n+/).filter(Boolean);
  const out: string[] = [];
  for (let i = 0; out.length < target; i++) {
    out.push(stanzas[i % stanzas.length]!.replace(/^Package: (.*)$/m, `Package: $1-${i}`));
  }
  const bytes = Buffer.from(`${out.join("\n\n")}\n`, "latin1");
  writeFileSync(path, bytes);
  return bytes.length;
}

/** The collector's own way through the file: read in pieces, parsed as they come. */
function dpkgParseMs(
  dir: string,
  packages: number,
): { ms: number; cpuMs: number; bytes: number; parsed: number } {
  const path = join(dir, "dpkg-status");
  const bytes = writeDpkgStatus(path, packages);
  const readAndParse = () => {
    const parser = new DpkgStatusParser();
    readInPieces(path, (piece) => parser.push(piece));
    return parser.end().length;
  };
  readAndParse();
  const times: number[] = [];
  const cpu: number[] = [];
  let parsed = 0;
  for (let i = 0; i < RUNS; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    parsed = readAndParse();
    times.push(performance.now() - t0);
    const used = process.cpuUsage(cpu0);
    cpu.push((used.user + used.system) / 1000);
  }
  return { ms: median(times), cpuMs: median(cpu), bytes, parsed };
}

function printInventory(inv: Awaited<ReturnType<typeof inventoryVersusTools>>, dir: string) {
  const ratio = median(inv.agentMs) / median(inv.toolsMs);
  const { counts } = inv;
  console.log(`## Inventory sections vs dpkg-query + ss (${RUNS} interleaved runs, medians)\n`);
  console.log("| what | items | wall ms | CPU ms |");
  console.log("|---|---:|---:|---:|");
  console.log(
    `| agent: packages, listening, accounts, services, sysctl, sshd, files | ${counts.packages} packages, ${counts.listening} sockets, ${counts.accounts} accounts | ${fmt(median(inv.agentMs))} | ${fmt(median(inv.agentCpu))} |`,
  );
  console.log(
    `| \`dpkg-query -W\` + \`ss -tuln\` (spawn to exit, each) | ${counts.dpkgLines} packages, ${counts.ssLines} sockets | ${fmt(median(inv.toolsMs))} | ${fmt(median(inv.toolsCpu))} |`,
  );
  console.log(
    `| **ratio agent / (dpkg-query + ss) (wall)** | | **${fmt(ratio, 2)}×** | ${fmt(median(inv.agentCpu) / Math.max(median(inv.toolsCpu), 0.001), 2)}× |`,
  );
  console.log("\n| collector alone | wall ms (median) |\n|---|---:|");
  for (const [name, ms] of inv.each) console.log(`| ${name} | ${fmt(ms)} |`);
  console.log(
    `\n\`ss -tulnp\` (which finds the owning processes the way the listening collector does): ${fmt(inv.ssOwnersMs)} ms.`,
  );
  const parse = dpkgParseMs(dir, 2000);
  console.log(
    `\ndpkg status read and parse: ${parse.parsed} packages (${fmt(parse.bytes / 1024 / 1024, 2)} MiB) in ${fmt(parse.ms, 2)} ms wall, ${fmt(parse.cpuMs, 2)} ms CPU (medians).\n`,
  );
  return { ratio, parseMs: parse.ms, parseCpuMs: parse.cpuMs };
}

interface CycleSample {
  cycle: number;
  rssReported: number;
  rssKernel: number;
  anonKernel: number;
  cpuSeconds: number;
}

/**
 * The service against a sink that acknowledges every report at once (the API's own cost is
 * not the agent's): every report goes through the spool (fsync) and over HTTP.
 */
async function daemonCycles(
  bundle: string,
  stateDir: string,
  runtime: { flags: string[]; env: Record<string, string> },
) {
  const samples: CycleSample[] = [];
  let agentPid = 0;
  const sink = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      // Reports arrive gzipped, as the API takes them.
      const body = (req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString(
        "utf8",
      );
      res.setHeader("content-type", "application/json");
      if (req.url === "/api/v1/enroll") {
        res.end(JSON.stringify({ node_key: "bench-key", host_id: 1 }));
        return;
      }
      const report = JSON.parse(body);
      // After the first acknowledged report the agent sends deltas: the agent section
      // (its RSS and CPU change every cycle) is then in the delta's `set`.
      const agent = req.url === "/api/v1/reports/delta" ? report.set?.agent : report.agent;
      const kernel = agentPid ? memoryOf(agentPid) : { rss: 0, anon: 0 };
      samples.push({
        cycle: samples.length + 1,
        rssReported: agent?.rss_bytes ?? 0,
        rssKernel: kernel.rss,
        anonKernel: kernel.anon,
        cpuSeconds: agent?.cpu_seconds ?? 0,
      });
      res.statusCode = 201;
      res.end(
        JSON.stringify({
          status: "stored",
          report_id: report.report_id,
          host_id: 1,
          received_at: new Date().toISOString(),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const agent = spawn(
    process.execPath,
    [
      ...runtime.flags,
      bundle,
      "run",
      "--server",
      url,
      "--state-dir",
      stateDir,
      "--interval",
      "20ms",
      "--jitter",
      "0",
      "--cpu-window",
      "0",
      "--log-level",
      "warn",
    ],
    {
      env: {
        PATH: process.env.PATH,
        HOME: tmpdir(),
        COMPLIANCE_ENROLL_SECRET: "bench",
        ...runtime.env,
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  agentPid = agent.pid!;
  const started = performance.now();
  while (samples.length < CYCLES) {
    if (agent.exitCode !== null) throw new Error(`the agent exited with ${agent.exitCode}`);
    await sleep(20);
  }
  const seconds = (performance.now() - started) / 1000;
  const lifetimeCpu = cpuOf(agentPid);
  agent.kill("SIGTERM");
  await new Promise((resolve) => agent.on("exit", resolve));
  sink.close();
  return { samples: samples.slice(0, CYCLES), seconds, lifetimeCpu };
}

/** Least-squares slope of y over x. */
function slope(points: readonly [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "agent-bench-"));
  const onSignal = () => {
    endIdleProcesses();
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // An uncaught error ends the process without the finally below: end them anyway.
  process.on("exit", endIdleProcesses);
  try {
    const bundled = values.bundle ?? (await bundle(AGENT_ENTRY, join(dir, "compliance-agent.js")));
    const started = await startIdleProcesses();
    console.log(`# Agent footprint\n`);
    console.log(
      `Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${processCount()} processes (${started} idle \`sleep\` started by the benchmark).\n`,
    );

    const c = await collectionVersusPs(join(dir, "spool"));
    const ratio = median(c.agentMs) / median(c.psMs);
    console.log(`## One collection cycle vs ps (${RUNS} interleaved runs, medians)\n`);
    console.log("| what | processes | wall ms | CPU ms |");
    console.log("|---|---:|---:|---:|");
    console.log(
      `| agent: collect (since-previous CPU, no window; command lines on) | ${c.processes} | ${fmt(median(c.agentMs))} | ${fmt(median(c.agentCpu))} |`,
    );
    console.log(
      `| agent: collect + JSON + spool write (fsync) | ${c.processes} | ${fmt(median(c.cycleMs))} | — |`,
    );
    console.log(
      `| \`ps -eo pid,ppid,user,pcpu,rss,comm\` (spawn to exit) | ${c.psLines} | ${fmt(median(c.psMs))} | ${fmt(median(c.psCpu))} |`,
    );
    console.log(
      `| **ratio agent collect / ps (wall)** | | **${fmt(ratio, 2)}×** | ${fmt(median(c.agentCpu) / Math.max(median(c.psCpu), 0.001), 2)}× |`,
    );
    console.log(
      `\nReport size: ${fmt(c.reportBytes / 1024)} KiB of JSON. ps CPU is from the kernel's children counters (10 ms ticks).\n`,
    );

    const oneShot = await oneShotVersusPs(bundled, values.compare);
    const inventory = values["skip-inventory"]
      ? undefined
      : printInventory(await inventoryVersusTools(), dir);

    const unit = unitRuntime();
    const unitEnv = Object.entries(unit.env)
      .map(([k, v]) => `${k}=${v} `)
      .join("");
    const targets: string[] = [];
    const unitLabel = `as the systemd unit runs it: ${unitEnv}node ${unit.flags.join(" ")}`;
    const services: (readonly [string, ReturnType<typeof unitRuntime>, string])[] = [
      [unitLabel, unit, bundled],
      ["plain node, no flags", { flags: [], env: {} }, bundled],
      ...(values.compare
        ? [[`${values.compare} (compared), ${unitLabel}`, unit, values.compare] as const]
        : []),
    ];
    for (const [n, [label, runtime, file]] of services.entries()) {
      const d = await daemonCycles(file, join(dir, `state-${n}`), runtime);
      const at = (n: number) => d.samples[n - 1]!;
      const mb = (b: number) => fmt(b / 1024 / 1024);
      console.log(`## The service over ${CYCLES} fast cycles, ${label}\n`);
      console.log(
        `Interval 20 ms (a cycle waits at least as long as its collection took), ${c.processes} processes, the bundled agent, every report spooled (fsync) and sent over HTTP to a sink that acknowledges it.\n`,
      );
      console.log(
        "| cycle | RSS reported (MB) | RSS from /proc (MB) | of which private (RssAnon, MB) | cycle CPU (ms) |",
      );
      console.log("|---:|---:|---:|---:|---:|");
      for (const n of [1, 50, 100, 150, 200].filter((n) => n <= CYCLES)) {
        const s = at(n);
        console.log(
          `| ${n} | ${mb(s.rssReported)} | ${mb(s.rssKernel)} | ${mb(s.anonKernel)} | ${fmt(s.cpuSeconds * 1000)} |`,
        );
      }
      const all = d.samples.map((s) => [s.cycle, s.rssReported] as [number, number]);
      const tail = all.filter(([cycle]) => cycle >= 50);
      const cycleCpu = d.samples.slice(1).map((s) => s.cpuSeconds * 1000);
      const maxRss = Math.max(...d.samples.map((s) => s.rssReported));
      console.log("");
      console.log("| measure | value |");
      console.log("|---|---:|");
      console.log(`| RSS slope, cycles 1–${CYCLES} | ${fmt(slope(all) / 1024, 2)} KiB/cycle |`);
      console.log(`| RSS slope, cycles 50–${CYCLES} | ${fmt(slope(tail) / 1024, 2)} KiB/cycle |`);
      console.log(`| RSS max | ${mb(maxRss)} MB |`);
      console.log(
        `| CPU per cycle (median of agent.cpu_seconds, cycles 2–${CYCLES}) | ${fmt(median(cycleCpu))} ms |`,
      );
      console.log(
        `| CPU per cycle (kernel: lifetime CPU / cycles, start-up included) | ${fmt((d.lifetimeCpu / CYCLES) * 1000)} ms |`,
      );
      console.log(`| wall time of ${CYCLES} cycles | ${fmt(d.seconds)} s |\n`);
      targets.push(
        `${label}: RSS max ${mb(maxRss)} MB (${maxRss < 60 * 1024 * 1024 ? "under" : "NOT under"} 60 MB), slope 50–${CYCLES} ${fmt(slope(tail) / 1024, 2)} KiB/cycle`,
      );
    }
    console.log(
      `Targets: collect ≤ 1.0× ps: ${fmt(ratio, 2)}× (${ratio <= 1 ? "met" : "NOT met"}).`,
    );
    console.log(
      `- one-shot collect ≤ 1.5× ps as whole processes: ${fmt(oneShot, 2)}× (${oneShot <= 1.5 ? "met" : "NOT met"}).`,
    );
    for (const line of targets) console.log(`- ${line}`);
    if (inventory) {
      console.log(
        `- inventory sections / (dpkg-query + ss): ${fmt(inventory.ratio, 2)}×; dpkg status read and parse of 2,000 packages ${fmt(inventory.parseMs, 2)} ms wall, ${fmt(inventory.parseCpuMs, 2)} ms CPU (a few ms of CPU: ${inventory.parseCpuMs < 10 ? "met" : "NOT met"}).`,
      );
    }
  } finally {
    endIdleProcesses();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
