import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildApp, loadStarterPolicies, openStore, type Store } from "@compliance/api";
import { type EnrollResponse, LIMITS, type Report } from "@compliance/contract";
import { createTestDatabase } from "../../../api/test/helpers/databases.ts";

/** The console's built files, as `npm run build` leaves them. */
export const CONSOLE_DIST = fileURLToPath(new URL("../../dist", import.meta.url));

export function requireBuiltConsole(dir = CONSOLE_DIST): string {
  if (!existsSync(join(dir, "index.html"))) {
    throw new Error(`the console is not built: ${dir}/index.html is missing; run npm run build`);
  }
  return dir;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const secret = () => randomBytes(24).toString("base64url");

export interface TestApi {
  url: string;
  adminToken: string;
  readerToken: string;
  enrollSecret: string;
  store: Store;
  /**
   * Runs the background jobs waiting (a new policy version evaluated over the stored
   * history) to the end, as the API's background loop would. Returns how many ran.
   */
  runJobs(): Promise<number>;
  /** Stores the starter pack of policies, as the API's own start does. */
  loadStarterPack(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real API on a fresh SQLite file, listening on a free loopback port and serving the
 * built console, with a known admin token, a reader token and an enroll secret. No policy
 * is stored until a test asks (`loadStarterPack`, `applyPolicy`), and background jobs run
 * only when it says so (`runJobs`), so a test can see one waiting.
 */
export async function startTestApi(options: { consoleDir?: string } = {}): Promise<TestApi> {
  const consoleDir = requireBuiltConsole(options.consoleDir);
  const db = await createTestDatabase("sqlite");
  const store = openStore({ url: db.url });
  await store.migrate();
  const adminToken = secret();
  const readerToken = secret();
  const enrollSecret = secret();
  await store.createToken({
    name: "console test reader",
    role: "reader",
    tokenHash: sha256(readerToken),
    createdAt: Date.now(),
  });
  const app = await buildApp({
    store,
    config: {
      bodyLimitBytes: LIMITS.bodyBytes,
      consoleDir,
      legacyIngest: false,
      legacyKey: null,
      agentIntervalSeconds: 300,
    },
    secrets: { adminTokenHash: sha256(adminToken), enrollSecretHash: sha256(enrollSecret) },
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (!address || typeof address === "string") throw new Error("the API is not on a TCP port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    adminToken,
    readerToken,
    enrollSecret,
    store,
    runJobs: () => app.services.jobs.runPending(),
    loadStarterPack: () => app.services.policies.sync(loadStarterPolicies(), "starter"),
    async close() {
      await app.close();
      await store.close();
      await db.drop();
    },
  };
}

async function post(url: string, body: unknown, token?: string): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const answer: unknown = await response.json();
  if (!response.ok) {
    throw new Error(`POST ${url} answered ${response.status}: ${JSON.stringify(answer)}`);
  }
  return answer;
}

/** Stores a policy as an admin does through the API; its evaluation over history waits. */
export async function applyPolicy(api: TestApi, document: unknown): Promise<void> {
  await post(`${api.url}/api/v1/policies`, document, api.adminToken);
}

/**
 * Sends reports the way an agent does, over HTTP: each host enrolls once with the enroll
 * secret, then posts its reports in the order given.
 */
export async function sendReports(api: TestApi, reports: Report[]): Promise<Map<string, number>> {
  const keys = new Map<string, string>();
  const ids = new Map<string, number>();
  for (const report of reports) {
    const identifier = report.host.identifier;
    let key = keys.get(identifier);
    if (!key) {
      const enrolled = (await post(`${api.url}/api/v1/enroll`, {
        enroll_secret: api.enrollSecret,
        host_identifier: identifier,
        hostname: report.host.hostname,
      })) as EnrollResponse;
      key = enrolled.node_key;
      keys.set(identifier, key);
      ids.set(identifier, enrolled.host_id);
    }
    await post(`${api.url}/api/v1/reports`, report, key);
  }
  return ids;
}
