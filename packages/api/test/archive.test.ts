import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import type { Report } from "@compliance/contract";
import S3rver from "s3rver";
import { buildApp } from "../src/app.ts";
import { Archiver } from "../src/archive/archiver.ts";
import { S3Target } from "../src/archive/s3-target.ts";
import { hashSecret } from "../src/auth.ts";
import { runCli } from "../src/cli.ts";
import { loadConfig } from "../src/config.ts";
import { exportBaseName } from "../src/export.ts";
import { openStore } from "../src/store/sql-store.ts";
import type { Store } from "../src/store/store.ts";
import { ADMIN_TOKEN, ENROLL_SECRET } from "./helpers/app.ts";
import { createTestDatabase, ENGINES, type TestDatabase } from "./helpers/databases.ts";
import { makeReport } from "./helpers/reports.ts";

// The archive of raw reports: every stored report reaches a real S3-compatible server
// (s3rver, on loopback) under seed 000's file name, even those stored while it was down,
// and `compliance-api export --to s3://…` writes every report there too.

const BUCKET = "compliance-archive";
const CREDENTIALS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };

/** A loopback port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || !address) throw new Error("no port");
  return address.port;
}

/** Starts s3rver on `port`, or fails saying why: the test never passes without a server. */
async function startS3(port: number, directory: string): Promise<S3rver> {
  const server = new S3rver({
    address: "127.0.0.1",
    port,
    silent: true,
    directory,
    configureBuckets: [{ name: BUCKET }],
  });
  try {
    await server.run();
  } catch (e) {
    throw new Error(
      `the S3-compatible test server (s3rver) could not start on 127.0.0.1:${port}: ${(e as Error).message}`,
    );
  }
  return server;
}

/** Every object under `prefix`: key → body. */
async function objects(client: S3Client, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const list = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  for (const o of list.Contents ?? []) {
    const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: o.Key! }));
    out.set(o.Key!, await r.Body!.transformToString("utf8"));
  }
  return out;
}

