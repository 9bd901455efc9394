import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { type Report, validateReport } from "@compliance/contract";
import { runCli } from "../src/cli.ts";
import { SET_ASIDE_AFTER } from "../src/delivery.ts";
import { createHttpClient, type HttpClient } from "../src/http.ts";
import { runOnce } from "../src/run-once.ts";
import { SET_ASIDE_DIR } from "../src/spool.ts";
import { FakeClock, HANG_LIMIT } from "./clock.ts";
import { captureIo } from "./helpers.ts";

const SECRET = "enroll-me";

/**
 * A stand-in for the API's agent routes, as the contract describes them: enough to see
 * what the agent sends and to answer it the ways the real API can.
 */
class FakeApi {
  server: Server;
  url = "";
  enrolls: { body: Record<string, unknown> }[] = [];
  reports: {
    report: Report;
    authorization: string | undefined;
    contentType: string | undefined;
  }[] = [];
  keys = new Set<string>();
  /** When set, every report is answered with this instead of being stored. */
  answer: { status: number; body: unknown } | undefined;
  /** When set, the reports it picks are answered with what it says instead of being stored. */
  refuse: ((report: Report) => { status: number; body: unknown } | undefined) | undefined;
  /** Every report id sent, answered or not. */
  sent: string[] = [];
  /** When true, requests are never answered. */
  silent = false;
  /** False: a compressed report is refused with 415, as an API without it would. */
  takesGzip = true;
  /** How each report arrived: gzip or identity. */
  encodings: string[] = [];
  /** The API's own clock, for `received_at`. */
  now: () => number = () => Date.now();
  private arrivals: (() => void)[] = [];

  constructor() {
    this.server = createServer(async (req, res) => {
      const body = await readBody(req);
      for (const arrived of this.arrivals.splice(0)) arrived();
      if (this.silent) return;
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(payload));
      };
      if (req.method === "POST" && req.url === "/api/v1/enroll") {
        const request = JSON.parse(body) as Record<string, unknown>;
        if (request.enroll_secret !== SECRET) {
          return send(401, {
            error: { code: "bad_enroll_secret", message: "the enroll secret is wrong" },
          });
        }
        this.enrolls.push({ body: request });
        const key = randomUUID();
        this.keys.add(key);
        return send(201, { node_key: key, host_id: 7 });
      }
      if (req.method === "POST" && req.url === "/api/v1/reports") {
        const key = req.headers.authorization?.replace(/^Bearer /, "");
        if (key === undefined || !this.keys.has(key)) {
          return send(401, { error: { code: "unauthorized", message: "unknown node key" } });
        }
        const encoding = req.headers["content-encoding"] ?? "identity";
        this.encodings.push(encoding);
        if (encoding === "gzip" && !this.takesGzip) {
          return send(415, {
            error: { code: "unsupported_media_type", message: "no compressed bodies here" },
          });
        }
        if (this.answer) return send(this.answer.status, this.answer.body);
        const report = JSON.parse(body);
        this.sent.push(report.report_id);
        const refusal = this.refuse?.(report);
        if (refusal) return send(refusal.status, refusal.body);
        const check = validateReport(report);
        if (!check.ok) {
          return send(400, {
            error: { code: "bad_report", message: check.problems[0]?.message ?? "bad" },
          });
        }
        this.reports.push({
          report,
          authorization: req.headers.authorization,
          contentType: req.headers["content-type"],
        });
        return send(201, {
          status: "stored",
          report_id: report.report_id,
          host_id: 7,
          received_at: new Date(this.now()).toISOString(),
        });
      }
      send(404, { error: { code: "not_found", message: "no such route" } });
    });
  }

  /** Resolves when the next request has arrived (whether it is answered or not). */
  nextArrival(): Promise<void> {
    return new Promise((resolve) => this.arrivals.push(resolve));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const gzipped = req.headers["content-encoding"] === "gzip";
      resolve((gzipped ? gunzipSync(body) : body).toString("utf8"));
    });
    req.on("error", reject);
  });
}

