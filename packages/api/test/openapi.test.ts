import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { buildApp } from "../src/app.ts";
import { hashSecret } from "../src/auth.ts";
import { loadConfig } from "../src/config.ts";
import { openStore } from "../src/store/sql-store.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/databases.ts";

/**
 * The OpenAPI document the API serves passes both common linters with no error (Redocly's
 * recommended rules, Spectral's spectral:oas), with and without the older systems' routes,
 * and a typed client generated from it by openapi-typescript compiles, with the contract's
 * schemas as named types. The tools run offline from node_modules/.bin.
 */

const run = promisify(execFile);
const root = new URL("../../../", import.meta.url).pathname;
const bin = (name: string) => join(root, "node_modules/.bin", name);
/** No telemetry and no update check: the linters work on the file alone. */
const env = {
  ...process.env,
  REDOCLY_TELEMETRY: "off",
  REDOCLY_SUPPRESS_UPDATE_NOTICE: "true",
  NO_COLOR: "1",
};

async function tool(name: string, args: string[]) {
  try {
    const { stdout, stderr } = await run(bin(name), args, { env, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? 1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

interface SpectralProblem {
  code: string;
  message: string;
  severity: number;
  path: string[];
}

let database: TestDatabase;
let dir: string;

/** The document of an API built with these settings, written to a file in `dir`. */
async function documentFile(name: string, env: Record<string, string>): Promise<string> {
  const store = openStore({ url: database.url });
  await store.migrate();
  const app = await buildApp({
    store,
    config: { ...loadConfig(env), consoleDir: null },
    secrets: {
      adminTokenHash: hashSecret("openapi-admin-token-0123456789"),
      enrollSecretHash: hashSecret("openapi-enroll-secret-0123456789"),
    },
  });
  try {
    const r = await app.inject({ method: "GET", url: "/openapi.json" });
    assert.equal(r.statusCode, 200);
    const file = join(dir, `${name}.json`);
    writeFileSync(file, r.body);
    return file;
  } finally {
    await app.close();
    await store.close();
  }
}

const VARIANTS = {
  api: {},
  "api-with-legacy-routes": {
    COMPLIANCE_LEGACY_INGEST: "1",
    COMPLIANCE_LEGACY_KEY: "openapi-legacy-key-0123456789abcdef",
  },
} satisfies Record<string, Record<string, string>>;

describe("the OpenAPI document", () => {
  const files = new Map<string, string>();
  before(async () => {
    database = await createTestDatabase("sqlite");
    dir = mkdtempSync(join(tmpdir(), "compliance-openapi-"));
    writeFileSync(join(dir, "spectral.yaml"), 'extends: ["spectral:oas"]\n');
    for (const [name, settings] of Object.entries(VARIANTS)) {
      files.set(name, await documentFile(name, settings));
    }
  });
  after(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await database?.drop();
  });

  for (const name of Object.keys(VARIANTS)) {
    test(`${name}: Redocly's recommended rules find no error`, async (t) => {
      const file = files.get(name) as string;
      const r = await tool("redocly", ["lint", file, "--extends=recommended", "--format=json"]);
      const out = JSON.parse(r.stdout) as {
        totals: { errors: number; warnings: number };
        problems: {
          ruleId: string;
          severity: string;
          message: string;
          location?: { pointer?: string }[];
        }[];
      };
      const errors = out.problems.filter((p) => p.severity === "error");
      const warnings = out.problems.filter((p) => p.severity !== "error");
      for (const w of new Set(warnings.map((p) => `${p.ruleId}: ${p.message}`))) {
        t.diagnostic(`warning ${w}`);
      }
      assert.deepEqual(
        errors.map((p) => `${p.ruleId}: ${p.message}`),
        [],
      );
      // The one warning left: /health answers 200 or 503, never a 4xx.
      const where = (p: (typeof out.problems)[number]) =>
        `${p.ruleId} at ${p.location?.[0]?.pointer ?? "?"}`;
      assert.deepEqual(warnings.map(where), [
        "operation-4xx-response at #/paths/~1health/get/responses",
      ]);
      assert.equal(out.totals.errors, 0);
      assert.equal(r.code, 0, r.stderr);
    });

    test(`${name}: Spectral's spectral:oas rules find no error and no warning`, async (t) => {
      const file = files.get(name) as string;
      const ruleset = join(dir, "spectral.yaml");
      const r = await tool("spectral", ["lint", file, "--ruleset", ruleset, "-f", "json", "-q"]);
      const problems = (r.stdout.trim() ? JSON.parse(r.stdout) : []) as SpectralProblem[];
      const describe = (p: SpectralProblem) => `${p.code} at ${p.path.join(".")}: ${p.message}`;
      const counts = new Map<string, number>();
      for (const p of problems.filter((p) => p.severity > 0)) {
        counts.set(p.code, (counts.get(p.code) ?? 0) + 1);
      }
      for (const [code, n] of counts) t.diagnostic(`warning ${code} ×${n}`);
      // Neither errors nor warnings: every operation has its description, and so on.
      assert.deepEqual(problems.filter((p) => p.severity <= 1).map(describe), []);
      assert.equal(r.code, 0, r.stderr);
    });
  }

  test("names the contract's schemas and refers to them", () => {
    const doc = JSON.parse(readFileSync(files.get("api") as string, "utf8"));
    for (const name of ["Host", "Report", "Error", "Execution", "Diff", "PolicyInfo", "Token"]) {
      assert.ok(doc.components.schemas[name], `components/schemas/${name}`);
    }
    const hosts = doc.paths["/api/v1/hosts"].get.responses["200"].content["application/json"];
    assert.deepEqual(hosts.schema.properties.items.items, { $ref: "#/components/schemas/Host" });
    const table = doc.paths["/api/v1/inventory/{table}"].get.responses["200"].content;
    assert.ok(table["text/csv"], "CSV answers are declared");
    assert.ok(doc.paths["/api/v1/hosts"].get.responses["200"].content["text/csv"], "host list CSV");
    for (const [path, item] of Object.entries<Record<string, { operationId?: string }>>(
      doc.paths,
    )) {
      for (const [method, op] of Object.entries(item)) {
        assert.ok(op.operationId, `${method} ${path} has an operationId`);
      }
    }
  });

  test("a client typed by openapi-typescript compiles with the named schemas", async () => {
    const types = join(dir, "api.d.ts");
    const gen = await tool("openapi-typescript", [files.get("api") as string, "-o", types]);
    assert.equal(gen.code, 0, gen.stderr);
    const text = readFileSync(types, "utf8");
    assert.match(text, /\bHost: \{/);
    writeFileSync(
      join(dir, "usage.ts"),
      [
        'import type { components, paths } from "./api";',
        'type Host = components["schemas"]["Host"];',
        'type Page = paths["/api/v1/hosts"]["get"]["responses"][200]["content"]["application/json"];',
        "export function names(page: Page): string[] {",
        "  return page.items.map((h: Host) => String(h.id) + h.hostname);",
        "}",
        'export const error: components["schemas"]["Error"]["error"]["code"] = "not_found";',
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: "es2022",
          module: "preserve",
          moduleResolution: "bundler",
          types: [],
        },
        files: ["usage.ts"],
      }),
    );
    const tsc = await tool("tsc", ["-p", join(dir, "tsconfig.json")]);
    assert.equal(tsc.code, 0, `${tsc.stdout}${tsc.stderr}`);
  });
});
