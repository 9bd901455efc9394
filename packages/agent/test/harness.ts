/**
 * What the end-to-end tests run against: the real API (SQLite file, real HTTP on
 * loopback), a proxy in front of it that can be switched off or made to misbehave, and
 * the agent bundled into one file and run as its own process.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { after, afterEach, before, beforeEach } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { gunzipSync } from "node:zlib";
import { loadConfig, type RunningServer, startServer } from "@compliance/api";
import { AGENT_ENTRY, bundle } from "../../../scripts/bundle.mjs";
import { type DaemonOptions, runDaemon } from "../src/daemon.ts";
import { createLogger } from "../src/log.ts";
import type { FakeClock, PendingSleep } from "./clock.ts";

export const ENROLL_SECRET = "agent-test-enroll-secret-0123";
export const ADMIN_TOKEN = "agent-test-admin-token-0123456";

/**
 * Polls until `check` returns a value that is not undefined/false. The deadline only ends
 * a wait for something that will never come: it is no measure of speed, so it is far
 * beyond what a heavily loaded machine needs, and kept on the monotonic clock, which a
 * change of date does not move.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 180_000,
): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A port that was free a moment ago (for a server that must come up later on a known port). */
export async function freePort(): Promise<number> {
  const server = createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The real API on a port of its own, with its own SQLite file. */
export class RealApi {
  server: RunningServer | undefined;
  readonly dir = tempDir("agent-api-");

  async start(): Promise<this> {
    const config = loadConfig({
      PORT: "0",
      COMPLIANCE_DATA_DIR: this.dir,
      COMPLIANCE_ENROLL_SECRET: ENROLL_SECRET,
      COMPLIANCE_ADMIN_TOKEN: ADMIN_TOKEN,
      // The agent runs on a fake clock and delivers a day's spool in a moment of real time:
      // the API's per-key rate limit (tested with the API) would answer most of it 429.
      COMPLIANCE_RATE_LIMIT_REPORTS: "0",
      LOG_LEVEL: "warn",
    });
    this.server = await startServer(config, { print: () => {} });
    return this;
  }

  /** Revokes every host's node key, as an admin does before a host is installed again. */
  async revokeKeys(): Promise<void> {
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const hosts = (await (await fetch(`${this.url}/api/v1/hosts`, { headers })).json()) as {
      items: { id: number }[];
    };
    for (const { id } of hosts.items) {
      const r = await fetch(`${this.url}/api/v1/hosts/${id}/revoke-key`, {
        method: "POST",
        headers,
      });
      if (r.status >= 300) throw new Error(`revoke-key ${id} answered ${r.status}`);
    }
  }

  get url(): string {
    return this.server!.url;
  }

  async stop(): Promise<void> {
    await this.server?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async get<T = any>(path: string): Promise<T> {
    const r = await fetch(`${this.url}${path}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  }

  async hosts(): Promise<{ id: number; identifier: string; executions: number }[]> {
    return (await this.get("/api/v1/hosts?limit=1000")).items;
  }

  /** Every report id the API stored for the host, oldest first (duplicates would show). */
  async reportIds(hostId: number): Promise<string[]> {
    const page = await this.get(`/api/v1/hosts/${hostId}/reports?limit=5000&sort=collected_at`);
    return page.items.map((item: { report_id: string }) => item.report_id);
  }

  async report(id: string): Promise<any> {
    return this.get(`/api/v1/reports/${id}`);
  }

  async revokeKey(hostId: number): Promise<void> {
    const r = await fetch(`${this.url}/api/v1/hosts/${hostId}/revoke-key`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    if (r.status !== 204) throw new Error(`revoke-key: ${r.status} ${await r.text()}`);
  }
}

/** What the proxy does with one request. */
export type ProxyAction =
  | { kind: "pass" }
  /** Answers this itself, without asking the API. */
  | { kind: "answer"; status: number; headers?: Record<string, string>; body?: unknown }
  /** Reads the request, then drops the connection without an answer. */
  | { kind: "reset" }
  /**
   * Forwards the request to the API (when `forward`), then keeps the agent waiting for
   * `ms` (forever when undefined) before answering (or dropping the connection).
   */
  | { kind: "hold"; forward: boolean; ms?: number };

const REPORTS_PATH = "/api/v1/reports";
const DELTA_PATH = "/api/v1/reports/delta";

export interface ProxiedRequest {
  path: string;
  at: number;
  action: ProxyAction["kind"];
  /** The API's status, for requests that reached it. */
  status?: number;
  /** The body as the agent meant it (decompressed). */
  body: string;
  /** Whether it travelled gzip-compressed. */
  gzipped: boolean;
  /** Sent to the delta route (its path is given as the reports route's). */
  delta: boolean;
}

/**
 * A reverse proxy in front of the real API, on a fixed port so it can go away and come
 * back; over https when given a key and certificate.
 */
export class FlakyProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  requests: ProxiedRequest[] = [];
  /** What to do with the `index`th request to `path` (counted from 0), whose body is `body`. */
  rule: (path: string, index: number, body: string) => ProxyAction = () => ({ kind: "pass" });
  /** What dates each request's arrival (`at`): a test on a fake clock gives that clock. */
  time: () => number = () => Date.now();
  private waiting: { done(): boolean }[] = [];

  constructor(
    private readonly target: () => string,
    private readonly tls?: { key: string; cert: string },
  ) {}

  get url(): string {
    return `${this.tls ? "https" : "http"}://127.0.0.1:${this.port}`;
  }

  /** Requests to a path (e.g. /api/v1/reports). */
  to(path: string): ProxiedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Resolves once `count` requests to `path` have arrived. */
  arrived(path: string, count: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter = {
        done: () => {
          if (this.to(path).length < count) return false;
          resolve();
          return true;
        },
      };
      if (!waiter.done()) this.waiting.push(waiter);
    });
  }

  async start(port = this.port): Promise<this> {
    // A request the proxy cannot finish (the API went away, the client hung up) ends its
    // socket, as a broken network would; it never becomes an unhandled rejection.
    const handler = (req: IncomingMessage, res: ServerResponse) =>
      void this.handle(req, res).catch(() => req.socket.destroy());
    const server = this.tls ? createHttpsServer(this.tls, handler) : createHttpServer(handler);
    server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    server.on("secureConnection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    server.on("tlsClientError", () => {});
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Goes away: the port refuses connections until start() again. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const sentTo = (req.url ?? "/").split("?")[0]!;
    // A delta report is a report too: rules and records count both under the reports
    // route, in the order they came, and say which it was.
    const delta = sentTo === DELTA_PATH;
    const path = delta ? REPORTS_PATH : sentTo;
    const index = this.requests.filter((r) => r.path === path).length;
    // Rules and records see the JSON the agent sent; the API gets the bytes as they came.
    const gzipped = req.headers["content-encoding"] === "gzip";
    const text = (gzipped ? gunzipSync(body) : body).toString("utf8");
    const action = this.rule(path, index, text);
    const record: ProxiedRequest = {
      path,
      delta,
      at: this.time(),
      action: action.kind,
      body: text,
      gzipped,
    };
    this.requests.push(record);
    this.waiting = this.waiting.filter((waiter) => !waiter.done());
    if (action.kind === "reset") {
      req.socket.destroy();
      return;
    }
    if (action.kind === "answer") {
      res.writeHead(action.status, { "content-type": "application/json", ...action.headers });
      res.end(action.body === undefined ? "" : JSON.stringify(action.body));
      return;
    }
    const forward = action.kind === "pass" || action.forward;
    let answer: { status: number; headers: Record<string, string>; body: Buffer } | undefined;
    if (forward) {
      answer = await this.forward(req, body);
      record.status = answer.status;
    }
    if (action.kind === "hold") {
      if (action.ms === undefined) return; // never answers; the socket dies with the client
      await sleep(action.ms);
    }
    if (!answer) {
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  private forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers };
      delete headers.host;
      const upstream = request(
        `${this.target()}${req.url}`,
        { method: req.method, headers },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on("data", (c: Buffer) => chunks.push(c));
          answer.on("end", () => {
            const out: Record<string, string> = {};
            for (const [k, v] of Object.entries(answer.headers)) {
              if (typeof v === "string" && k !== "connection" && k !== "keep-alive") out[k] = v;
            }
            resolve({
              status: answer.statusCode ?? 502,
              headers: out,
              body: Buffer.concat(chunks),
            });
          });
        },
      );
      upstream.on("error", reject);
      upstream.end(body);
    });
  }
}

