import assert from "node:assert/strict";
import { chmodSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ConfigError, loadConfig } from "../src/config.ts";
import { scanJson } from "../src/http/json-limits.ts";
import { TokenBuckets } from "../src/http/rate-limit.ts";
import { OPEN_LEGACY_WARNING } from "../src/server.ts";
import {
  ADMIN,
  enrollHost,
  openRaw,
  postText,
  SECRET,
  type StartedServer,
  startHttpServer,
} from "./helpers/http-server.ts";
import { makeProcess, makeReport } from "./helpers/reports.ts";

/** A report whose host.ip_addresses holds `count` items, written compactly (2 bytes each). */
function reportWithAddresses(identifier: string, count: number): string {
  const text = JSON.stringify(
    makeReport({
      identifier,
      host: { identifier, hostname: identifier, primary_ip: "10.0.0.1", ip_addresses: ["X"] },
    }),
  );
  return text.replace('["X"]', `[${"0,".repeat(count - 1)}0]`);
}

/** `[[[[…]]]]` nested `levels` deep: 2 bytes a level. */
const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;

/** The largest real report seen: 1,300 processes and an inventory of 2,000 packages. */
function largestRealReport(identifier: string) {
  return makeReport({
    identifier,
    processes: Array.from({ length: 1300 }, (_, i) =>
      makeProcess({
        pid: i + 1,
        ppid: 1,
        name: `worker-${i}`,
        user: "www-data",
        cmdline: `/usr/bin/worker --id ${i} --config /etc/worker/worker.conf --threads 4`,
      }),
    ),
    packages: Array.from({ length: 2000 }, (_, i) => ({
      name: `lib-package-${i}`,
      version: `1.${i % 17}.${i % 5}-1+deb12u1`,
      arch: "amd64",
      source: "deb",
    })),
  });
}

const errorOf = async (r: Response) => ((await r.json()) as { error: any }).error;

describe("JSON bodies are checked before they are parsed", () => {
  test("a million-item array is refused after reading its first items, not all of it", () => {
    const text = reportWithAddresses("scan", 1_000_000);
    const problem = scanJson(text, { maxDepth: 64, maxItems: 50_000 });
    assert.ok(problem);
    assert.equal(problem.kind, "items");
    assert.equal(problem.path, "body/host/ip_addresses");
    assert.ok(
      problem.offset < text.length / 10,
      `the scan stopped at ${problem.offset} of ${text.length} characters`,
    );
  });

  test("four million small items in arrays each within the limit are refused at a million in all", () => {
    const text = `{"x":[${Array.from({ length: 160 }, () => `[${"0,".repeat(24_999)}0]`).join(",")}]}`;
    const problem = scanJson(text, { maxDepth: 64, maxItems: 50_000 });
    assert.equal(problem?.kind, "values");
    assert.equal(problem.path, "body");
    assert.ok(
      problem.offset < text.length / 3,
      `the scan stopped at ${problem.offset} of ${text.length} characters`,
    );
    const report = JSON.stringify(largestRealReport("values"));
    assert.equal(scanJson(report, { maxDepth: 64, maxItems: 50_000 }), null);
  });

  test("depth is refused at the first level past the limit, naming where", () => {
    const text = `{"a":[{"b\\"/c":${nested(10_000)}}]}`;
    const problem = scanJson(text, { maxDepth: 64, maxItems: 50_000 });
    assert.equal(problem?.kind, "depth");
    assert.ok(problem.path.startsWith('body/a/0/b"~1c/0/0'), problem.path);
    assert.ok(problem.offset < 100, `stopped at ${problem.offset}`);
  });

  test("strings never count: brackets, commas and escaped quotes inside them are text", () => {
    const text = JSON.stringify({ s: `${"[,".repeat(100)}\\"]]`, list: [1, 2, 3] });
    assert.equal(scanJson(text, { maxDepth: 3, maxItems: 3 }), null);
    assert.equal(scanJson(text, { maxDepth: 3, maxItems: 2 })?.path, "body/list");
  });

  test("objects with too many members are refused like arrays", () => {
    const members = Array.from({ length: 11 }, (_, i) => `"k${i}":1`).join(",");
    assert.equal(
      scanJson(`{"settings":{"sysctl":{${members}}}}`, { maxDepth: 8, maxItems: 10 })?.path,
      "body/settings/sysctl",
    );
  });
});

