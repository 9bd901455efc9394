import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { type CompatApp, seedFixture, startCompatApp } from "./fixtures/seeds/compat-app.ts";
import { ENGINES } from "./helpers/databases.ts";

// Every broken payload is a 4xx with a JSON error naming the field; none is ever a 5xx,
// and none leaves a host behind.

interface BrokenCase {
  name: string;
  url: string;
  body?: unknown;
  raw?: string;
  contentType?: string;
  field: string;
  status?: number;
}

const CASES = seedFixture<BrokenCase[]>("broken.json").map((c) =>
  c.name === "000 process name too long"
    ? {
        ...c,
        body: { server_ip: "10.0.9.1", active_processes: [{ pid: 1, name: "x".repeat(300) }] },
      }
    : c,
);

const POST_ROUTES = [
  "/api/v1/compliance/system_info",
  "/api/v1/compliance/systeminfo",
  "/servers",
  "/report",
  "/hosts",
  "/users",
  "/processes",
  "/cpus",
  "/",
];

const VALID: [string, string][] = [
  ["/api/v1/compliance/system_info", "000-sloppy.json"],
  ["/servers", "001-server.json"],
  ["/report", "002-report.json"],
  ["/hosts", "003-so-name.json"],
  ["/users", "003-users.json"],
  ["/processes", "003-processes.json"],
  ["/cpus", "003-cpu.json"],
  ["/", "004-execution.json"],
];

/** Replaces the value at a random path of a JSON document. */
function mutate(doc: unknown, choices: number[], value: unknown): unknown {
  if (choices.length === 0 || doc === null || typeof doc !== "object") return value;
  const keys = Object.keys(doc);
  if (keys.length === 0) return value;
  const key = keys[choices[0]! % keys.length]!;
  const copy: any = Array.isArray(doc) ? [...doc] : { ...doc };
  copy[key] = mutate(copy[key], choices.slice(1), value);
  return copy;
}

function assertClientError(r: { statusCode: number; body: string; headers: any }, what: string) {
  assert.ok(r.statusCode >= 200 && r.statusCode < 500, `${what}: ${r.statusCode} ${r.body}`);
  assert.match(String(r.headers["content-type"]), /application\/json/, what);
  JSON.parse(r.body);
}

for (const engine of ENGINES) {
  describe(`broken legacy payloads on ${engine}`, () => {
    let t: CompatApp;
    before(async () => {
      t = await startCompatApp(engine);
    });
    after(() => t?.close());

    for (const c of CASES) {
      test(`${c.name}: ${c.status ?? 400} naming ${c.field}`, async () => {
        const r =
          c.raw !== undefined
            ? await t.postRaw(c.url, c.raw, c.contentType ? { "content-type": c.contentType } : {})
            : await t.post(c.url, c.body);
        assert.equal(r.statusCode, c.status ?? 400, r.body);
        const body = r.json();
        assert.equal(typeof body.error.message, "string");
        assert.ok(
          body.error.message.includes(c.field) ||
            body.error.details?.some((d: any) => d.path.includes(c.field)),
          `the error names ${c.field}: ${r.body}`,
        );
        if (c.status === 422) assert.ok(Array.isArray(body.detail), "FastAPI's detail too");
      });
    }

    test("no broken payload left a host behind", async () => {
      const hosts = await t.read("/api/v1/hosts");
      assert.deepEqual(hosts.items, []);
    });

    test("text that PostgreSQL cannot store is a 400, not a 500", async () => {
      const r = await t.post("/api/v1/compliance/system_info", {
        server_ip: "10.0.9.2",
        active_processes: [{ pid: 1, name: "a\u0000b" }],
      });
      assert.equal(r.statusCode, 400, r.body);
      assert.match(r.json().error.message, /active_processes\/0\/name/);
    });

    test("any mutation of a valid payload is answered, never with a 5xx", async () => {
      const json = fc.jsonValue({ maxDepth: 2 });
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...VALID),
          fc.array(fc.nat(), { maxLength: 4 }),
          json,
          async ([url, file], choices, value) => {
            const body = mutate(seedFixture(file), choices, value);
            const r = await t.post(url, body);
            assertClientError(r, `${url} ${JSON.stringify(body).slice(0, 300)}`);
          },
        ),
        { numRuns: 60 },
      );
    });

    test("any JSON at all, with or without a Content-Type, is answered, never with a 5xx", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...POST_ROUTES),
          fc.jsonValue({ maxDepth: 3 }),
          fc.boolean(),
          async (url, value, typed) => {
            const text = JSON.stringify(value) ?? "null";
            const r = typed
              ? await t.postRaw(url, text, { "content-type": "application/json" })
              : await t.postRaw(url, text);
            assertClientError(r, `${url} ${text.slice(0, 300)}`);
          },
        ),
        { numRuns: 60 },
      );
    });
  });
}
