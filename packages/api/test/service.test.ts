/**
 * The API as a service: its systemd unit (checked by systemd-analyze, exposure included),
 * its environment file (every setting of config.ts, each default accepted), and the
 * self-contained directory of scripts/package-api.mjs, copied out of the repository and
 * started with a plain `node` on SQLite, PostgreSQL and MariaDB.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { packageApi, runtimePackages } from "../../../scripts/package-api.mjs";
import { serviceSettings } from "../../../scripts/systemd-unit.mjs";
import { loadConfig } from "../src/config.ts";
import { createTestDatabase, type TestEngine } from "./helpers/databases.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const UNIT = join(ROOT, "deploy/api/compliance-api.service");
const ENV_FILE = join(ROOT, "deploy/api/compliance-api.env");
const ADMIN = "service-admin-token-0123456789";
const SECRET = "service-enroll-secret-0123456789";

function systemdAnalyze(): void {
  if (spawnSync("systemd-analyze", ["--version"]).status !== 0) {
    throw new Error("systemd-analyze is missing: install Debian's systemd package");
  }
}

describe("the API's systemd unit", () => {
  const settings = serviceSettings(readFileSync(UNIT, "utf8"));
  const one = (key: string) => settings.get(key)?.at(-1);

  test("a user of its own without capabilities, in a sandbox where only its state directory is writable", () => {
    assert.equal(one("DynamicUser"), "yes");
    assert.equal(one("NoNewPrivileges"), "yes");
    assert.equal(one("CapabilityBoundingSet"), "");
    assert.equal(one("AmbientCapabilities"), "");
    assert.equal(one("ProtectSystem"), "strict");
    assert.equal(one("PrivateTmp"), "yes");
    assert.equal(one("StateDirectory"), "compliance-api");
    assert.equal(one("StateDirectoryMode"), "0700");
    assert.equal(
      one("Environment") &&
        settings.get("Environment")?.includes("COMPLIANCE_DATA_DIR=%S/compliance-api"),
      true,
    );
    assert.equal(one("RestrictAddressFamilies"), "AF_INET AF_INET6 AF_UNIX");
    assert.equal(settings.get("SystemCallFilter")?.[0], "@system-service");
    assert.equal(one("EnvironmentFile"), "-/etc/compliance-api/compliance-api.env");
    assert.equal(one("RestartPreventExitStatus"), "2", "a configuration error is not retried");
  });

  test("V8's JIT is not forbidden: MemoryDenyWriteExecute is not set", () => {
    assert.equal(settings.has("MemoryDenyWriteExecute"), false);
  });

  /** The unit with ExecStart at this Node and a directory that exists, for systemd-analyze. */
  const runnable = (dir: string) => {
    const unit = join(dir, "compliance-api.service");
    writeFileSync(
      unit,
      readFileSync(UNIT, "utf8").replace(
        /^ExecStart=\/usr\/bin\/node \/opt\/compliance-api\//m,
        `ExecStart=${process.execPath} ${ROOT}/`,
      ),
    );
    return unit;
  };

  test("systemd-analyze verify finds nothing to say", () => {
    systemdAnalyze();
    const dir = mkdtempSync(join(tmpdir(), "api-unit-"));
    try {
      const result = spawnSync("systemd-analyze", ["verify", runnable(dir)], { encoding: "utf8" });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stderr.trim(), "");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("systemd-analyze security rates its exposure 3.0 or lower (OK)", () => {
    systemdAnalyze();
    const result = spawnSync(
      "systemd-analyze",
      ["security", "--offline=true", "--no-pager", UNIT],
      {
        encoding: "utf8",
      },
    );
    assert.equal(result.status, 0, result.stderr);
    const m = /Overall exposure level for compliance-api\.service: (\d+\.\d) (\w+)/.exec(
      result.stdout,
    );
    assert.ok(m, result.stdout);
    assert.ok(Number(m[1]) <= 3.0, `exposure ${m[1]} ${m[2]}`);
    assert.equal(m[2], "OK");
  });
});