describe("body and JSON limits over HTTP", () => {
  let s: StartedServer;
  let nodeKey: string;
  before(async () => {
    s = await startHttpServer();
    nodeKey = await enrollHost(s.server.url, "limits-host");
  });
  after(() => s?.close());
  const report = (text: string) =>
    postText(`${s.server.url}/api/v1/reports`, text, {
      "content-type": "application/json",
      authorization: `Bearer ${nodeKey}`,
    });

  test("a report with 1,000,000 ip_addresses is a 413 naming the field; /health answers meanwhile", async () => {
    const [refused, health] = await Promise.all([
      report(reportWithAddresses("limits-host", 1_000_000)),
      fetch(`${s.server.url}/health`),
    ]);
    assert.equal(refused.status, 413);
    const error = await errorOf(refused);
    assert.equal(error.code, "too_many_items");
    assert.match(error.message, /body\/host\/ip_addresses holds more than 50000 items/);
    assert.equal(health.status, 200);
  });

  test("a report of four million small items in all is a 413 before it is parsed", async () => {
    const body = `{"x":[${Array.from({ length: 160 }, () => `[${"0,".repeat(24_999)}0]`).join(",")}]}`;
    const r = await report(body);
    assert.equal(r.status, 413);
    const error = await errorOf(r);
    assert.equal(error.code, "too_many_values");
    assert.match(error.message, /^body holds more than 1000000 items and members in all/);
  });

  test("a report nested 10,000 levels deep is a 400 naming the limit", async () => {
    const r = await report(`{"processes":${nested(10_000)}}`);
    assert.equal(r.status, 400);
    const error = await errorOf(r);
    assert.equal(error.code, "too_deep");
    assert.match(error.message, /^body\/processes\/0\/0.* nests arrays and objects deeper than 64/);
  });

  test("the largest real report fits with room to spare", async () => {
    const body = JSON.stringify(largestRealReport("limits-host"));
    assert.ok(body.length > 150_000 && body.length < 800_000, `${body.length} bytes`);
    assert.ok(body.length * 10 < 8 * 1024 * 1024, "the report limit gives 10 times its size");
    assert.equal((await report(body)).status, 201);
  });

  test("a report over 8 MiB is a 413 saying the route's limit", async () => {
    const r = await report(`{"pad":"${"x".repeat(8 * 1024 * 1024)}"}`);
    assert.equal(r.status, 413);
    const error = await errorOf(r);
    assert.equal(error.code, "body_too_large");
    assert.match(error.message, /larger than the 8388608 bytes POST \/api\/v1\/reports accepts/);
  });

  test("an enrollment needs a few KB: 20 KB is a 413", async () => {
    const r = await postText(
      `${s.server.url}/api/v1/enroll`,
      JSON.stringify({ enroll_secret: SECRET, host_identifier: "x".repeat(20_000) }),
    );
    assert.equal(r.status, 413);
    assert.match((await errorOf(r)).message, /16384 bytes POST \/api\/v1\/enroll/);
  });

  test("__proto__ keys are still refused by the parser", async () => {
    const r = await postText(
      `${s.server.url}/api/v1/enroll`,
      `{"enroll_secret":"${SECRET}","host_identifier":"p","__proto__":{"x":1}}`,
    );
    assert.equal(r.status, 400);
  });
});

