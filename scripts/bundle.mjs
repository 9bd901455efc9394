// How a program of ours becomes one file: shared by the build (scripts/build.mjs) and the
// tests and benchmarks that run the bundled agent as its own process.
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;

/** The agent's entry point. */
export const AGENT_ENTRY = join(root, "packages/agent/src/main.ts");

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
    // Lets bundled CommonJS dependencies call require() inside an ES module.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  chmodSync(outfile, 0o755);
  return outfile;
}
