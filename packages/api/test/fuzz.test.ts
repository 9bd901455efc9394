import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ENGINES } from "./helpers/databases.ts";
import {
  type FuzzTarget,
  formatFailures,
  integrityProblems,
  operationsOf,
  runFuzz,
  startFuzzTarget,
} from "./helpers/fuzz.ts";

/**
 * The API fuzzed from its own OpenAPI document, on every engine, over real HTTP on
 * loopback: every operation (the older systems' routes included) gets valid, boundary,
 * wrong-typed, missing, extra, deeply nested, very long and malformed input, with every
 * kind of credential. No answer may be a 5xx, every 4xx carries a JSON error with a
 * message, and afterwards the API still answers and still stores a valid report.
 *
 * The seed is fixed so a run is the same every time; FUZZ_SEED and FUZZ_CASES (per
 * engine) explore further. A failure prints the seed and one request per kind of failure.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_130);
const CASES = Number(process.env.FUZZ_CASES ?? 2_000);

for (const engine of ENGINES) {
  describe(`fuzzing the API from its OpenAPI document on ${engine}`, () => {
    let target: FuzzTarget;
    before(async () => {
      target = await startFuzzTarget(engine);
    });
    after(() => target?.close());

    test("the document lists every route, the older systems' included", () => {
      const ops = operationsOf(target.doc);
      const keys = new Set(ops.map((o) => o.key));
      for (const key of ["POST /api/v1/reports", "GET /api/v1/hosts", "POST /servers", "POST /"]) {
        assert.ok(keys.has(key), `${key} is not in the OpenAPI document`);
      }
      assert.ok(ops.length >= 50, `only ${ops.length} operations in the document`);
    });

    test(`${CASES} cases (seed ${SEED}): no 5xx, every 4xx a JSON error, the API intact`, async (t) => {
      const summary = await runFuzz(target, { seed: SEED, cases: CASES });
      const c = summary.byClass;
      t.diagnostic(
        `${engine}: ${summary.cases} cases in ${(summary.ms / 1000).toFixed(1)} s — ` +
          `2xx ${c["2xx"]}, 4xx ${c["4xx"]}, 5xx ${c["5xx"]}, no answer ${c.none}`,
      );
      for (const [op, cov] of summary.coverage) assert.ok(cov.cases > 0, `${op} got no case`);
      const unreached = [...summary.coverage].filter(([, v]) => v.ok === 0).map(([k]) => k);
      if (unreached.length > 0) t.diagnostic(`never answered 2xx: ${unreached.join(", ")}`);
      const problems = await integrityProblems(target, SEED);
      const report = [
        ...(summary.failures.length > 0 ? [formatFailures(engine, summary)] : []),
        ...(problems.length > 0
          ? [`after the run on ${engine}:`, ...problems.map((p) => `  ${p}`)]
          : []),
      ];
      assert.ok(report.length === 0, report.join("\n"));
    });
  });
}