describe("legacy ingest: limits while parsing, and a warning when it has no key", () => {
  let s: StartedServer;
  before(async () => {
    s = await startHttpServer({ COMPLIANCE_LEGACY_INGEST: "1" });
  });
  after(() => s?.close());

  test("10,000 levels of nesting is a 400 on every legacy route and content type, never a 500", async () => {
    const body = `{"ipaddress":${nested(10_000)}}`;
    assert.ok(body.length > 19_000);
    for (const url of ["/servers", "/report", "/api/v1/compliance/system_info", "/hosts", "/"]) {
      for (const type of ["application/json", "application/x-www-form-urlencoded", null]) {
        // A byte body goes without a Content-Type unless one is given, as seed 004's agent sends.
        const r = await fetch(`${s.server.url}${url}`, {
          method: "POST",
          headers: type ? { "content-type": type } : {},
          body: Buffer.from(body),
        });
        const answer = (await r.json()) as { error: { code: string; message: string } };
        // Seed 003's routes answer 422, as FastAPI did.
        assert.equal(r.status, url === "/hosts" ? 422 : 400, `${url} ${type}`);
        // (and its own error code for every unreadable body).
        if (url !== "/hosts") assert.equal(answer.error.code, "too_deep", `${url} ${type}`);
        assert.match(
          answer.error.message,
          /^body\/ipaddress\/0\/0.* nests arrays and objects deeper than 64/,
        );
      }
    }
  });

  test("a legacy body of a million items is refused before it is parsed", async () => {
    const body = `{"Processes":[${"0,".repeat(999_999)}0]}`;
    const r = await fetch(`${s.server.url}/`, { method: "POST", body: Buffer.from(body) });
    assert.equal(r.status, 413);
    assert.match((await errorOf(r)).message, /body\/Processes holds more than 50000 items/);
  });

  test("the start warns, on stdout and in the log at warn level, that anyone can write", () => {
    assert.ok(s.printed.includes(OPEN_LEGACY_WARNING), s.printed.join("\n"));
    const warned = s.logs.map((l) => JSON.parse(l)).find((l) => l.msg === OPEN_LEGACY_WARNING);
    assert.equal(warned?.level, 40);
    assert.match(OPEN_LEGACY_WARNING, /COMPLIANCE_LEGACY_KEY/);
  });

  test("with a legacy key set, there is no warning", async () => {
    const keyed = await startHttpServer({
      COMPLIANCE_LEGACY_INGEST: "1",
      COMPLIANCE_LEGACY_KEY: "a-legacy-key-0123456789",
    });
    try {
      assert.ok(!keyed.printed.includes(OPEN_LEGACY_WARNING));
      assert.ok(!keyed.logs.some((l) => l.includes("legacy ingest is on")));
    } finally {
      await keyed.close();
    }
  });
});

describe("slow clients and too many connections", () => {
  test("a client trickling its body is cut off after the request timeout", {
    timeout: 120_000,
  }, async () => {
    const s = await startHttpServer({
      COMPLIANCE_REQUEST_TIMEOUT: "1",
      COMPLIANCE_HEADERS_TIMEOUT: "1",
    });
    try {
      const raw = await openRaw(s.port);
      raw.socket.write(
        "POST /api/v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n",
      );
      let sent = 0;
      let open = true;
      void raw.closed.then(() => {
        open = false;
      });
      // One byte at a time for as long as the server keeps the connection: it must end it.
      while (open && sent < 10_000) {
        raw.socket.write("{");
        sent++;
        await new Promise((r) => setTimeout(r, 50));
      }
      await raw.closed;
      assert.ok(sent < 10_000, "the server ended the request before its body was complete");
      assert.match(raw.received(), /^HTTP\/1\.1 408|^$/);
    } finally {
      await s.close();
    }
  });

  test("connections past the cap are refused while the open ones keep working", async () => {
    const s = await startHttpServer({ COMPLIANCE_MAX_CONNECTIONS: "2" });
    const health = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n";
    try {
      const first = await openRaw(s.port);
      const second = await openRaw(s.port);
      assert.match(await first.request(health), /^HTTP\/1\.1 200/);
      assert.match(await second.request(health), /^HTTP\/1\.1 200/);
      const third = await openRaw(s.port).catch(() => null);
      if (third) {
        third.socket.write(health);
        await third.closed;
        assert.equal(third.received(), "", "the third connection got no answer");
      }
      assert.match(await first.request(health), /^HTTP\/1\.1 200/, "the first still works");
      first.socket.destroy();
      second.socket.destroy();
    } finally {
      await s.close();
    }
  });
});

