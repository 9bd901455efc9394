#!/usr/bin/env node
// Runs the benchmarks one after another and prints their tables. Arguments narrow the run
// (`npm run bench -- storage fleet`). Results worth keeping go in bench/RESULTS.md.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const filters = process.argv.slice(2);
const benches = readdirSync(join(root, "bench"))
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const file of benches) {
  console.log(`\n## ${file}`);
  const r = spawnSync(
    process.execPath,
    ["--conditions=source", "--import", "tsx", join("bench", file)],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  if (r.status !== 0) {
    failed++;
    console.error(`${file} failed with ${r.status}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
