#!/usr/bin/env node
// Runs every test file of the project with node:test. Node 20 does not expand globs, so
// the files are listed here. Arguments narrow the run: `node scripts/test.mjs agent`
// runs the files whose path contains "agent".
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, out);
    else if (name.endsWith(".test.ts")) out.push(relative(root, path));
  }
  return out;
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const files = find(join(root, "packages"))
  .concat(find(join(root, "bench")))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(" ")}`);
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ["--conditions=source", "--import", "tsx", "--test", "--test-concurrency=3", ...files],
  { cwd: root, stdio: "inherit" },
);
process.exit(r.status ?? 1);