describe("compliance-agent run --once", () => {
  const api = new FakeApi();
  let stateDir: string;
  const start = (extra: string[], env: Record<string, string> = {}, clock?: FakeClock) => {
    const out = captureIo({ HOME: tmpdir(), ...env }, clock);
    const code = runCli(
      ["run", "--once", "--cpu-window", "0", "--state-dir", stateDir, ...extra],
      out.io,
    );
    return { code, out };
  };
  const run = async (extra: string[] = [], env: Record<string, string> = {}) => {
    const { code, out } = start(extra, env);
    return { code: await code, stdout: out.stdout(), stderr: out.stderr() };
  };
  const withServer = ["--server", ""];

  before(() => api.start());
  after(() => api.stop());
  beforeEach(() => {
    stateDir = join(mkdtempSync(join(tmpdir(), "agent-state-")), "nested", "state");
    api.enrolls = [];
    api.reports = [];
    api.answer = undefined;
    api.refuse = undefined;
    api.sent = [];
    api.silent = false;
    withServer[1] = api.url;
  });
  afterEach(() => rmSync(join(stateDir, "..", ".."), { recursive: true, force: true }));

  test("enrolls once, keeps the key 0600, and the next run does not enroll again", async () => {
    const first = await run([...withServer, "--enroll-secret", SECRET]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^stored report [0-9a-f-]{36} for host 7 \(enrolled\)\n$/);
    assert.equal(api.enrolls.length, 1);
    const enrolled = api.enrolls[0]!.body;
    assert.deepEqual(Object.keys(enrolled).sort(), [
      "enroll_secret",
      "host_identifier",
      "hostname",
    ]);
    assert.equal(enrolled.host_identifier, readFileSync("/etc/machine-id", "utf8").trim());

    const keyFile = join(stateDir, "node-key");
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(statSync(stateDir).mode & 0o777, 0o700);
    const key = readFileSync(keyFile, "utf8").trim();
    assert.ok(api.keys.has(key));

    assert.equal(api.reports.length, 1);
    assert.equal(api.reports[0]!.authorization, `Bearer ${key}`);
    assert.equal(api.reports[0]!.contentType, "application/json");

    // The second run takes everything from the environment this time.
    const second = await run([], {
      COMPLIANCE_SERVER_URL: api.url,
      COMPLIANCE_ENROLL_SECRET: SECRET,
    });
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /enrolled/);
    assert.equal(api.enrolls.length, 1, "no second enrollment");
    assert.equal(api.reports.length, 2);
    assert.notEqual(api.reports[0]!.report.report_id, api.reports[1]!.report.report_id);
  });

  test("the report carries the inventory sections, except those switched off", async () => {
    const first = await run([...withServer, "--enroll-secret", SECRET]);
    assert.equal(first.code, 0, first.stderr);
    const sent = api.reports[0]!.report;
    assert.ok((sent.packages ?? []).length > 0);
    assert.ok((sent.listening ?? []).length > 0);
    assert.ok((sent.accounts ?? []).some((a) => a.name === "root"));
    assert.ok(sent.settings?.sysctl && sent.settings.files);
    const second = await run([...withServer, "--no-packages", "--no-accounts"], {
      COMPLIANCE_COLLECT_FILES: "false",
    });
    assert.equal(second.code, 0, second.stderr);
    const lean = api.reports[1]!.report;
    assert.equal(lean.packages, undefined);
    assert.equal(lean.accounts, undefined);
    assert.equal(lean.settings?.files, undefined);
    assert.ok(lean.listening !== undefined && lean.settings?.sysctl !== undefined);
    const silent = ["packages", "accounts", "files"];
    assert.ok(!(lean.errors ?? []).some((e) => silent.includes(e.collector)));
  });

  test("a saved key without a secret is enough", async () => {
    assert.equal((await run([...withServer, "--enroll-secret", SECRET])).code, 0);
    const again = await run(withServer);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(api.reports.length, 2);
  });

  test("401 for a saved key: enroll again once, resend once", async () => {
    assert.equal((await run([...withServer, "--enroll-secret", SECRET])).code, 0);
    const oldKey = readFileSync(join(stateDir, "node-key"), "utf8").trim();
    api.keys.clear(); // the API forgot every host
    const result = await run([...withServer, "--enroll-secret", SECRET]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(api.enrolls.length, 2);
    assert.equal(api.reports.length, 2);
    const newKey = readFileSync(join(stateDir, "node-key"), "utf8").trim();
    assert.notEqual(newKey, oldKey);
    assert.equal(api.reports[1]!.authorization, `Bearer ${newKey}`);
  });

  test("401 again after re-enrolling: exit 4, no loop", async () => {
    assert.equal((await run([...withServer, "--enroll-secret", SECRET])).code, 0);
    api.keys.clear();
    // The fresh key is accepted as a key, and the report refused all the same.
    api.answer = {
      status: 401,
      body: { error: { code: "unauthorized", message: "no agents today" } },
    };
    const result = await run([...withServer, "--enroll-secret", SECRET]);
    assert.equal(result.code, 4);
    assert.match(result.stderr, /no agents today/);
    assert.equal(api.enrolls.length, 2, "one re-enrollment only");
  });

  test("401 for a saved key and no secret to enroll with: exit 4, says what to set", async () => {
    assert.equal((await run([...withServer, "--enroll-secret", SECRET])).code, 0);
    api.keys.clear();
    const result = await run(withServer);
    assert.equal(result.code, 4);
    assert.match(result.stderr, /unknown node key.*COMPLIANCE_ENROLL_SECRET/);
    assert.equal(api.enrolls.length, 1);
  });

  test("a 400 answer: exit 4 with the API's message", async () => {
    api.answer = {
      status: 400,
      body: { error: { code: "bad_report", message: "/processes/3/pid: must be an integer" } },
    };
    const result = await run([...withServer, "--enroll-secret", SECRET]);
    assert.equal(result.code, 4);
    assert.equal(
      result.stderr,
      `compliance-agent: report rejected: 400 bad_report: /processes/3/pid: must be an integer (refusal 1 of ${SET_ASIDE_AFTER} before it is set aside); 1 report spooled in ${join(stateDir, "spool")} for the next run\n`,
    );
  });

  test(`a report refused by ${SET_ASIDE_AFTER} runs is set aside, counted across runs; the later ones go`, async () => {
    let bad: string | undefined;
    api.refuse = (report) => {
      bad ??= report.report_id;
      return report.report_id === bad
        ? { status: 422, body: { error: { code: "unprocessable", message: "never" } } }
        : undefined;
    };
    for (let run_ = 1; run_ < SET_ASIDE_AFTER; run_++) {
      const result = await run([...withServer, "--enroll-secret", SECRET]);
      assert.equal(result.code, 4);
      assert.match(
        result.stderr,
        new RegExp(
          `422 unprocessable: never \\(refusal ${run_} of ${SET_ASIDE_AFTER} before it is set aside\\); ${run_} reports? spooled`,
        ),
      );
    }
    assert.deepEqual(api.sent, Array(SET_ASIDE_AFTER - 1).fill(bad), "the oldest first, each time");
    assert.equal(api.reports.length, 0);

    const last = await run([...withServer, "--enroll-secret", SECRET]);
    assert.equal(last.code, 0, last.stderr);
    assert.equal(api.sent.filter((id) => id === bad).length, SET_ASIDE_AFTER);
    assert.equal(api.reports.length, SET_ASIDE_AFTER - 1, "every later report, this run's last");
    const told = api.reports.map((r) => r.report.agent.set_aside);
    assert.deepEqual(told[0], {
      count: 1,
      last_status: 422,
      last_error: "report rejected: 422 unprocessable: never",
    });
    assert.deepEqual(told.slice(1), Array(SET_ASIDE_AFTER - 2).fill(undefined), "told once");
    const rejected = readdirSync(join(stateDir, "spool", SET_ASIDE_DIR));
    assert.equal(rejected.length, 1);
    assert.ok(rejected[0]!.endsWith(`-${bad}.json`));
  });

  test("a 409 refusal is counted; a 408, 425 or 429 is not", async () => {
    for (const status of [408, 425, 429, 409]) {
      api.answer = { status, body: { error: { code: `s${status}`, message: "no" } } };
      const result = await run([...withServer, "--enroll-secret", SECRET]);
      assert.equal(result.code, 4);
      const counted = /refusal 1 of/.test(result.stderr);
      assert.equal(counted, status === 409, `${status}: ${result.stderr}`);
    }
  });

  test("a 500 answer: exit 5", async () => {
    api.answer = { status: 500, body: "<html>Internal Server Error</html>" };
    const result = await run([...withServer, "--enroll-secret", SECRET]);
    assert.equal(result.code, 5);
    assert.match(result.stderr, /API server error on report: 500: .*Internal Server Error/);
  });

  test("a wrong enroll secret: exit 4 and no key saved", async () => {
    const result = await run([...withServer, "--enroll-secret", "wrong"]);
    assert.equal(result.code, 4);
    assert.match(
      result.stderr,
      /enrollment rejected: 401 bad_enroll_secret: the enroll secret is wrong/,
    );
    assert.equal(existsSync(join(stateDir, "node-key")), false);
  });

  test("no node key and no secret: exit 2 naming the variable, nothing sent", async () => {
    const result = await run(withServer);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /COMPLIANCE_ENROLL_SECRET/);
    assert.equal(api.enrolls.length + api.reports.length, 0);
  });

  test("no server URL, or a bad one: exit 2 naming the flag or variable", async () => {
    const missing = await run(["--enroll-secret", SECRET]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /COMPLIANCE_SERVER_URL/);
    const badEnv = await run(["--enroll-secret", SECRET], {
      COMPLIANCE_SERVER_URL: "localhost:8080",
    });
    assert.equal(badEnv.code, 2);
    assert.match(
      badEnv.stderr,
      /COMPLIANCE_SERVER_URL must be an http:\/\/ or https:\/\/ URL, not "localhost:8080"/,
    );
  });

  test("connection refused: exit 3", async () => {
    const closed = new FakeApi();
    await closed.start();
    await closed.stop();
    const result = await run(["--server", closed.url, "--enroll-secret", SECRET]);
    assert.equal(result.code, 3);
    assert.match(
      result.stderr,
      /cannot reach http:\/\/127\.0\.0\.1:\d+\/api\/v1\/enroll: ECONNREFUSED/,
    );
  });

  test(
    "no answer within the timeout: exit 3 once the timeout has passed, not before",
    HANG_LIMIT,
    async () => {
      api.silent = true;
      const clock = new FakeClock();
      const arrival = api.nextArrival();
      const running = start(
        [...withServer, "--enroll-secret", SECRET, "--timeout", "300"],
        {},
        clock,
      );
      // The request is at the API, which keeps quiet; the agent waits on its own clock.
      await arrival;
      const timeout = await clock.sleeping((sleep) => sleep.ms === 300);
      clock.advance(299);
      assert.deepEqual(clock.pending, [timeout], "a millisecond early, still waiting");
      clock.advance(1);
      assert.equal(await running.code, 3);
      assert.match(running.out.stderr(), /no answer from .* within 300 ms/);
      assert.deepEqual(clock.pending, [], "nothing left waiting");
    },
  );
});

