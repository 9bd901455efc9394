#!/usr/bin/env node
// Makes the API one self-contained directory: everything `node compliance-api.js start`
// needs and nothing else, to copy to a server (/opt/compliance-api) or into a container.
//
//   node scripts/package-api.mjs [--out DIR]        (default: dist/compliance-api)
//
//   compliance-api.js          the command (starts api/dist/compliance-api.js)
//   api/dist/compliance-api.js the API bundled with our own packages (esbuild)
//   api/policies/starter/      the starter pack of policies
//   console/dist/              the web console (built by `npm run build`)
//   node_modules/              the API's third-party runtime dependencies, copied from this
//                              checkout's node_modules: the versions of the lock file, the
//                              ones the tests ran, and no development dependency
//   package.json               name, version and those dependencies
//
// The relative places match the repository's, so the bundle finds the console and the
// starter pack where it looks for them.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { bundle } from "./bundle.mjs";

const root = new URL("..", import.meta.url).pathname;
const API = join(root, "packages/api");
const CONSOLE = join(root, "packages/console/dist");

const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

/** Where Node finds package `name` from `fromDir`: the nearest node_modules holding it. */
function locate(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dir === root || dir === dirname(dir)) return undefined;
  }
}

/**
 * Every package the API needs at run time, found the way Node will find it: the API's
 * third-party dependencies and theirs, optional and peer ones when installed. Returns
 * package directories in this checkout.
 */
export function runtimePackages() {
  const seen = new Map();
  const visit = (name, fromDir, required) => {
    const dir = locate(name, fromDir);
    if (!dir) {
      if (required)
        throw new Error(
          `${name} (needed from ${relative(root, fromDir)}) is not installed: run npm ci`,
        );
      return;
    }
    if (seen.has(dir)) return;
    const manifest = readJson(join(dir, "package.json"));
    seen.set(dir, manifest);
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep, dir, true);
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(manifest.peerDependencies ?? {})) visit(dep, dir, false);
  };
  const api = readJson(join(API, "package.json"));
  for (const dep of Object.keys(api.dependencies)) {
    if (!dep.startsWith("@compliance/")) visit(dep, API, true);
  }
  return [...seen.keys()].sort();
}

/** Where a package of this checkout goes in the directory (packages/api/… → api/…). */
function placeOf(packageDir) {
  const rel = relative(root, packageDir);
  return rel.startsWith("packages/") ? rel.slice("packages/".length) : rel;
}

export async function packageApi({ outDir = join(root, "dist/compliance-api") } = {}) {
  if (!existsSync(join(CONSOLE, "index.html"))) {
    throw new Error(`${relative(root, CONSOLE)} is missing: run npm run build first`);
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const api = readJson(join(API, "package.json"));
  const external = Object.keys(api.dependencies).filter((d) => !d.startsWith("@compliance/"));

  await bundle(join(API, "src/main.ts"), join(outDir, "api/dist/compliance-api.js"), { external });
  cpSync(join(API, "policies/starter"), join(outDir, "api/policies/starter"), { recursive: true });
  cpSync(CONSOLE, join(outDir, "console/dist"), { recursive: true });

  for (const dir of runtimePackages()) {
    // A package's own nested node_modules are copied as packages of their own, if needed.
    cpSync(dir, join(outDir, placeOf(dir)), {
      recursive: true,
      filter: (path) => relative(dir, path).split("/")[0] !== "node_modules",
    });
  }
  const dependencies = Object.fromEntries(
    external.map((name) => [name, readJson(join(locate(name, API), "package.json")).version]),
  );
  writeFileSync(
    join(outDir, "package.json"),
    `${JSON.stringify(
      {
        name: "compliance-api",
        version: api.version,
        private: true,
        type: "module",
        description: api.description,
        bin: { "compliance-api": "./compliance-api.js" },
        engines: { node: ">=22.16" },
        dependencies,
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(
    join(outDir, "compliance-api.js"),
    '#!/usr/bin/env node\n// The Compliance API\'s command: compliance-api.js start | migrate | token … (--help).\nimport "./api/dist/compliance-api.js";\n',
    { mode: 0o755 },
  );
  return outDir;
}

if (process.argv[1] && basename(process.argv[1]) === "package-api.mjs") {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  const out = await packageApi({ outDir: values.out });
  console.log(
    `${out}: node ${relative(process.cwd(), join(out, "compliance-api.js")) || "compliance-api.js"} start`,
  );
}