describe("rate limits", () => {
  let s: StartedServer;
  before(async () => {
    s = await startHttpServer({
      // Small buckets that refill once in ~17 minutes: nothing refills during the test.
      COMPLIANCE_RATE_LIMIT_REPORTS: "5,0.001",
      COMPLIANCE_RATE_LIMIT_ENROLL: "5,0.001",
      COMPLIANCE_RATE_LIMIT_AUTH: "3,0.001",
      COMPLIANCE_TRUST_PROXY: "127.0.0.1",
    });
  });
  after(() => s?.close());
  const send = (nodeKey: string, identifier: string) =>
    postText(`${s.server.url}/api/v1/reports`, JSON.stringify(makeReport({ identifier })), {
      "content-type": "application/json",
      authorization: `Bearer ${nodeKey}`,
    });

  test("a flood from one node key gets 429 with Retry-After; another host is never refused", async () => {
    const flooder = await enrollHost(s.server.url, "flooder");
    const quiet = await enrollHost(s.server.url, "quiet");
    const flood: number[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await send(flooder, "flooder");
      flood.push(r.status);
      if (r.status === 429) {
        assert.ok(Number(r.headers.get("retry-after")) >= 1);
        assert.equal((await errorOf(r)).code, "rate_limited");
      }
      if (i % 3 === 0) assert.equal((await send(quiet, "quiet")).status, 201, "the other host");
    }
    assert.deepEqual(flood, [201, 201, 201, 201, 201, 429, 429, 429, 429, 429, 429, 429]);
  });

  test("one report per host at a time: a second one while the first is received gets 429, held for a while", async () => {
    const key = await enrollHost(s.server.url, "one-at-a-time");
    const body = JSON.stringify(makeReport({ identifier: "one-at-a-time" }));
    const first = await openRaw(s.port);
    // The first report's headers and half its body: it is now being received.
    const half = Math.floor(body.length / 2);
    const answered = first.request(
      `POST /api/v1/reports HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n` +
        `authorization: Bearer ${key}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n` +
        body.slice(0, half),
    );
    try {
      const began = performance.now();
      const second = await send(key, "one-at-a-time");
      const took = performance.now() - began;
      assert.equal(second.status, 429);
      assert.ok(Number(second.headers.get("retry-after")) >= 1);
      const error = await errorOf(second);
      assert.equal(error.code, "rate_limited");
      assert.match(error.message, /already being stored/);
      // A refusal is held (up to a second) before it is sent, so a flooder waits too.
      assert.ok(took >= 900, `the refusal was held ${took.toFixed(0)} ms`);
      first.socket.write(body.slice(half));
      assert.match(await answered, /^HTTP\/1\.1 201/);
      // Once the first is answered, the host may send again.
      assert.equal((await send(key, "one-at-a-time")).status, 201);
    } finally {
      first.socket.destroy();
    }
  });

  test("enrollments are limited per source address", async () => {
    // Three were spent above; two more fit.
    const from = (address: string, identifier: string) =>
      postText(
        `${s.server.url}/api/v1/enroll`,
        JSON.stringify({ enroll_secret: SECRET, host_identifier: identifier }),
        { "content-type": "application/json", "x-forwarded-for": address },
      );
    assert.equal((await from("127.0.0.1", "e1")).status, 200);
    assert.equal(await enrollHost(s.server.url, "e2").then(() => 200), 200);
    const refused = await from("127.0.0.1", "e3");
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
    assert.equal((await from("192.0.2.7", "e4")).status, 200, "another address is not limited");
  });

  test("failed authentications from an address end in 429 for it, before any token is checked", async () => {
    const hosts = (token: string, address: string) =>
      fetch(`${s.server.url}/api/v1/hosts`, {
        headers: { authorization: `Bearer ${token}`, "x-forwarded-for": address },
      });
    const attacker = "198.51.100.9";
    for (let i = 0; i < 3; i++) assert.equal((await hosts(`wrong-${i}`, attacker)).status, 401);
    const blocked = await hosts("wrong-again", attacker);
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers.get("retry-after")) >= 1);
    assert.equal((await hosts(ADMIN, attacker)).status, 429, "even a valid token waits");
    assert.equal((await hosts(ADMIN, "203.0.113.5")).status, 200, "other addresses are served");
    const health = await fetch(`${s.server.url}/health`, {
      headers: { "x-forwarded-for": attacker },
    });
    assert.equal(health.status, 200, "/health is never limited");
  });

  test("token buckets: a burst, then the rate; a full bucket's key is forgotten first", () => {
    let now = 0;
    const buckets = new TokenBuckets({ burst: 60, perSecond: 1 }, () => now, 3);
    for (let i = 0; i < 60; i++) assert.equal(buckets.take("a"), 0);
    assert.equal(buckets.take("a"), 1);
    now += 1;
    assert.equal(buckets.take("a"), 0);
    assert.equal(buckets.take("a"), 1);
    buckets.take("b");
    buckets.take("c");
    now += 100;
    buckets.take("d");
    assert.ok(buckets.size <= 3);
  });
});

