#!/usr/bin/env node
// Builds what runs outside the test loader: the agent and the API as single bundled
// files (esbuild), and the console as static files (vite). Fast enough to run on every
// `npm start`.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { bundle } from "./bundle.mjs";

const root = new URL("..", import.meta.url).pathname;
const pkg = (name) =>
  JSON.parse(readFileSync(join(root, "packages", name, "package.json"), "utf8"));

/** Third-party dependencies stay in node_modules; our own workspace packages are bundled in. */
function externals(name) {
  return Object.keys(pkg(name).dependencies ?? {}).filter((d) => !d.startsWith("@compliance/"));
}

const targets = [
  {
    entry: "packages/agent/src/main.ts",
    out: "packages/agent/dist/compliance-agent.js",
    // The agent is one file that runs with a plain `node`: everything is bundled.
    external: [],
  },
  {
    entry: "packages/api/src/main.ts",
    out: "packages/api/dist/compliance-api.js",
    external: externals("api"),
  },
];

for (const t of targets) {
  if (!existsSync(join(root, t.entry))) continue;
  await bundle(join(root, t.entry), join(root, t.out), { external: t.external, sourcemap: true });
}

if (existsSync(join(root, "packages/console/vite.config.ts"))) {
  const r = spawnSync("npx", ["vite", "build", "--logLevel", "warn"], {
    cwd: join(root, "packages/console"),
    stdio: "inherit",
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