describe("the API's environment file", () => {
  const text = readFileSync(ENV_FILE, "utf8");
  const documented = new Map(
    [...text.matchAll(/^#([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!] as const),
  );

  test("shows every setting the API reads, each commented out", () => {
    const source = readFileSync(join(ROOT, "packages/api/src/config.ts"), "utf8");
    const read = new Set([
      ...[...source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!),
      ...[...source.matchAll(/\b(?:int|bool|secret)\(env, "([A-Z][A-Z0-9_]*)"/g)].map((m) => m[1]!),
    ]);
    assert.ok(read.size >= 20, `found ${read.size} variables in config.ts`);
    for (const name of read)
      assert.ok(documented.has(name), `${name} is not in compliance-api.env`);
    assert.doesNotMatch(text, /^[A-Z]/m, "nothing is set by default");
  });

  test("every value shown is one the API accepts", () => {
    const config = loadConfig(Object.fromEntries(documented));
    assert.equal(config.port, 8080);
    assert.equal(config.host, "127.0.0.1");
    assert.equal(config.localAgent, false);
  });
});

/** Starts `node <dir>/compliance-api.js start` and resolves its URL once it listens. */
async function startApi(
  dir: string,
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(dir, "compliance-api.js"), "start"], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      PORT: "0",
      COMPLIANCE_ADMIN_TOKEN: ADMIN,
      COMPLIANCE_ENROLL_SECRET: SECRET,
      COMPLIANCE_LOCAL_AGENT: "0",
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the API exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = /Compliance API on (http:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
  });
  return { url, child };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

describe("the self-contained directory (scripts/package-api.mjs), outside the repository", () => {
  let work: string;
  let dir: string;
  const running: ChildProcess[] = [];

  before(async () => {
    // Built straight into a directory outside the checkout, where none of its
    // node_modules can be reached from.
    work = mkdtempSync(join(tmpdir(), "api-package-"));
    dir = await packageApi({ outDir: join(work, "opt", "compliance-api") });
    assert.equal(relative(ROOT, dir).startsWith(".."), true);
  });
  after(async () => {
    for (const child of running) await stop(child);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test("holds the command, the bundle, the console, the starter pack and only runtime packages", () => {
    for (const file of [
      "compliance-api.js",
      "package.json",
      "api/dist/compliance-api.js",
      "console/dist/index.html",
    ]) {
      assert.ok(existsSync(join(dir, file)), file);
    }
    assert.deepEqual(
      readdirSync(join(dir, "api/policies/starter")).sort(),
      readdirSync(join(ROOT, "packages/api/policies/starter")).sort(),
    );
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8"))
      .packages as Record<string, { dev?: boolean }>;
    const copied = runtimePackages().map((p) => relative(ROOT, p));
    assert.ok(copied.includes("node_modules/fastify"));
    for (const path of copied) {
      assert.ok(lock[path], `${path} is in the lock file`);
      assert.notEqual(lock[path]!.dev, true, `${path} is a development dependency`);
    }
    for (const dev of ["typescript", "esbuild", "tsx", "@biomejs/biome", "postject"]) {
      assert.equal(existsSync(join(dir, "node_modules", dev)), false, `${dev} is left out`);
    }
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    // One process imports each dependency in turn, from the directory: a package found only
    // through another's import would still fail its own import, as it resolves from here.
    const names = Object.keys(manifest.dependencies);
    const loaded = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const failed = {};
        for (const name of ${JSON.stringify(names)})
          await import(name).catch((e) => { failed[name] = String(e); });
        process.stdout.write(JSON.stringify(failed));`,
      ],
      {
        cwd: dir,
        env: { PATH: process.env.PATH },
        encoding: "utf8",
      },
    );
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.deepEqual(JSON.parse(loaded.stdout), {}, "each dependency loads from the directory");
  });

  test("starts on SQLite, answers /health, serves the console, the API documentation and the starter policies", async () => {
    const data = join(work, "data");
    const api = await startApi(dir, { COMPLIANCE_DATA_DIR: data });
    running.push(api.child);
    const health = await fetch(`${api.url}/health`);
    assert.equal(health.status, 200, await health.text());

    const page = await fetch(`${api.url}/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    const asset = /src="\.?\/?(assets\/[^"]+\.js)"/.exec(html);
    assert.ok(asset, "the console's page names its script");
    assert.equal((await fetch(`${api.url}/${asset[1]}`)).status, 200);

    assert.equal((await fetch(`${api.url}/docs/`)).status, 200);
    const policies = await fetch(`${api.url}/api/v1/policies?limit=100`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    assert.equal(policies.status, 200);
    const starter = readdirSync(join(dir, "api/policies/starter")).length;
    const { items } = (await policies.json()) as { items: { origin: string }[] };
    assert.equal(items.filter((p) => p.origin === "starter").length, starter);
    assert.ok(existsSync(join(data, "compliance.db")), "the SQLite file is in COMPLIANCE_DATA_DIR");
    await stop(api.child);
  });

  for (const engine of ["postgres", "mysql"] as TestEngine[]) {
    test(`starts on ${engine} with its driver from the directory`, async () => {
      const database = await createTestDatabase(engine);
      try {
        const api = await startApi(dir, {
          DATABASE_URL: database.url,
          COMPLIANCE_DATA_DIR: join(work, `data-${engine}`),
        });
        running.push(api.child);
        const health = await fetch(`${api.url}/health`);
        assert.equal(health.status, 200, await health.text());
        await stop(api.child);
      } finally {
        await database.drop();
      }
    });
  }
});