for (const engine of ENGINES) {
  describe(`archive on ${engine}`, () => {
    let database: TestDatabase;
    let store: Store;
    let app: Awaited<ReturnType<typeof buildApp>>;
    let port: number;
    let endpoint: string;
    let s3Dir: string;
    let s3: S3rver | null = null;
    let client: S3Client;
    let target: S3Target;
    let clock = Date.now();
    let nodeKey = "";
    const stored: string[] = [];
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

    before(async () => {
      database = await createTestDatabase(engine);
      store = openStore({ url: database.url, archive: true });
      await store.migrate();
      app = await buildApp({
        store,
        config: loadConfig({}),
        secrets: {
          adminTokenHash: hashSecret(ADMIN_TOKEN),
          enrollSecretHash: hashSecret(ENROLL_SECRET),
        },
      });
      port = await freePort();
      endpoint = `http://127.0.0.1:${port}`;
      s3Dir = mkdtempSync(join(tmpdir(), "compliance-s3-"));
      client = new S3Client({
        endpoint,
        forcePathStyle: true,
        region: "us-east-1",
        credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      });
      target = new S3Target({
        location: { bucket: BUCKET, prefix: "reports/" },
        endpoint,
        env: CREDENTIALS,
      });
      const r = await app.inject({
        method: "POST",
        url: "/api/v1/enroll",
        payload: { enroll_secret: ENROLL_SECRET, host_identifier: "archived-host" },
      });
      assert.equal(r.statusCode, 200, r.body);
      nodeKey = r.json().node_key;
    });

    after(async () => {
      target?.close();
      client?.destroy();
      await s3?.close();
      await app?.close();
      await store?.close();
      await database?.drop();
      if (s3Dir) rmSync(s3Dir, { recursive: true, force: true });
    });

    async function send(report: Report): Promise<void> {
      const r = await app.inject({
        method: "POST",
        url: "/api/v1/reports",
        headers: { authorization: `Bearer ${nodeKey}` },
        payload: report,
      });
      assert.equal(r.statusCode, 201, r.body);
      stored.push(report.report_id);
    }

    /** The reports as the API answers them, by the key prefix + name they should have. */
    async function expected(): Promise<Report[]> {
      const out: Report[] = [];
      for (const id of stored) {
        const r = await app.inject({ method: "GET", url: `/api/v1/reports/${id}`, headers: admin });
        assert.equal(r.statusCode, 200, r.body);
        out.push(r.json());
      }
      return out;
    }

    /** Every report is one object under `prefix`, named after it, its body the report. */
    async function assertArchived(prefix: string): Promise<void> {
      const reports = await expected();
      const found = await objects(client, prefix);
      assert.equal(found.size, reports.length, [...found.keys()].join(", "));
      const byReportId = new Map<string, string>();
      for (const [key, body] of found) {
        const report = JSON.parse(body) as Report;
        byReportId.set(report.report_id, key);
        const base = `${prefix}${exportBaseName(report)}`;
        assert.ok(
          key === `${base}.json` ||
            new RegExp(`^${base.replaceAll(".", "\\.")}-\\d+\\.json$`).test(key),
          `${key} is named after ${base}`,
        );
      }
      for (const report of reports) {
        const key = byReportId.get(report.report_id);
        assert.ok(key, `report ${report.report_id} is archived`);
        assert.deepEqual(JSON.parse(found.get(key)!), report);
      }
    }

    test("reports stored while the archive is down are all written once it is up", async () => {
      const base = Date.parse("2026-03-01T10:00:00Z");
      const at = (s: number) => new Date(base + s * 1000).toISOString();
      await send(makeReport({ identifier: "archived-host", collected_at: at(0) }));
      // Two reports of one host in one second: one name, two objects.
      await send(makeReport({ identifier: "archived-host", collected_at: at(60) }));
      await send(makeReport({ identifier: "archived-host", collected_at: at(60.5) }));

      // The archiver's clock: now (after the reports were received), then moved by hand.
      clock = Date.now();
      const archiver = new Archiver(store, target, {
        now: () => clock,
        log: { info() {}, warn() {} },
      });
      const down = await archiver.pass();
      assert.equal(down.archived, 0);
      assert.ok(down.failed >= 1, "a write to a server that is down fails");
      assert.equal((await archiver.lag()).pending, 3, "nothing is lost while the archive is down");

      s3 = await startS3(port, s3Dir);
      await send(makeReport({ identifier: "archived-host", collected_at: at(120) }));
      // Past every backoff.
      clock += 24 * 3600_000;
      const up = await archiver.pass();
      assert.deepEqual(up, { archived: 4, failed: 0 });
      assert.deepEqual(await archiver.lag(), { pending: 0, oldestCreatedAt: null });
      await assertArchived("reports/");
    });

    test("writing a report again leaves one object (a retry, another API process)", async () => {
      const [report] = await expected();
      const body = `${JSON.stringify(report, null, 2)}\n`;
      const key = await target.putNew(exportBaseName(report!), body);
      assert.equal(await target.get(key), body);
      await assertArchived("reports/");
    });

    test("export --to s3://bucket/prefix writes every report, and again writes nothing new", async () => {
      const env = {
        DATABASE_URL: database.url,
        COMPLIANCE_ARCHIVE_ENDPOINT: endpoint,
        ...CREDENTIALS,
      };
      const io = () => {
        let out = "";
        let err = "";
        return {
          env,
          stdout: { write: (s: string) => (out += s) },
          stderr: { write: (s: string) => (err += s) },
          get text() {
            return { out, err };
          },
        };
      };
      for (let run = 0; run < 2; run++) {
        const cli = io();
        const code = await runCli(["export", "--to", `s3://${BUCKET}/exported`], cli);
        assert.equal(code, 0, cli.text.err);
        assert.match(
          cli.text.out,
          new RegExp(`exported ${stored.length} reports to s3://${BUCKET}/exported/`),
        );
        await assertArchived("exported/");
      }
    });
  });
}
