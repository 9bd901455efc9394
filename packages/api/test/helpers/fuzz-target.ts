import { readdirSync, readFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { parse as parseYaml } from "yaml";
import { buildApp } from "../../src/app.ts";
import { hashSecret } from "../../src/auth.ts";
import { loadConfig } from "../../src/config.ts";
import { openStore } from "../../src/store/sql-store.ts";
import { createTestDatabase, type TestEngine } from "./databases.ts";
import { makeReport } from "./reports.ts";

/**
 * A real API listening on a loopback port, on a fresh database of one engine, with the
 * older systems' routes switched on behind a legacy key, and the things a fuzzer needs to
 * aim at: credentials of every kind, and the ids of hosts, reports, policies, jobs,
 * webhooks and tokens that exist. Hosts A and B are never deleted nor revoked by the
 * fuzzer; the "expendable" ones are there to be.
 */

export const FUZZ_ADMIN_TOKEN = "fuzz-admin-token-0123456789abcdef";
export const FUZZ_ENROLL_SECRET = "fuzz-enroll-secret-0123456789abcdef";
export const FUZZ_LEGACY_KEY = "fuzz-legacy-key-0123456789abcdef";
/** Small enough that a body over it is cheap to send. */
export const FUZZ_BODY_LIMIT = 1024 * 1024;

export interface HttpRequest {
  method: string;
  /** Path and query exactly as sent on the request line (already encoded). */
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer | undefined;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** What exists on the target, by kind of id; "expendable" ids may be deleted. */
export interface Pools {
  hostA: number;
  hostB: number;
  identifierA: string;
  identifierB: string;
  hosts: number[];
  expendableHosts: number[];
  reports: string[];
  reportsOfA: string[];
  policies: string[];
  /** Policies the fuzzer may delete or replace; the others stay as they were stored. */
  expendablePolicies: string[];
  jobs: number[];
  webhooks: number[];
  expendableWebhooks: number[];
  tokens: number[];
  expendableTokens: number[];
  legacyIps: string[];
}

export interface Credentials {
  admin: string;
  reader: string;
  /** Node key of host A. */
  agentA: string;
  legacyKey: string;
  enrollSecret: string;
}

export interface FuzzTarget {
  engine: TestEngine;
  port: number;
  /** The OpenAPI document the running API serves. */
  doc: OpenApiDocument;
  credentials: Credentials;
  pools: Pools;
  /** Known-good bodies by operation ("POST /path"), beside what the schemas generate. */
  examples: Map<string, unknown[]>;
  send(request: HttpRequest, timeoutMs?: number): Promise<HttpResponse>;
  close(): Promise<void>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

export interface OpenApiOperation {
  operationId?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
}

export interface OpenApiParameter {
  in: "query" | "path" | "header" | "cookie";
  name: string;
  required?: boolean;
  schema?: JsonSchema;
}

/** The part of JSON Schema the API's TypeBox schemas use. */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  pattern?: string;
  format?: string;
}

/** Sends one request over a keep-alive agent; a timeout or a dropped connection rejects. */
function sender(port: number, agent: Agent) {
  return (req: HttpRequest, timeoutMs = 30_000) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const headers: Record<string, string | number> = { ...req.headers };
      if (req.body !== undefined) headers["content-length"] = Buffer.byteLength(req.body);
      const r = httpRequest(
        { host: "127.0.0.1", port, method: req.method, path: req.url, headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString("utf8"),
            }),
          );
        },
      );
      r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      r.on("error", reject);
      if (req.body !== undefined) r.write(req.body);
      r.end();
    });
}

/** The seeds' own payloads (the compat tests' fixtures), by the route they go to. */
function legacyExamples(): Map<string, unknown[]> {
  const dir = new URL("../fixtures/seeds/", import.meta.url);
  const routes: [RegExp, string[]][] = [
    [/^000-/, ["POST /api/v1/compliance/system_info", "POST /api/v1/compliance/systeminfo"]],
    [/^001-/, ["POST /servers"]],
    [/^002-/, ["POST /report"]],
    [/^003-so-/, ["POST /hosts"]],
    [/^003-users/, ["POST /users"]],
    [/^003-processes/, ["POST /processes"]],
    [/^003-cpu/, ["POST /cpus"]],
    [/^004-/, ["POST /"]],
  ];
  const out = new Map<string, unknown[]>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const body = JSON.parse(readFileSync(new URL(file, dir), "utf8")) as unknown;
    for (const [match, keys] of routes) {
      if (!match.test(file)) continue;
      for (const key of keys) out.set(key, [...(out.get(key) ?? []), body]);
    }
  }
  return out;
}

