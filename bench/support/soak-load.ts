// The soak's load generator (bench/soak.bench.ts), in a worker thread of its own: it enrolls
// the fleet, sends every host's first whole report, then runs the fleet's schedule open
// loop. Each host has a fixed phase within the interval; at each of its times its next
// check-in is built and sent, whether or not the answers before it came back, and its
// latency runs from the time it was due to its answer (a server falling behind shows in the
// latencies, not in a slower send rate). A host's check-ins go one at a time, as an agent's
// do: one due while the host's last is unanswered waits for it, its clock already running.
//
// Only the state an agent keeps is kept per host (its key, and the generation, id and time
// of its last acknowledged report): the reports are rebuilt from it, their 300 processes
// shared by every host, so that 100,000 hosts fit in memory.
//
// Between the setup and the soak the worker asks for the API's URL again: the benchmark
// restarts the API there, on the same data.
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { makeDelta, type Report, type ReportProcess } from "@compliance/contract";
import { type ReportTexts, reportDigestFrom } from "@compliance/contract/digest";
import { reportWithProcesses } from "../../packages/api/test/helpers/reports.ts";
import { percentile } from "./harness.ts";
import { seeded } from "./seeded.ts";

export interface SoakLoad {
  url: string;
  enrollSecret: string;
  hosts: number;
  processes: number;
  /** The agents' schedule: each host checks in once per interval. */
  intervalMs: number;
  durationMs: number;
  /** The share of check-ins that change something (processes replaced by new pids). */
  changing: number;
  /** Sockets of the keep-alive agent, at most. */
  sockets: number;
  /** Requests in flight at once while enrolling and sending the first reports. */
  setupConcurrency: number;
}

/** Latencies of the check-ins due in one span of the soak, ms. */
export interface LatencySummary {
  scheduled: number;
  stored: number;
  failed: number;
  fallbacks: number;
  p50: number;
  p99: number;
  max: number;
}

export interface SoakResult {
  enrollSeconds: number;
  firstReportsSeconds: number;
  scheduled: number;
  sent: number;
  stored: number;
  failed: number;
  /** Deltas answered 409 and sent again whole, by error code. */
  fallbacks: Record<string, number>;
  /** Final answers by HTTP status; socket errors and timeouts as "error". */
  statuses: Record<string, number>;
  firstFailure: string | null;
  /** From the first check-in's time to the last answer. */
  seconds: number;
  /** Per minute of the soak, by the time each check-in was due. */
  minutes: LatencySummary[];
  overall: LatencySummary;
  /** The same without the first minute, the soak's API just started (null: one minute). */
  afterFirstMinute: LatencySummary | null;
  /** How late the generator took up each check-in (built it, unless its host was busy), ms. */
  lag: { p50: number; p99: number; max: number };
  /** Bytes of the delta bodies sent, on average. */
  deltaBytes: number;
  changed: number;
}

export type SoakMessage =
  | { type: "phase"; text: string }
  | { type: "setup-done" }
  | { type: "soak-start"; wallT0: number }
  | { type: "done"; result: SoakResult };

export interface SoakHooks {
  /** Once every first report is stored: where to send the soak's check-ins (the API's URL). */
  afterSetup(): Promise<string>;
  /** The wall-clock time of the first due check-in, told before it. */
  onStart(wallT0: number): void;
}

/** Runs the soak in a worker thread and resolves with what it measured. */
export function runSoak(load: SoakLoad, hooks: SoakHooks): Promise<SoakResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: load });
    worker.on("message", (m: SoakMessage) => {
      if (m.type === "phase") console.log(m.text);
      else if (m.type === "setup-done") {
        hooks.afterSetup().then((url) => worker.postMessage(url), reject);
      } else if (m.type === "soak-start") hooks.onStart(m.wallT0);
      else resolve(m.result);
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`the soak's load generator exited with ${code}`));
    });
  });
}

const maxOf = (values: number[]) =>
  values.length === 0 ? Number.NaN : values.reduce((m, x) => Math.max(m, x), -Infinity);

/** Processes replaced in a check-in that changes. */
const REPLACED = 5;
/** The agent's own: an answer not begun by then is no answer. */
const REQUEST_TIMEOUT_MS = 30_000;

interface HostState {
  index: number;
  identifier: string;
  key: string;
  /** Of its last acknowledged report: how many changes it had seen, its id and time. */
  gen: number;
  reportId: string;
  collectedAt: string;
  busy: boolean;
  /** Check-ins due while one was in flight, by their due time. */
  waiting: number[];
}

interface Answer {
  status: number;
  text: string;
}

