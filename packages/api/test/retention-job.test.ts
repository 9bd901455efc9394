import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../src/config.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import { openStore } from "../src/store/sql-store.ts";
import { makeReport } from "./helpers/reports.ts";

const ADMIN = "retention-admin-token-0123456789";

/** COMPLIANCE_RETENTION_DAYS makes the running API prune on its own. */
describe("the retention job", () => {
  let dir: string;
  let server: RunningServer;
  const old = [
    makeReport({ identifier: "aging", collected_at: "2026-01-01T00:00:00Z" }),
    makeReport({ identifier: "aging", collected_at: "2026-02-01T00:00:00Z" }),
  ];
  const recent = makeReport({
    identifier: "aging",
    collected_at: new Date(Date.now() - 3600_000).toISOString(),
  });
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "compliance-retention-"));
    const url = `sqlite:${join(dir, "compliance.db")}`;
    const store = openStore({ url });
    await store.migrate();
    const { hostId } = await store.enrollHost({
      identifier: "aging",
      hostname: "aging",
      nodeKeyHash: "k",
      source: "agent",
    });
    for (const r of [...old, recent]) await store.ingest(hostId, r, Date.now());
    await store.close();
    server = await startServer(
      loadConfig({
        PORT: "0",
        DATABASE_URL: url,
        COMPLIANCE_DATA_DIR: dir,
        COMPLIANCE_ADMIN_TOKEN: ADMIN,
        COMPLIANCE_ENROLL_SECRET: "retention-enroll-secret-0123",
        COMPLIANCE_RETENTION_DAYS: "30",
        LOG_LEVEL: "silent",
      }),
      { print: () => {} },
    );
  });
  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("executions older than the retention are pruned at start, the recent ones kept", async () => {
    const status = (id: string) =>
      fetch(`${server.url}/api/v1/reports/${id}`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      }).then((r) => r.status);
    let statuses: number[] = [];
    for (let i = 0; i < 50; i++) {
      statuses = await Promise.all(old.map((r) => status(r.report_id)));
      if (statuses.every((s) => s === 404)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(statuses, [404, 404]);
    assert.equal(await status(recent.report_id), 200);
  });
});