type Json = Record<string, any>;

/** The documents of the starter pack of policies the product ships. */
function starterPolicies(): unknown[] {
  const dir = new URL("../../policies/starter/", import.meta.url);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => parseYaml(readFileSync(new URL(f, dir), "utf8")) as unknown);
}

/** Enrolls, reports, and creates what the fuzzer aims at, through the public API only. */
async function seedTarget(send: FuzzTarget["send"]) {
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const json = { "content-type": "application/json" };
  async function call(method: string, url: string, token: string | null, body?: unknown) {
    const r = await send({
      method,
      url,
      headers: { ...(token ? auth(token) : {}), ...(body === undefined ? {} : json) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (r.status >= 300)
      throw new Error(`fuzz setup: ${method} ${url} answered ${r.status} ${r.body}`);
    return r.body === "" ? {} : (JSON.parse(r.body) as Json);
  }
  const keys: string[] = [];
  const hostIds: number[] = [];
  const reports: string[] = [];
  const identifiers = [
    "fuzz-host-a",
    "fuzz-host-b",
    "fuzz-spare-1",
    "fuzz-spare-2",
    "fuzz-spare-3",
  ];
  for (const identifier of identifiers) {
    const enrolled = await call("POST", "/api/v1/enroll", null, {
      enroll_secret: FUZZ_ENROLL_SECRET,
      host_identifier: identifier,
      hostname: identifier,
    });
    keys.push(enrolled.node_key);
    hostIds.push(enrolled.host_id);
    for (let i = 0; i < (identifier === "fuzz-host-a" ? 2 : 1); i++) {
      const report = makeReport({
        identifier,
        collected_at: new Date(Date.now() - (2 - i) * 60_000).toISOString(),
      });
      await call("POST", "/api/v1/reports", enrolled.node_key, report);
      reports.push(report.report_id);
    }
  }
  const reader = await call("POST", "/api/v1/tokens", FUZZ_ADMIN_TOKEN, {
    name: "fuzz-reader",
    role: "reader",
  });
  const spareTokens: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = await call("POST", "/api/v1/tokens", FUZZ_ADMIN_TOKEN, {
      name: `fuzz-spare-${i}`,
      role: "reader",
    });
    spareTokens.push(t.id);
  }
  const webhooks: number[] = [];
  for (let i = 0; i < 3; i++) {
    const w = await call("POST", "/api/v1/webhooks", FUZZ_ADMIN_TOKEN, {
      url: `https://93.184.215.14/fuzz-${i}`,
    });
    webhooks.push(w.id);
  }
  // The starter pack's policies, stored through the API: ids to aim at, documents to
  // mutate, and jobs (each new policy queues its evaluation over the history).
  const documents = starterPolicies();
  const policies: string[] = [];
  const jobs: number[] = [];
  for (const [i, document] of documents.entries()) {
    const id = `fuzz-${i}-${(document as Json).id}`;
    const stored = await call("POST", "/api/v1/policies", FUZZ_ADMIN_TOKEN, {
      ...(document as Json),
      id,
    });
    policies.push(stored.id ?? id);
    if (typeof stored.job_id === "number") jobs.push(stored.job_id);
  }
  return {
    keys,
    hostIds,
    reports,
    identifiers,
    reader,
    spareTokens,
    webhooks,
    policies,
    documents,
    jobs,
  };
}

/** Sends every seed's example once with the legacy key, so the legacy reads find hosts. */
async function seedLegacy(send: FuzzTarget["send"], examples: Map<string, unknown[]>) {
  const ips = new Set<string>();
  for (const [key, bodies] of examples) {
    const [method, url] = key.split(" ") as [string, string];
    for (const body of bodies) {
      const r = await send({
        method,
        url,
        headers: { "content-type": "application/json", "x-api-key": FUZZ_LEGACY_KEY },
        body: JSON.stringify(body),
      });
      if (r.status >= 300) throw new Error(`fuzz setup: ${key} answered ${r.status} ${r.body}`);
    }
  }
  const hosts = await send({
    method: "GET",
    url: "/hosts",
    headers: { "x-api-key": FUZZ_LEGACY_KEY },
  });
  for (const h of (JSON.parse(hosts.body) as { hosts: { ip: string }[] }).hosts) ips.add(h.ip);
  return [...ips];
}

/**
 * The document with each `$ref` to components/schemas replaced by the schema it names, so
 * cases are made from whole schemas (named schemas are not recursive).
 */
function inlineRefs(
  node: unknown,
  doc: { components?: { schemas?: Record<string, unknown> } },
): unknown {
  if (Array.isArray(node)) return node.map((n) => inlineRefs(n, doc));
  if (typeof node !== "object" || node === null) return node;
  const ref = (node as { $ref?: unknown }).$ref;
  if (typeof ref === "string" && ref.startsWith("#/components/schemas/")) {
    const named = doc.components?.schemas?.[ref.slice("#/components/schemas/".length)];
    if (named === undefined) throw new Error(`the OpenAPI document refers to ${ref}, not in it`);
    return inlineRefs(named, doc);
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, inlineRefs(v, doc)]));
}

