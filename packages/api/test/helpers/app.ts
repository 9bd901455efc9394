import type { Report } from "@compliance/contract";
import { buildApp } from "../../src/app.ts";
import { hashSecret } from "../../src/auth.ts";
import { loadConfig } from "../../src/config.ts";
import { openStore } from "../../src/store/sql-store.ts";
import { createTestDatabase, type TestDatabase, type TestEngine } from "./databases.ts";

export const ADMIN_TOKEN = "test-admin-token-0123456789";
export const ENROLL_SECRET = "test-enroll-secret-0123456789";

export type TestApp = Awaited<ReturnType<typeof startTestApp>>;

/**
 * A real API on a real, fresh database, driven through inject() (no port). Helpers speak
 * the public API only, like an agent and a reader would.
 */
export async function startTestApp(
  engine: TestEngine = "sqlite",
  options: { now?: () => number } = {},
) {
  const database: TestDatabase = await createTestDatabase(engine);
  const store = openStore({ url: database.url, now: options.now });
  await store.migrate();
  const app = await buildApp({
    store,
    config: loadConfig({}),
    secrets: {
      adminTokenHash: hashSecret(ADMIN_TOKEN),
      enrollSecretHash: hashSecret(ENROLL_SECRET),
    },
    now: options.now,
  });
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

  async function enroll(
    identifier: string,
    hostname = identifier,
  ): Promise<{ nodeKey: string; hostId: number }> {
    const r = await app.inject({
      method: "POST",
      url: "/api/v1/enroll",
      payload: { enroll_secret: ENROLL_SECRET, host_identifier: identifier, hostname },
    });
    if (r.statusCode !== 200) throw new Error(`enroll answered ${r.statusCode}: ${r.body}`);
    const body = r.json();
    return { nodeKey: body.node_key, hostId: body.host_id };
  }

  function send(nodeKey: string, report: Report | unknown) {
    return app.inject({
      method: "POST",
      url: "/api/v1/reports",
      headers: { authorization: `Bearer ${nodeKey}` },
      payload: report as object,
    });
  }

  /** Sends and insists on success. */
  async function store201(nodeKey: string, report: Report) {
    const r = await send(nodeKey, report);
    if (r.statusCode !== 201) throw new Error(`report answered ${r.statusCode}: ${r.body}`);
    return r.json();
  }

  async function get(url: string, headers: Record<string, string> = admin) {
    return app.inject({ method: "GET", url, headers });
  }

  /** GET as admin that must answer 200; returns the JSON. */
  async function read<T = any>(url: string): Promise<T> {
    const r = await get(url);
    if (r.statusCode !== 200) throw new Error(`GET ${url} answered ${r.statusCode}: ${r.body}`);
    return r.json() as T;
  }

  return {
    app,
    store,
    engine,
    /** DATABASE_URL of this test's database (to run the CLI on it). */
    databaseUrl: database.url,
    admin,
    enroll,
    send,
    store201,
    get,
    read,
    async close() {
      await app.close();
      await store.close();
      await database.drop();
    },
  };
}