describe("runOnce", () => {
  const api = new FakeApi();
  before(() => api.start());
  after(() => api.stop());

  test("takes its HTTP client and clock from the caller and returns the API's answer", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agent-lib-"));
    const clock = new FakeClock({ wall: Date.parse("2026-11-22T10:15:53.000Z") });
    api.now = () => clock.now();
    const real = createHttpClient({ clock });
    try {
      const calls: string[] = [];
      const counting: HttpClient = (request) => {
        calls.push(request.url);
        return real(request);
      };
      const result = await runOnce({
        serverUrl: api.url,
        enrollSecret: SECRET,
        stateDir: dir,
        http: counting,
        clock,
        collect: { cpuWindowMs: 0 },
      });
      assert.deepEqual(calls, [`${api.url}/api/v1/enroll`, `${api.url}/api/v1/reports`]);
      assert.equal(result.enrolled, true);
      assert.equal(result.accepted.status, "stored");
      assert.equal(result.accepted.report_id, result.report.report_id);
      assert.equal(result.accepted.host_id, 7);
      assert.equal(result.report.collected_at, "2026-11-22T10:15:53.000Z");
      assert.equal(result.accepted.received_at, "2026-11-22T10:15:53.000Z");
    } finally {
      real.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("reports travel gzip-compressed; an API that refuses that (415) gets the report as it is", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agent-lib-"));
    const clock = new FakeClock({ wall: Date.parse("2026-11-22T10:15:53.000Z") });
    api.now = () => clock.now();
    const http = createHttpClient({ clock });
    const run = () =>
      runOnce({
        serverUrl: api.url,
        enrollSecret: SECRET,
        stateDir: dir,
        http,
        clock,
        collect: { cpuWindowMs: 0 },
      });
    try {
      api.encodings = [];
      const first = await run();
      assert.equal(first.accepted.status, "stored");
      assert.deepEqual(api.encodings, ["gzip"]);
      api.takesGzip = false;
      api.encodings = [];
      const second = await run();
      assert.equal(second.accepted.report_id, second.report.report_id);
      assert.deepEqual(api.encodings, ["gzip", "identity"]);
    } finally {
      api.takesGzip = true;
      http.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a base URL with a path prefix keeps it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agent-lib-"));
    try {
      const calls: string[] = [];
      const recording: HttpClient = async (request) => {
        calls.push(request.url);
        return {
          status: 404,
          headers: {},
          body: JSON.stringify({ error: { code: "nope", message: "behind a proxy" } }),
        };
      };
      await assert.rejects(
        runOnce({
          serverUrl: "https://proxy.example/compliance/",
          enrollSecret: SECRET,
          stateDir: dir,
          http: recording,
          clock: new FakeClock(),
          collect: { cpuWindowMs: 0 },
        }),
        { code: "api_rejected", status: 404, exitCode: 4 },
      );
      assert.deepEqual(calls, ["https://proxy.example/compliance/api/v1/enroll"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