describe("security headers on every kind of answer", () => {
  let s: StartedServer;
  const consoleDir = fileURLToPath(new URL("../../console/dist", import.meta.url));
  before(async () => {
    s = await startHttpServer({ COMPLIANCE_LEGACY_INGEST: "1" }, { consoleDir });
  });
  after(() => s?.close());

  test("console, its assets, the API, /health, /docs, OpenAPI, legacy routes, errors", async () => {
    const index = readFileSync(join(consoleDir, "index.html"), "utf8");
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(index)?.[1];
    assert.ok(script, "the console's index names its script");
    assert.doesNotMatch(index, /<script>|<script [^>]*>\s*[^<\s]/, "no inline script");
    const auth = { authorization: `Bearer ${ADMIN}` };
    const cases: [string, Record<string, string>, number, RegExp][] = [
      ["/", {}, 200, /script-src 'self'; style-src 'self'/],
      [`/${script}`, {}, 200, /^default-src 'none'/],
      ["/api/v1/hosts", auth, 200, /^default-src 'none'/],
      ["/api/v1/hosts", {}, 401, /^default-src 'none'/],
      ["/health", {}, 200, /^default-src 'none'/],
      ["/openapi.json", {}, 200, /^default-src 'none'/],
      ["/docs/", {}, 200, /style-src 'self' 'unsafe-inline'/],
      ["/hosts", {}, 200, /^default-src 'none'/],
      ["/no/such/page", {}, 404, /^default-src 'none'/],
    ];
    for (const [path, headers, status, csp] of cases) {
      const r = await fetch(`${s.server.url}${path}`, { headers, redirect: "manual" });
      assert.equal(r.status, status, path);
      assert.equal(r.headers.get("x-content-type-options"), "nosniff", path);
      assert.equal(r.headers.get("x-frame-options"), "DENY", path);
      assert.equal(r.headers.get("referrer-policy"), "no-referrer", path);
      const policy = r.headers.get("content-security-policy") ?? "";
      assert.match(policy, csp, path);
      assert.match(policy, /frame-ancestors 'none'/, path);
      assert.doesNotMatch(policy, /unsafe-eval/, path);
      await r.arrayBuffer();
    }
  });

  test("a revalidated console page (304) keeps the console's policy, which a browser stores", async () => {
    const first = await fetch(`${s.server.url}/`);
    await first.arrayBuffer();
    // What a browser's reload sends.
    const again = await fetch(`${s.server.url}/`, {
      headers: {
        "if-none-match": first.headers.get("etag") ?? "",
        "if-modified-since": first.headers.get("last-modified") ?? "",
        "cache-control": "max-age=0",
      },
    });
    assert.equal(again.status, 304);
    assert.match(again.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    assert.equal(again.headers.get("x-frame-options"), "DENY");
  });
});

describe("generated secrets and the files the API keeps", () => {
  test("secrets are saved 0600 and never printed; data dir 0700, database, WAL and SHM 0600", async () => {
    const umask = process.umask(0o022);
    let s: StartedServer | null = null;
    try {
      s = await startHttpServer({}, { secrets: false });
      const data = join(s.dir, "data");
      const admin = readFileSync(join(data, "admin-token"), "utf8").trim();
      const enroll = readFileSync(join(data, "enroll-secret"), "utf8").trim();
      const printed = s.printed.join("\n");
      assert.ok(!printed.includes(admin), "the admin token is not printed");
      assert.ok(!printed.includes(enroll), "the enroll secret is not printed");
      assert.match(
        printed,
        new RegExp(`admin token: generated and saved in ${join(data, "admin-token")}`),
      );
      assert.match(
        printed,
        new RegExp(`enroll secret: generated and saved in ${join(data, "enroll-secret")}`),
      );
      // The host reports once, so the WAL has been written.
      const enrolled = await postText(
        `${s.server.url}/api/v1/enroll`,
        JSON.stringify({ enroll_secret: enroll, host_identifier: "modes" }),
      );
      const key = ((await enrolled.json()) as { node_key: string }).node_key;
      const sent = await postText(
        `${s.server.url}/api/v1/reports`,
        JSON.stringify(makeReport({ identifier: "modes" })),
        { "content-type": "application/json", authorization: `Bearer ${key}` },
      );
      assert.equal(sent.status, 201);
      const mode = (file: string) => statSync(join(data, file)).mode & 0o777;
      assert.equal(mode("."), 0o700, "data directory");
      for (const file of [
        "admin-token",
        "enroll-secret",
        "compliance.db",
        "compliance.db-wal",
        "compliance.db-shm",
      ]) {
        assert.equal(mode(file).toString(8), "600", file);
      }
    } finally {
      await s?.close();
      process.umask(umask);
    }
  });

  test("an existing database left readable by others is made private at start", async () => {
    const first = await startHttpServer();
    const data = join(first.dir, "data");
    await first.server.close();
    chmodSync(join(data, "compliance.db"), 0o644);
    const again = await startHttpServer({
      COMPLIANCE_DATA_DIR: data,
    });
    try {
      assert.equal(statSync(join(data, "compliance.db")).mode & 0o777, 0o600);
    } finally {
      await again.close();
      await first.close();
    }
  });
});

describe("settings are validated, naming the variable", () => {
  test("bad values stop the start with a message naming the variable", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { COMPLIANCE_RATE_LIMIT_REPORTS: "fast" },
        /^COMPLIANCE_RATE_LIMIT_REPORTS: must be <burst>,<per second>/,
      ],
      [
        { COMPLIANCE_RATE_LIMIT_ENROLL: "10,0" },
        /^COMPLIANCE_RATE_LIMIT_ENROLL: the rate must be above 0/,
      ],
      [{ COMPLIANCE_RATE_LIMIT_AUTH: "0,1" }, /^COMPLIANCE_RATE_LIMIT_AUTH: the burst/],
      [{ COMPLIANCE_REQUEST_TIMEOUT: "0" }, /^COMPLIANCE_REQUEST_TIMEOUT: must be a whole number/],
      [
        { COMPLIANCE_REQUEST_TIMEOUT: "10", COMPLIANCE_HEADERS_TIMEOUT: "20" },
        /^COMPLIANCE_HEADERS_TIMEOUT: must not exceed COMPLIANCE_REQUEST_TIMEOUT/,
      ],
      [{ COMPLIANCE_KEEP_ALIVE_TIMEOUT: "x" }, /^COMPLIANCE_KEEP_ALIVE_TIMEOUT/],
      [{ COMPLIANCE_MAX_CONNECTIONS: "0" }, /^COMPLIANCE_MAX_CONNECTIONS/],
      [{ COMPLIANCE_REPORT_BODY_LIMIT: "1e9x" }, /^COMPLIANCE_REPORT_BODY_LIMIT/],
      [{ COMPLIANCE_JSON_MAX_DEPTH: "2" }, /^COMPLIANCE_JSON_MAX_DEPTH/],
      [{ COMPLIANCE_JSON_MAX_ITEMS: "-1" }, /^COMPLIANCE_JSON_MAX_ITEMS/],
      [{ COMPLIANCE_TRUST_PROXY: "10.0.0.0/99" }, /^COMPLIANCE_TRUST_PROXY: "10.0.0.0\/99" is not/],
      [{ COMPLIANCE_TRUST_PROXY: "proxy.local" }, /^COMPLIANCE_TRUST_PROXY/],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => loadConfig(env),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError);
          assert.match(e.message, message);
          return true;
        },
      );
    }
  });

  test("defaults, and rates switched off", () => {
    const c = loadConfig({});
    assert.deepEqual(c.rateLimits.reports, { burst: 60, perSecond: 1 });
    assert.equal(c.reportBodyLimitBytes, 8 * 1024 * 1024);
    assert.equal(c.requestTimeoutSeconds, 60);
    assert.equal(c.maxConnections, 1000);
    const off = loadConfig({
      COMPLIANCE_RATE_LIMIT_REPORTS: "0",
      COMPLIANCE_TRUST_PROXY: "loopback, 10.0.0.0/8",
    });
    assert.equal(off.rateLimits.reports, null);
    assert.equal(off.trustProxy, "loopback, 10.0.0.0/8");
  });
});