/** Starts the API on a fresh database of `engine`, listening on 127.0.0.1, and seeds it. */
export async function startFuzzTarget(engine: TestEngine): Promise<FuzzTarget> {
  const database = await createTestDatabase(engine);
  const store = openStore({ url: database.url });
  await store.migrate();
  const config = loadConfig({
    COMPLIANCE_LEGACY_INGEST: "1",
    COMPLIANCE_LEGACY_KEY: FUZZ_LEGACY_KEY,
    COMPLIANCE_BODY_LIMIT: String(FUZZ_BODY_LIMIT),
    COMPLIANCE_CONSOLE_DIR: "",
  });
  const app = await buildApp({
    store,
    config: { ...config, consoleDir: null },
    secrets: {
      adminTokenHash: hashSecret(FUZZ_ADMIN_TOKEN),
      enrollSecretHash: hashSecret(FUZZ_ENROLL_SECRET),
    },
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const send = sender(port, agent);
  const close = async () => {
    agent.destroy();
    await app.close();
    await store.close();
    await database.drop();
  };
  try {
    const seeded = await seedTarget(send);
    const examples = legacyExamples();
    const legacyIps = await seedLegacy(send, examples);
    examples.set("POST /api/v1/policies", seeded.documents);
    examples.set("PUT /api/v1/policies/{id}", seeded.documents);
    examples.set(
      "POST /api/v1/policies/test",
      seeded.documents.map((policy) => ({ policy })),
    );
    const doc = JSON.parse((await send({ method: "GET", url: "/openapi.json", headers: {} })).body);
    const [hostA, hostB, ...spare] = seeded.hostIds as [number, number, ...number[]];
    return {
      engine,
      port,
      doc: inlineRefs(doc, doc) as OpenApiDocument,
      credentials: {
        admin: FUZZ_ADMIN_TOKEN,
        reader: seeded.reader.token,
        agentA: seeded.keys[0]!,
        legacyKey: FUZZ_LEGACY_KEY,
        enrollSecret: FUZZ_ENROLL_SECRET,
      },
      pools: {
        hostA,
        hostB,
        identifierA: seeded.identifiers[0]!,
        identifierB: seeded.identifiers[1]!,
        hosts: seeded.hostIds,
        expendableHosts: spare,
        reports: seeded.reports,
        reportsOfA: seeded.reports.slice(0, 2),
        policies: seeded.policies,
        expendablePolicies: seeded.policies.slice(3),
        jobs: seeded.jobs,
        webhooks: seeded.webhooks,
        expendableWebhooks: seeded.webhooks.slice(1),
        tokens: [seeded.reader.id, ...seeded.spareTokens],
        expendableTokens: seeded.spareTokens,
        legacyIps,
      },
      examples,
      send,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
