import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import type { Report } from "@compliance/contract";
import { createTestDatabase, type TestDatabase, type TestEngine } from "./helpers/databases.ts";
import { makeProcess, makeReport } from "./helpers/reports.ts";

const API = new URL("../dist/compliance-api.js", import.meta.url).pathname;
const ADMIN = "replica-admin-token-0123456789";
const SECRET = "replica-enroll-secret-0123456789";

/** Starts one API process (the built bundle, as in production) and resolves its URL. */
async function replica(
  databaseUrl: string,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [API, "start"], {
    env: {
      ...process.env,
      PORT: "0",
      DATABASE_URL: databaseUrl,
      COMPLIANCE_DATA_DIR: dataDir,
      COMPLIANCE_ADMIN_TOKEN: ADMIN,
      COMPLIANCE_ENROLL_SECRET: SECRET,
      COMPLIANCE_LOCAL_AGENT: "0",
      // What is tested is the store under concurrent writes of one host, which a process
      // with the report limit on refuses (one report per host at a time, 429).
      COMPLIANCE_RATE_LIMIT_REPORTS: "0",
      LOG_LEVEL: process.env.REPLICA_LOG ?? "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`replica exited with ${code}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = /Compliance API on (http:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]!);
      // REPLICA_LOG=error shows what the replicas log, to investigate a failure.
      else if (process.env.REPLICA_LOG) process.stderr.write(`${line}\n`);
    });
  });
  return { url, child };
}

const post = async (url: string, path: string, body: unknown, token?: string) => {
  const r = await fetch(`${url}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as any };
};
const get = async (url: string, path: string) =>
  (await (
    await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } })
  ).json()) as any;

function shuffle<T>(list: T[], seed: number): T[] {
  const out = [...list];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

for (const engine of ["postgres", "mysql"] as TestEngine[]) {
  describe(`two API processes on one ${engine} database`, () => {
    let database: TestDatabase;
    let dir: string;
    const replicas: { url: string; child: ChildProcess }[] = [];
    before(async () => {
      if (!existsSync(API)) throw new Error(`${API} is missing: run npm run build first`);
      database = await createTestDatabase(engine);
      dir = mkdtempSync(join(tmpdir(), "compliance-replicas-"));
      // Both start at once on an empty database: the migrations run once, under a lock.
      // Each is kept as soon as it listens, so after() stops it even if the other failed.
      const started = await Promise.allSettled(
        ["a", "b"].map((name) =>
          replica(database.url, join(dir, name)).then((r) => {
            replicas.push(r);
            return r;
          }),
        ),
      );
      for (const s of started) if (s.status === "rejected") throw s.reason;
    });
    after(async () => {
      for (const r of replicas) {
        if (r.child.exitCode !== null || r.child.signalCode !== null) continue;
        const exited = new Promise((resolve) => r.child.once("exit", resolve));
        r.child.kill("SIGTERM");
        await exited;
      }
      await database?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    // Without an exit it would hang; a minute is far more than a start takes.
    test("a process that cannot start exits with an error, its database pool open or not", {
      timeout: 60_000,
    }, async () => {
      const policies = join(dir, "bad-policies");
      mkdirSync(policies);
      writeFileSync(join(policies, "bad.yaml"), "id: x\nname: [\n");
      await assert.rejects(
        replica(database.url, join(dir, "c"), { COMPLIANCE_POLICY_DIR: policies }),
        /replica exited with 1/,
      );
    });

    test("concurrent enrollment of one host on both replicas yields one host", async () => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          post(replicas[i % 2]!.url, "/api/v1/enroll", {
            enroll_secret: SECRET,
            host_identifier: "same-host",
          }),
        ),
      );
      // One enrollment gets the key; the others, with the secret alone, may not take it.
      const statuses = answers.map((a) => a.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(","));
      assert.ok(
        statuses.every((s) => s === 200 || s === 409),
        statuses.join(","),
      );
      const hosts = await get(replicas[0]!.url, "/api/v1/hosts?q=same-host");
      assert.equal(hosts.total, 1);
    });

    test("many agents, concurrent, out of order and resent: every report stored once, in collected_at order", async () => {
      const HOSTS = 12;
      const REPORTS = 8;
      const keys: string[] = [];
      const all: Report[][] = [];
      for (let h = 0; h < HOSTS; h++) {
        const r = await post(replicas[h % 2]!.url, "/api/v1/enroll", {
          enroll_secret: SECRET,
          host_identifier: `fleet-${h}`,
        });
        keys.push(r.body.node_key);
        const reports: Report[] = [];
        for (let i = 0; i < REPORTS; i++) {
          const processes = [
            makeProcess({ pid: 1, name: "init" }),
            makeProcess({ pid: 100 + i, name: `job-${i}` }),
          ];
          if (i % 3 === 0) processes.push(makeProcess({ pid: 50, name: "steady" }));
          reports.push(
            makeReport({
              identifier: `fleet-${h}`,
              collected_at: new Date(Date.UTC(2026, 10, 20, 10, i)).toISOString(),
              processes,
            }),
          );
        }
        all.push(reports);
      }
      // Every report sent twice, to alternating replicas, all at once, in a shuffled order.
      const sends = shuffle(
        all.flatMap((reports, h) =>
          reports.flatMap((r, i) => [0, 1].map((copy) => ({ h, r, replica: (h + i + copy) % 2 }))),
        ),
        42,
      );
      // As an agent does, a 503 (a busy machine can make the pool's wait run out) is sent
      // again after a pause; anything else is the answer.
      const send = async (s: (typeof sends)[number]) => {
        for (let attempt = 1; ; attempt++) {
          const a = await post(replicas[s.replica]!.url, "/api/v1/reports", s.r, keys[s.h]);
          if (a.status !== 503 || attempt === 20) return a;
          await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
        }
      };
      const answers = await Promise.all(sends.map(send));
      const failed = answers.filter((a) => a.status !== 201);
      assert.deepEqual(failed, [], "every send is acknowledged");

      for (let h = 0; h < HOSTS; h++) {
        const host = (await get(replicas[0]!.url, `/api/v1/hosts?q=fleet-${h}`)).items.find(
          (x: { identifier: string }) => x.identifier === `fleet-${h}`,
        );
        assert.equal(host.executions, REPORTS, `fleet-${h} has each report once`);
        const timeline = await get(
          replicas[1]!.url,
          `/api/v1/hosts/${host.id}/reports?sort=collected_at`,
        );
        assert.deepEqual(
          timeline.items.map((e: { report_id: string }) => e.report_id),
          all[h]!.map((r) => r.report_id),
          "history is in collected_at order",
        );
        for (const r of all[h]!) {
          assert.deepEqual(await get(replicas[h % 2]!.url, `/api/v1/reports/${r.report_id}`), r);
        }
      }
    });
  });
}
