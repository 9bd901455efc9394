// The check-in benchmark's load generator: autocannon in a worker thread of its own, so that
// neither the bodies' building nor the client's work runs in the measured server's process
// (which is another process altogether) or competes with the benchmark's bookkeeping.
// The worker builds every body first, then sends them in order: host 0..n-1 of round r,
// then of round r+1, each request with its host's node key, over several connections.
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import autocannon from "autocannon";
import { type CheckInClock, modeNamed } from "./checkin-modes.ts";

export interface CheckInLoad {
  url: string;
  path: string;
  mode: string;
  /** One per host, in fleet order: its identifier and node key (null: no Authorization). */
  hosts: { identifier: string; key: string | null }[];
  fromRound: number;
  rounds: number;
  connections: number;
  clock: CheckInClock;
}

export interface CheckInResult {
  sent: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** Answers by HTTP status, and socket errors and timeouts as "error". */
  statuses: Record<string, number>;
  /** The first answer that was not a 2xx, for the report. */
  firstFailure: string | null;
  /** Request line, headers and body, on average. */
  requestBytes: number;
  /** Everything the server sent back, on average. */
  responseBytes: number;
}

/** Sends the check-ins from a worker thread and resolves with what autocannon measured. */
export function sendCheckIns(load: CheckInLoad): Promise<CheckInResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: load });
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`the load generator exited with ${code}`));
    });
  });
}

async function generate(load: CheckInLoad): Promise<CheckInResult> {
  const mode = modeNamed(load.mode);
  const url = new URL(load.url);
  const bodies: Buffer[] = [];
  const keys: (string | null)[] = [];
  for (let r = load.fromRound; r < load.fromRound + load.rounds; r++) {
    load.hosts.forEach((host, index) => {
      bodies.push(Buffer.from(mode.body({ index, identifier: host.identifier }, r, load.clock)));
      keys.push(host.key);
    });
  }
  let requestBytes = 0;
  const headersOf = (i: number): Record<string, string> => {
    const key = keys[i];
    return {
      "content-type": "application/json",
      ...(mode.headers ?? {}),
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    };
  };
  for (let i = 0; i < bodies.length; i++) {
    // The same lines autocannon writes: request line, Host, Connection, ours, Content-Length.
    const head = [
      `POST ${load.path} HTTP/1.1`,
      `Host: ${url.host}`,
      "Connection: keep-alive",
      ...Object.entries(headersOf(i)).map(([k, v]) => `${k}: ${v}`),
      `Content-Length: ${bodies[i]!.length}`,
    ].join("\r\n");
    requestBytes += Buffer.byteLength(head) + 4 + bodies[i]!.length;
  }
  const statuses: Record<string, number> = {};
  let firstFailure: string | null = null;
  let next = 0;
  // In a worker thread autocannon leaves its histograms encoded; aggregateResult reads them.
  const options = {
    url: load.url,
    connections: Math.min(load.connections, bodies.length),
    amount: bodies.length,
    timeout: 30,
    requests: [
      {
        method: "POST",
        path: load.path,
        setupRequest: (req: Record<string, unknown>) => {
          const i = next++;
          return { ...req, headers: headersOf(i), body: bodies[i] };
        },
        onResponse: (status: number, body: string) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
          if ((status < 200 || status > 299) && firstFailure === null) {
            firstFailure = `${status} ${body.slice(0, 300)}`;
          }
        },
      },
    ],
  };
  const raw = await autocannon(options as never);
  const { aggregateResult } = autocannon as unknown as {
    aggregateResult(results: unknown[], opts: unknown): unknown;
  };
  const result = aggregateResult([raw], options) as {
    requests: { total: number };
    duration: number;
    latency: { p50: number; p99: number };
    throughput: { total: number };
    errors: number;
    timeouts: number;
  };
  if (result.errors + result.timeouts > 0) statuses.error = result.errors + result.timeouts;
  return {
    sent: result.requests.total,
    seconds: result.duration,
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    statuses,
    firstFailure,
    requestBytes: requestBytes / bodies.length,
    responseBytes: result.throughput.total / Math.max(1, result.requests.total),
  };
}

if (!isMainThread && parentPort) {
  parentPort.postMessage(await generate(workerData as CheckInLoad));
}
