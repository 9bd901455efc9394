#!/usr/bin/env node
// Runs every test file of the project with node:test, in two passes:
//  1. every file, on the machine's clock;
//  2. the date-sensitive files (API, agent, contract; but those in CLOCK_FREE) again with
//     the process clock moved 400 days ahead by Debian's faketime, so a test that mixes a
//     fixed clock with the real one fails today rather than on some later day.
// The slowest files start first (SLOW_FIRST), so a pass does not end on one long file alone.
// Arguments narrow the run: `node scripts/test.mjs agent` runs the files whose path
// contains "agent"; `--clock=now` or `--clock=future` runs one pass only.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
/** How far ahead the second pass moves the clock. */
const FUTURE = "+400d";
/** Files whose behaviour depends on the date; the console's browser tests are not among them. */
const DATE_SENSITIVE = ["packages/api/", "packages/agent/", "packages/contract/"];
/**
 * Files of those packages that the second pass leaves out, each with what it checks: none
 * of it depends on the date, so on the moved clock they would only prove the same again.
 */
const CLOCK_FREE = new Map([
  ["packages/api/test/service.test.ts", "the systemd unit, and packaging the API and starting it"],
  ["packages/api/test/burst.test.ts", "admission control under 1,000 concurrent check-ins"],
  ["packages/api/test/fuzz.test.ts", "no input gets a 5xx; the dates it sends come from its seed"],
  ["packages/api/test/openapi.test.ts", "linters on the OpenAPI document, which holds no date"],
  ["packages/api/test/hardening-enroll.test.ts", "who may enroll a host that has a node key"],
  ["packages/api/test/outage.test.ts", "the database going away and coming back"],
  ["packages/api/test/request-errors.test.ts", "requests refused before a route runs"],
  ["packages/api/test/readme-agent.test.ts", "the README's shell example runs as written"],
  ["packages/api/test/compressed-bodies.test.ts", "compressed request bodies"],
  ["packages/api/test/compiled-once.test.ts", "statements compiled once, bound again"],
  ["packages/api/test/store-close.test.ts", "a closed store's open files"],
  ["packages/api/test/hostnames.test.ts", "hostnames by id"],
  ["packages/agent/test/packages.test.ts", "building and installing the agent's packages"],
  ["packages/agent/test/service.test.ts", "the agent process killed, stopped and measured"],
]);
/**
 * The slowest files, slowest first (from the table each pass prints): started first, they
 * run beside the many short files instead of after them. The others follow in path order.
 */
const SLOW_FIRST = [
  "packages/api/test/policies.test.ts",
  "packages/api/test/fuzz.test.ts",
  "packages/agent/test/daemon.test.ts",
  "packages/agent/test/packages.test.ts",
  "packages/api/test/replicas.test.ts",
  "packages/console/test/console.e2e.test.ts",
  "packages/api/test/burst.test.ts",
  "packages/api/test/service.test.ts",
  "packages/api/test/history-property.test.ts",
  "packages/console/test/admin.e2e.test.ts",
  "packages/api/test/hardening-timeout.test.ts",
  "packages/console/test/questions.e2e.test.ts",
  "packages/api/test/group-commit.test.ts",
  "packages/api/test/export.test.ts",
  "packages/api/test/hardening-enroll.test.ts",
  "packages/agent/test/service.test.ts",
  "packages/api/test/hardening-http.test.ts",
  "packages/api/test/hardening-inputs.test.ts",
  "packages/api/test/archive.test.ts",
];
/** The longest one test (or hook) may take, even on a loaded 2-core machine. */
const TEST_TIMEOUT_MS = 5 * 60_000;
/** The longest one pass may take; a whole run takes well under half of it on 2 cores. */
const PASS_TIMEOUT_MS = 30 * 60_000;

/** Known slow files first, slowest first; then path order. */
function bySlowFirst(a, b) {
  const rank = (f) => {
    const i = SLOW_FIRST.indexOf(f);
    return i === -1 ? SLOW_FIRST.length : i;
  };
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, out);
    else if (name.endsWith(".test.ts")) out.push(relative(root, path));
  }
  return out;
}

// A renamed or removed file must not drop out of these lists unnoticed.
for (const file of [...CLOCK_FREE.keys(), ...SLOW_FIRST]) {
  if (!existsSync(join(root, file))) {
    console.error(`scripts/test.mjs names ${file}, which does not exist`);
    process.exit(2);
  }
}

const args = process.argv.slice(2);
const clock = args.find((a) => a.startsWith("--clock="))?.slice("--clock=".length) ?? "both";
if (!["now", "future", "both"].includes(clock)) {
  console.error(`--clock must be now, future or both (got ${clock})`);
  process.exit(2);
}
const filters = args.filter((a) => !a.startsWith("--"));
const files = find(join(root, "packages"))
  .concat(find(join(root, "bench")))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort(bySlowFirst);
if (files.length === 0) {
  console.error(`no test files match ${filters.join(" ")}`);
  process.exit(1);
}

const timings = join(root, "scripts/file-timings.mjs");
function run(label, command, list, notes = []) {
  console.log(`\n# ${label}: ${list.length} files`);
  for (const note of notes) console.log(`#   ${note}`);
  const argv = [
    ...command,
    process.execPath,
    "--conditions=source",
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=3",
    // A test that hangs fails after this long instead of holding CI until its own limit.
    `--test-timeout=${TEST_TIMEOUT_MS}`,
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    `--test-reporter=${timings}`,
    "--test-reporter-destination=stdout",
    ...list,
  ];
  // A file that never exits (something it started still runs) would hold the pass
  // forever: the pass is stopped after PASS_TIMEOUT_MS and counts as failed.
  const r = spawnSync(argv[0], argv.slice(1), {
    cwd: root,
    stdio: "inherit",
    timeout: PASS_TIMEOUT_MS,
    killSignal: "SIGKILL",
  });
  if (r.error?.code === "ETIMEDOUT") {
    console.error(`${label}: stopped after ${PASS_TIMEOUT_MS / 60_000} minutes`);
    return 1;
  }
  if (r.error) {
    console.error(`${label}: ${r.error.message}`);
    return 1;
  }
  return r.status ?? 1;
}

let failed = 0;
if (clock !== "future") failed += run("tests on the machine's clock", [], files) === 0 ? 0 : 1;
const future = files.filter(
  (f) => DATE_SENSITIVE.some((p) => f.startsWith(p)) && !CLOCK_FREE.has(f),
);
if (clock !== "now" && future.length > 0) {
  const faketime = spawnSync("faketime", ["-f", FUTURE, "true"]);
  if (faketime.error || faketime.status !== 0) {
    console.error(
      "faketime is not installed: the far-future clock pass cannot run. Install Debian's " +
        "faketime package (.ci/run does).",
    );
    failed++;
  } else {
    const label = `date-sensitive tests with the clock ${FUTURE} ahead (faketime)`;
    const notes = files
      .filter((f) => CLOCK_FREE.has(f))
      .map((f) => `not again: ${f} (${CLOCK_FREE.get(f)})`);
    failed += run(label, ["faketime", "-f", FUTURE], future, notes) === 0 ? 0 : 1;
  }
}
process.exit(failed === 0 ? 0 : 1);
