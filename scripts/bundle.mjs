// How a program of ours becomes one file: shared by the build (scripts/build.mjs) and the
// tests and benchmarks that run the bundled agent as its own process.
import { chmodSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const nodeRequire = createRequire(import.meta.url);

/** The agent's entry point. */
export const AGENT_ENTRY = join(root, "packages/agent/src/main.ts");

/**
 * Node's built-in modules become require() calls where they are used instead of import
 * statements at the top of the bundle. An ES module import of a built-in evaluates every
 * export of it (node:http's lazy fetch classes load undici: ~60 ms), and esbuild hoists
 * such imports, so a module only reached through a dynamic import() (the HTTP client, TLS)
 * would still load its built-ins when the program starts. required, a built-in costs only
 * its own load, and only when the module that uses it is first evaluated.
 */
export const builtinsRequiredWhereUsed = {
  name: "builtins-required-where-used",
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === "require-call"
        ? { path: args.path, external: true }
        : { path: args.path, namespace: "builtin" },
    );
    // The shim's exports are accessors that require the built-in on first use: esbuild's
    // __toESM asks each property for its descriptor, which would evaluate Node's lazy ones
    // (node:util's load streams and TextDecoder), and a module imported for one function
    // (node:crypto's randomUUID, ~9 ms to load) is not loaded until that function runs. The
    // names are the built-in's own, read here: getOwnPropertyNames evaluates nothing.
    // A built-in that is itself a function (node:events, node:assert) is its own default
    // export: it is required as it is.
    build.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => {
      const builtin = nodeRequire(args.path);
      if (typeof builtin === "function") {
        return {
          contents: `module.exports = require(${JSON.stringify(args.path)});`,
          loader: "js",
        };
      }
      const names = Object.getOwnPropertyNames(builtin);
      return {
        contents: `let m;
const load = () => (m ??= require(${JSON.stringify(args.path)}));
for (const name of ${JSON.stringify(names)}) {
  Object.defineProperty(exports, name, { get: () => load()[name], enumerable: true });
}`,
        loader: "js",
      };
    });
  },
};

/**
 * Bundles `entry` into the executable file `outfile`. `external` packages stay in
 * node_modules; everything else, our workspace packages included, is inlined.
 */
export async function bundle(entry, outfile, { external = [], sourcemap = false } = {}) {
  await build({
    entryPoints: [entry],
    outfile,
    external,
    sourcemap: sourcemap ? "linked" : false,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    conditions: ["source"],
    logLevel: "warning",
    plugins: [builtinsRequiredWhereUsed],
    // Lets bundled CommonJS dependencies call require() inside an ES module.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  chmodSync(outfile, 0o755);
  return outfile;
}
