import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import parsePrometheusTextFormat, { type PrometheusSample } from "parse-prometheus-text-format";
import { buildApp } from "../src/app.ts";
import { hashSecret } from "../src/auth.ts";
import { loadConfig } from "../src/config.ts";
import { openStore } from "../src/store/sql-store.ts";
import type { Store } from "../src/store/store.ts";
import { ADMIN_TOKEN, ENROLL_SECRET, startTestApp } from "./helpers/app.ts";
import { createTestDatabase, ENGINES, type TestDatabase } from "./helpers/databases.ts";
import { makeReport } from "./helpers/reports.ts";

const METRICS_TOKEN = "metrics-scrape-token-0123456789";
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

type App = Awaited<ReturnType<typeof buildApp>>;

/** The scrape, parsed by a Prometheus text-format parser: family name -> samples. */
async function scrape(app: App): Promise<Map<string, PrometheusSample[]>> {
  const r = await app.inject({
    method: "GET",
    url: "/metrics",
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  assert.equal(r.statusCode, 200, r.body);
  assert.match(String(r.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  return new Map(parsePrometheusTextFormat(r.body).map((f) => [f.name, f.metrics]));
}

function value(m: Map<string, PrometheusSample[]>, name: string, labels: object = {}): number {
  const samples = m.get(name);
  assert.ok(samples, `${name} is exported`);
  const hit = samples.find((s) =>
    Object.entries(labels).every(([k, v]) => s.labels?.[k] === String(v)),
  );
  if (!hit) return 0;
  // A histogram: its count (the +Inf bucket when the parser gives only the buckets).
  return Number(hit.value ?? hit.count ?? hit.buckets?.["+Inf"]);
}

describe("GET /metrics is off without COMPLIANCE_METRICS_TOKEN", () => {
  test("404", async () => {
    const t = await startTestApp("sqlite");
    try {
      const r = await t.app.inject({ method: "GET", url: "/metrics", headers: admin });
      assert.equal(r.statusCode, 404);
    } finally {
      await t.close();
    }
  });
});

for (const engine of ENGINES) {
  describe(`Prometheus metrics on ${engine}`, () => {
    let database: TestDatabase;
    let store: Store;
    let app: App;
    before(async () => {
      database = await createTestDatabase(engine);
      store = openStore({ url: database.url });
      await store.migrate();
      app = await buildApp({
        store,
        config: loadConfig({ COMPLIANCE_METRICS_TOKEN: METRICS_TOKEN }),
        secrets: {
          adminTokenHash: hashSecret(ADMIN_TOKEN),
          enrollSecretHash: hashSecret(ENROLL_SECRET),
        },
      });
    });
    after(async () => {
      await app?.close();
      await store?.close();
      await database?.drop();
    });

    test("only the metrics token reads them", async () => {
      for (const headers of [{}, admin, { authorization: "Bearer wrong-token-0123456789" }]) {
        const r = await app.inject({ method: "GET", url: "/metrics", headers });
        assert.equal(r.statusCode, 401);
        assert.equal(r.json().error.code, "unauthorized");
      }
    });

    test("reports received, stored, replayed and rejected move; so do the gauges", async () => {
      const policy = await app.inject({
        method: "POST",
        url: "/api/v1/policies",
        headers: admin,
        payload: {
          id: "no-telnet",
          name: "No telnet",
          severity: "high",
          description: "Telnet sends passwords in clear text.",
          resolution: "Remove it.",
          tags: ["cleartext"],
          check: { none: [{ process: { name: "telnetd" } }] },
        },
      });
      assert.equal(policy.statusCode, 201, policy.body);
      const m0 = await scrape(app);
      assert.equal(value(m0, "compliance_reports_received_total"), 0);
      assert.equal(value(m0, "compliance_hosts", { status: "online" }), 0);

      const enrolled = await app.inject({
        method: "POST",
        url: "/api/v1/enroll",
        payload: { enroll_secret: ENROLL_SECRET, host_identifier: `metrics-${engine}` },
      });
      const key = { authorization: `Bearer ${enrolled.json().node_key}` };
      const report = makeReport({ identifier: `metrics-${engine}` });
      report.agent = {
        ...report.agent,
        rss_bytes: 40 * 1024 * 1024,
        cpu_seconds: 0.2,
        dropped_reports: 3,
        set_aside: { count: 2 },
      };
      const send = (payload: object) =>
        app.inject({ method: "POST", url: "/api/v1/reports", headers: key, payload });
      assert.equal((await send(report)).statusCode, 201);
      assert.equal((await send(report)).statusCode, 201, "the same report again: replayed");
      const other = makeReport({ identifier: "someone-else" });
      assert.equal((await send(other)).statusCode, 403);
      assert.equal((await send({ ...report, schema_version: 99 })).statusCode, 400);

      const m = await scrape(app);
      assert.equal(value(m, "compliance_reports_received_total"), 4);
      assert.equal(value(m, "compliance_reports_stored_total"), 1);
      assert.equal(value(m, "compliance_reports_duplicate_total"), 1);
      assert.equal(
        value(m, "compliance_reports_rejected_total", { status: 403, code: "host_mismatch" }),
        1,
      );
      assert.equal(
        value(m, "compliance_reports_rejected_total", { status: 400, code: "invalid_request" }),
        1,
      );
      assert.equal(value(m, "compliance_ingest_duration_seconds"), 4, "histogram count");
      assert.equal(value(m, "compliance_agent_rss_bytes"), 1);
      assert.equal(value(m, "compliance_agent_cpu_seconds"), 1);
      assert.equal(value(m, "compliance_agent_dropped_reports_total"), 3);
      assert.equal(value(m, "compliance_agent_set_aside_reports_total"), 2);
      assert.ok(
        value(m, "compliance_policy_evaluation_seconds") >= 1,
        JSON.stringify(m.get("compliance_policy_evaluation_seconds")),
      );
      assert.equal(value(m, "compliance_hosts", { status: "online" }), 1);
      assert.equal(value(m, "compliance_hosts", { status: "offline" }), 0);
      if (engine === "sqlite") {
        assert.ok(value(m, "compliance_commit_batch_size") >= 1);
        assert.equal(m.has("compliance_db_pool_connections"), false);
      } else {
        assert.ok(value(m, "compliance_db_pool_connections", { state: "total" }) >= 1);
        assert.equal(value(m, "compliance_db_pool_connections", { state: "waiting" }), 0);
      }
      assert.ok(m.has("process_resident_memory_bytes"), "the process's own metrics");
    });
  });
}