async function soak(load: SoakLoad): Promise<SoakResult> {
  const say = (text: string) => parentPort!.postMessage({ type: "phase", text } as SoakMessage);
  let url = new URL(load.url);
  let agent = new Agent({ keepAlive: true, maxSockets: load.sockets });
  const post = (path: string, key: string | null, body: string): Promise<Answer> =>
    new Promise((resolve) => {
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: "POST",
          path,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            ...(key ? { authorization: `Bearer ${key}` } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          );
          res.on("error", (e) => resolve({ status: 0, text: String(e) }));
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error("timed out")));
      req.on("error", (e) => resolve({ status: 0, text: String(e) }));
      req.end(body);
    });

  // Every host's report: the same processes (shared objects, so each digest reuses the
  // texts of those the one before wrote), the last REPLACED with new pids at each change.
  const template = reportWithProcesses(load.processes, { identifier: "soak" });
  const replaced = Math.min(REPLACED, load.processes);
  const steady = template.processes.slice(0, load.processes - replaced);
  let texts: ReportTexts | undefined;
  const processesOf = (gen: number): ReportProcess[] =>
    gen === 0
      ? template.processes
      : [
          ...steady,
          ...template.processes
            .slice(load.processes - replaced)
            .map((p, k) => ({ ...p, pid: 100_000 + gen * replaced + k })),
        ];
  const reportOf = (host: HostState, gen: number, reportId: string, collectedAt: string) => {
    const i = host.index;
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    return {
      ...template,
      report_id: reportId,
      collected_at: collectedAt,
      host: {
        ...template.host,
        identifier: host.identifier,
        hostname: host.identifier,
        primary_ip: ip,
        ip_addresses: [ip],
      },
      processes: processesOf(gen),
    } satisfies Report;
  };

  /** Runs `task(i)` for i in 0..n-1, several at a time; tells each tenth of a long run done. */
  const inParallel = async (what: string, n: number, task: (i: number) => Promise<void>) => {
    let next = 0;
    let done = 0;
    const since = performance.now();
    const run = async () => {
      for (let i = next++; i < n; i = next++) {
        await task(i);
        if (++done % Math.ceil(n / 10) === 0 && done < n && n >= 10_000) {
          say(`  ${what}: ${done} of ${n}, ${((performance.now() - since) / 1000).toFixed(0)} s`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(n, load.setupConcurrency) }, run));
  };

  // Setup: enrollment, then every host's first report, whole.
  const hosts: HostState[] = Array.from({ length: load.hosts }, (_, index) => ({
    index,
    identifier: `soak-${index}`,
    key: "",
    gen: 0,
    reportId: "",
    collectedAt: "",
    busy: false,
    waiting: [],
  }));
  let started = performance.now();
  await inParallel("enrolled", load.hosts, async (i) => {
    const host = hosts[i]!;
    const body = JSON.stringify({
      enroll_secret: load.enrollSecret,
      host_identifier: host.identifier,
      hostname: host.identifier,
    });
    const a = await post("/api/v1/enroll", null, body);
    if (a.status !== 200) throw new Error(`enroll answered ${a.status}: ${a.text.slice(0, 300)}`);
    host.key = (JSON.parse(a.text) as { node_key: string }).node_key;
  });
  const enrollSeconds = (performance.now() - started) / 1000;
  say(`setup: ${load.hosts} hosts enrolled in ${enrollSeconds.toFixed(1)} s`);
  started = performance.now();
  await inParallel("first reports stored", load.hosts, async (i) => {
    const host = hosts[i]!;
    const report = reportOf(host, 0, randomUUID(), new Date().toISOString());
    const a = await post("/api/v1/reports", host.key, JSON.stringify(report));
    if (a.status !== 201) {
      throw new Error(`a first report was answered ${a.status}: ${a.text.slice(0, 300)}`);
    }
    host.reportId = report.report_id;
    host.collectedAt = report.collected_at;
  });
  const firstReportsSeconds = (performance.now() - started) / 1000;
  say(`setup: ${load.hosts} first reports stored in ${firstReportsSeconds.toFixed(1)} s`);
  agent.destroy();
  url = await new Promise<URL>((resolve) => {
    parentPort!.once("message", (u: string) => resolve(new URL(u)));
    parentPort!.postMessage({ type: "setup-done" } as SoakMessage);
  });
  agent = new Agent({ keepAlive: true, maxSockets: load.sockets });

  // The soak. Check-in k is host k mod n's, of round floor(k / n); host i is due at
  // t0 + round × interval + i × interval / n, so k's times increase with k.
  const t0 = performance.now() + 1000;
  const wallT0 = Date.now() + 1000;
  const dueOf = (k: number) =>
    t0 +
    Math.floor(k / load.hosts) * load.intervalMs +
    ((k % load.hosts) * load.intervalMs) / load.hosts;
  let scheduled = 0;
  while (dueOf(scheduled) < t0 + load.durationMs) scheduled++;
  const minuteCount = Math.max(1, Math.ceil(load.durationMs / 60_000));
  const latencies: number[][] = Array.from({ length: minuteCount }, () => []);
  const perMinute = Array.from({ length: minuteCount }, () => ({
    scheduled: 0,
    stored: 0,
    failed: 0,
    fallbacks: 0,
  }));
  const lags: number[] = [];
  const statuses: Record<string, number> = {};
  const fallbacks: Record<string, number> = {};
  let firstFailure: string | null = null;
  let sent = 0;
  let deltaBytes = 0;
  let changed = 0;
  let lastAnswer = t0;
  const random = seeded(20261201);
  parentPort!.postMessage({ type: "soak-start", wallT0 } as SoakMessage);

  const checkIn = async (host: HostState, due: number): Promise<void> => {
    const minute = Math.min(minuteCount - 1, Math.floor((due - t0) / 60_000));
    const change = random() < load.changing;
    if (change) changed++;
    const gen = change ? host.gen + 1 : host.gen;
    const now = reportOf(host, gen, randomUUID(), new Date(wallT0 + (due - t0)).toISOString());
    const before = reportOf(host, host.gen, host.reportId, host.collectedAt);
    const digest = reportDigestFrom(now, texts);
    texts = digest.texts;
    const delta = JSON.stringify(makeDelta(before, now, host.reportId, digest.digest));
    deltaBytes += Buffer.byteLength(delta);
    sent++;
    let a = await post("/api/v1/reports/delta", host.key, delta);
    if (a.status === 409) {
      // As the agent does: the API cannot use this delta, so the whole report goes.
      const code = /"code":"([^"]+)"/.exec(a.text)?.[1] ?? "409";
      fallbacks[code] = (fallbacks[code] ?? 0) + 1;
      perMinute[minute]!.fallbacks++;
      a = await post("/api/v1/reports", host.key, JSON.stringify(now));
    }
    const at = performance.now();
    lastAnswer = Math.max(lastAnswer, at);
    latencies[minute]!.push(at - due);
    const status = a.status === 0 ? "error" : String(a.status);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (a.status >= 200 && a.status < 300) {
      perMinute[minute]!.stored++;
      host.gen = gen;
      host.reportId = now.report_id;
      host.collectedAt = now.collected_at;
    } else {
      perMinute[minute]!.failed++;
      firstFailure ??= `${status} ${a.text.slice(0, 300)}`;
    }
  };

  let inFlight = 0;
  let drained: () => void = () => {};
  const allAnswered = new Promise<void>((resolve) => {
    drained = resolve;
  });
  let next = 0;
  const start = (host: HostState, due: number) => {
    host.busy = true;
    inFlight++;
    void checkIn(host, due).finally(() => {
      inFlight--;
      host.busy = false;
      const waiting = host.waiting.shift();
      if (waiting !== undefined) start(host, waiting);
      else if (inFlight === 0 && next >= scheduled) drained();
    });
  };
  await new Promise<void>((dispatched) => {
    const tick = () => {
      const now = performance.now();
      for (; next < scheduled && dueOf(next) <= now; next++) {
        const due = dueOf(next);
        const host = hosts[next % load.hosts]!;
        perMinute[Math.min(minuteCount - 1, Math.floor((due - t0) / 60_000))]!.scheduled++;
        // The generator's own lateness: the bodies built before this one in this turn, and
        // the turns the thread was not given; not a host's wait for its last answer.
        lags.push(performance.now() - due);
        if (host.busy) host.waiting.push(due);
        else start(host, due);
      }
      if (next < scheduled) setTimeout(tick, Math.max(0, dueOf(next) - performance.now()));
      else dispatched();
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });
  if (inFlight > 0) await allAnswered;
  agent.destroy();

  const summary = (lat: number[], counts: Omit<LatencySummary, "p50" | "p99" | "max">) => ({
    ...counts,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    max: maxOf(lat),
  });
  const total = (from: number) => {
    const ms = perMinute.slice(from);
    const sum = (f: (m: (typeof ms)[number]) => number) => ms.reduce((s, m) => s + f(m), 0);
    return summary(latencies.slice(from).flat(), {
      scheduled: sum((m) => m.scheduled),
      stored: sum((m) => m.stored),
      failed: sum((m) => m.failed),
      fallbacks: sum((m) => m.fallbacks),
    });
  };
  const overall = total(0);
  return {
    enrollSeconds,
    firstReportsSeconds,
    scheduled,
    sent,
    stored: overall.stored,
    failed: overall.failed,
    fallbacks,
    statuses,
    firstFailure,
    seconds: (lastAnswer - t0) / 1000,
    minutes: perMinute.map((m, i) => summary(latencies[i]!, m)),
    overall,
    afterFirstMinute: minuteCount > 1 ? total(1) : null,
    lag: {
      p50: percentile(lags, 50),
      p99: percentile(lags, 99),
      max: maxOf(lags),
    },
    deltaBytes: deltaBytes / Math.max(1, sent),
    changed,
  };
}

if (!isMainThread && parentPort) {
  const result = await soak(workerData as SoakLoad);
  parentPort.postMessage({ type: "done", result } as SoakMessage);
}
