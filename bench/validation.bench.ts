// What checking one report costs before it is stored, step by step, the way the API takes
// it: the limits pre-scan of the text, Fastify's JSON parser (which refuses prototype keys),
// the schema (TypeBox, with ~300 date-times), the routes' NUL check of the body and the
// report rules. Each step that changed is measured both ways in the same run: the old path
// (date-times as TypeBox checks them, every string walked for NUL) and the new one (the
// agents' date-time shape read in one pass, the strings walked only when the text holds a
// NUL escape). Medians of BENCH_RUNS (15) interleaved runs of BENCH_REPORTS (200) reports.

import Fastify from "fastify";
import { Compile } from "typebox/compile";
import { Format, IsDateTime } from "typebox/format";
import { holdsNulEscape, scanJson } from "../packages/api/src/http/json-limits.ts";
import { HTTP_DEFAULTS } from "../packages/api/src/http/settings.ts";
import { reportWithProcesses } from "../packages/api/test/helpers/reports.ts";
import { isDateTime } from "../packages/contract/src/date-time.ts";
import type { Report } from "../packages/contract/src/report.ts";
import { ReportSchema } from "../packages/contract/src/report.ts";
import { markNulFree, nulProblems, reportRules } from "../packages/contract/src/validate.ts";
import { fmt, median, table } from "./support/harness.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const REPORTS = Number(process.env.BENCH_REPORTS ?? 200);

const texts = Array.from({ length: REPORTS }, (_, i) =>
  JSON.stringify({
    ...reportWithProcesses(300, { identifier: `host-${i}` }),
    collected_at: new Date(Date.UTC(2026, 10, 30, 12, 0, i)).toISOString(),
  }),
);
const timestamps = (JSON.parse(texts[0]!) as Report).processes.length + 1;

Format.Set("date-time", IsDateTime);
const schemaBefore = Compile(ReportSchema);
Format.Set("date-time", isDateTime);
const schemaAfter = Compile(ReportSchema);

const parser = Fastify().getDefaultJsonParser("error", "error");
const parse = (text: string): Report => {
  let out: unknown;
  parser({} as never, text, (error: Error | null, value: unknown) => {
    if (error) throw error;
    out = value;
  });
  return out as Report;
};
const limits = { maxDepth: HTTP_DEFAULTS.jsonMaxDepth, maxItems: HTTP_DEFAULTS.jsonMaxItems };

/** µs per report of `step` over every text, with the text's parsed value prepared by `prepare`. */
function time<T>(prepare: (text: string) => T, step: (text: string, value: T) => unknown): number {
  const inputs = texts.map((t) => [t, prepare(t)] as const);
  const start = process.hrtime.bigint();
  for (const [t, v] of inputs) step(t, v);
  return Number(process.hrtime.bigint() - start) / 1000 / texts.length;
}

const steps: [string, string, () => number][] = [
  [
    "limits pre-scan",
    "",
    () =>
      time(
        () => null,
        (t) => scanJson(t, limits),
      ),
  ],
  [
    "JSON parse (prototype keys refused)",
    "",
    () =>
      time(
        () => null,
        (t) => parse(t),
      ),
  ],
  ["schema", "before", () => time(parse, (_, v) => schemaBefore.Check(v))],
  ["schema", "after", () => time(parse, (_, v) => schemaAfter.Check(v))],
  ["NUL check of the body", "before", () => time(parse, (_, v) => nulProblems(v, "body"))],
  [
    "NUL check of the body",
    "after",
    () =>
      time(parse, (t, v) => {
        if (!holdsNulEscape(t)) markNulFree(v);
        return nulProblems(v, "body");
      }),
  ],
  ["report rules", "before", () => time(parse, (_, v) => reportRules(v))],
  [
    "report rules",
    "after",
    () =>
      time(
        (t) => {
          const v = parse(t);
          markNulFree(v);
          return v;
        },
        (_, v) => reportRules(v),
      ),
  ],
];

const samples = new Map<string, number[]>();
for (let run = 0; run < RUNS; run++) {
  for (const [name, which, measure] of steps) {
    const key = `${name}\u0001${which}`;
    samples.set(key, [...(samples.get(key) ?? []), measure()]);
  }
}
const us = (name: string, which: string) => median(samples.get(`${name}\u0001${which}`)!);

const rows: (string | number)[][] = [];
let before = 0;
let after = 0;
for (const name of new Set(steps.map(([n]) => n))) {
  const changed = steps.some(([n, w]) => n === name && w === "before");
  const b = us(name, changed ? "before" : "");
  const a = us(name, changed ? "after" : "");
  before += b;
  after += a;
  rows.push([name, fmt(b, 1), fmt(a, 1), changed ? `${fmt(b / a, 1)}×` : ""]);
}
rows.push(["**all steps**", fmt(before, 1), fmt(after, 1), `**${fmt(before / after, 2)}×**`]);
console.log(
  `\n### Checking a 300-process report (${Math.round(texts[0]!.length / 1024)} KiB, ${timestamps} date-times), µs per report, medians of ${RUNS} runs\n`,
);
console.log(table(["step", "before µs", "after µs", "before / after"], rows));