/** The agent as one file, built the way scripts/build.mjs builds dist/compliance-agent.js. */
export function buildAgentBundle(dir: string): Promise<string> {
  return bundle(AGENT_ENTRY, join(dir, "compliance-agent.js"));
}

/** A running agent process, with its output kept line by line. */
export class AgentProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout = "";

  constructor(bundle: string, args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [bundle, ...args], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmpdir(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let pending = "";
    this.child.stderr!.on("data", (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      this.lines.push(...parts);
    });
    this.child.stdout!.on("data", (chunk: Buffer) => {
      this.stdout += chunk.toString("utf8");
    });
    // "close", not "exit": the process may end before all it wrote has been read.
    this.exited = new Promise((resolve) =>
      this.child.on("close", (code, signal) => resolve({ code, signal })),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Ids of the reports the agent said it collected (and spooled). */
  collected(): string[] {
    return this.lines.flatMap(
      (line) => /^info collected report ([0-9a-f-]{36})/.exec(line)?.[1] ?? [],
    );
  }

  stored(): string[] {
    return storedIn(this.lines);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** Ids of the reports a service log says the API stored. */
function storedIn(lines: readonly string[]): string[] {
  return lines.flatMap((line) => /^info stored report ([0-9a-f-]{36})/.exec(line)?.[1] ?? []);
}

/**
 * The service run in this process on a clock the test moves, with its log kept line by
 * line. Waiting for its next cycle on that clock means it has done everything that was
 * due: that is the moment a test looks, and then moves the clock.
 */
export class ServiceInProcess {
  readonly lines: string[] = [];
  /** The reports collected (and spooled), with the clock's monotonic time of each. */
  readonly collected: { id: string; at: number }[] = [];
  readonly done: Promise<void>;
  private readonly stopper = new AbortController();

  constructor(
    readonly clock: FakeClock,
    options: Pick<DaemonOptions, "serverUrl" | "stateDir"> & Partial<DaemonOptions>,
  ) {
    const log = createLogger({
      write: (text: string) => this.lines.push(...text.trimEnd().split("\n")),
    });
    this.done = runDaemon({
      enrollSecret: ENROLL_SECRET,
      timeoutMs: 30_000,
      intervalMs: 100,
      jitterMs: 20,
      retry: { initialMs: 50, maxMs: 300 },
      spool: { maxReports: 1000, maxBytes: 100 * 1024 * 1024 },
      collect: { cpuWindowMs: 0 },
      // Jitter and backoff at the middle of their range: the same times on every run.
      random: () => 0.5,
      onReport: (report) => this.collected.push({ id: report.report_id, at: clock.monotonic() }),
      ...options,
      log,
      signal: this.stopper.signal,
      clock,
    });
  }

  stored(): string[] {
    return storedIn(this.lines);
  }

  /** Resolves once the service waits for its next cycle (the stop signal would end that wait). */
  idle(): Promise<PendingSleep> {
    return this.clock.sleeping((sleep) => sleep.signal === this.stopper.signal);
  }

  /** Waits until the service is idle, then moves its clock to the end of that wait. */
  async cycle(): Promise<number> {
    const wait = await this.idle();
    this.clock.advanceTo(wait.due);
    return wait.due;
  }

  /** The stop signal (SIGTERM for the command); `done` settles once the service has stopped. */
  stop(): void {
    this.stopper.abort();
  }
}

/** Ids that occur more than once. */
export function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => {
    if (seen.has(id)) return true;
    seen.add(id);
    return false;
  });
}

/**
 * What the service suites share: the bundled agent built once, and for each test a real
 * API behind a proxy that can misbehave, a fresh state directory, and `start` for agent
 * processes (killed after the test).
 */
export function serviceFixture(name: string, jitter: string) {
  const fixture = {
    dir: "",
    bundle: "",
    api: undefined as unknown as RealApi,
    proxy: undefined as unknown as FlakyProxy,
    stateDir: "",
    agents: [] as AgentProcess[],
    services: [] as ServiceInProcess[],
  };
  before(async () => {
    fixture.dir = tempDir(`agent-${name}-`);
    fixture.bundle = await buildAgentBundle(fixture.dir);
  });
  after(() => rmSync(fixture.dir, { recursive: true, force: true }));
  beforeEach(async () => {
    fixture.api = await new RealApi().start();
    fixture.proxy = await new FlakyProxy(() => fixture.api.url).start();
    fixture.stateDir = tempDir(`agent-${name}-state-`);
    fixture.agents = [];
    fixture.services = [];
  });
  afterEach(async () => {
    for (const agent of fixture.agents) agent.kill("SIGKILL");
    // A service still running stops at its next step; the proxy going away ends a send.
    for (const service of fixture.services) service.stop();
    await fixture.proxy.stop();
    await fixture.api.stop();
    rmSync(fixture.stateDir, { recursive: true, force: true });
  });

  const start = (extra: string[] = []) => {
    const agent = new AgentProcess(
      fixture.bundle,
      [
        "run",
        "--server",
        fixture.proxy.url,
        "--state-dir",
        fixture.stateDir,
        "--interval",
        "100ms",
        "--jitter",
        jitter,
        "--cpu-window",
        "0",
        "--retry-initial",
        "50ms",
        "--retry-max",
        "300ms",
        ...extra,
      ],
      { COMPLIANCE_ENROLL_SECRET: ENROLL_SECRET },
    );
    fixture.agents.push(agent);
    return agent;
  };

  /** The service in this process, on `clock`, with the same settings as `start`'s. */
  const startInProcess = (clock: FakeClock, options: Partial<DaemonOptions> = {}) => {
    const service = new ServiceInProcess(clock, {
      serverUrl: fixture.proxy.url,
      stateDir: fixture.stateDir,
      ...options,
    });
    fixture.services.push(service);
    return service;
  };

  /** Report ids waiting in the spool. */
  const spooled = () =>
    readdirSync(join(fixture.stateDir, "spool")).flatMap(
      (file) => /^\d{12}-([0-9a-f-]{36})\.json$/.exec(file)?.[1] ?? [],
    );

  return { fixture, start, startInProcess, spooled };
}
