// A node:test reporter that prints, after the run, how long each test file took, slowest
// first, so a slow file is seen at once: its wall time from start to exit (loading and
// set-up included, as the parallel pass waits for it), and the sum of its top-level tests
// and suites.
import { basename, relative, resolve } from "node:path";

export default async function* fileTimings(source) {
  const totals = new Map();
  const entry = (file) => {
    const key = relative(process.cwd(), file);
    if (!totals.has(key)) totals.set(key, { wall: 0, tests: 0, failed: 0 });
    return totals.get(key);
  };
  for await (const event of source) {
    const { data } = event;
    if (!data?.file || data.nesting !== 0) continue;
    // The file itself is a test named after it (its path as given, or its name) that
    // completes once, when its process exits.
    const isFile = data.name === basename(data.file) || resolve(data.name) === data.file;
    if (event.type === "test:complete" && isFile) {
      entry(data.file).wall = data.details.duration_ms ?? 0;
      continue;
    }
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const e = entry(data.file);
    e.tests += data.details.duration_ms ?? 0;
    if (event.type === "test:fail") e.failed++;
  }
  const rows = [...totals].sort((a, b) => b[1].wall - a[1].wall || b[1].tests - a[1].tests);
  const width = Math.max(4, ...rows.map(([file]) => file.length));
  const s = (ms) => (ms / 1000).toFixed(1).padStart(7);
  yield `\nTime per test file (slowest first, seconds)\n${"file".padEnd(width)}     wall    tests\n`;
  for (const [file, { wall, tests, failed }] of rows) {
    const mark = failed > 0 ? `  ${failed} failed` : "";
    yield `${file.padEnd(width)}  ${s(wall)}  ${s(tests)}${mark}\n`;
  }
}
