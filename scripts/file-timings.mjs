// A node:test reporter that prints, after the run, how long each test file took (the sum
// of its top-level tests and suites), slowest first, so a slow file is seen at once.
import { relative } from "node:path";

export default async function* fileTimings(source) {
  const totals = new Map();
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const { data } = event;
    if (data.nesting !== 0 || !data.file) continue;
    const file = relative(process.cwd(), data.file);
    const entry = totals.get(file) ?? { ms: 0, failed: 0 };
    entry.ms += data.details.duration_ms ?? 0;
    if (event.type === "test:fail") entry.failed++;
    totals.set(file, entry);
  }
  const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms);
  const width = Math.max(4, ...rows.map(([file]) => file.length));
  yield `\nTime per test file (slowest first)\n${"file".padEnd(width)}  seconds\n`;
  for (const [file, { ms, failed }] of rows) {
    const mark = failed > 0 ? `  ${failed} failed` : "";
    yield `${file.padEnd(width)}  ${(ms / 1000).toFixed(1).padStart(7)}${mark}\n`;
  }
}
