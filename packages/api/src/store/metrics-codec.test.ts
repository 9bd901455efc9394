import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import fc from "fast-check";
import { decodeMetrics, encodeMetrics, type MetricsInput, orderOf } from "./metrics-codec.ts";

/**
 * The metrics column stores each process's CPU % and RSS as a difference from its span's
 * baseline, in the coarsest exact unit, and falls back to finer units or raw doubles: the
 * decoded values must always be the very numbers that were encoded.
 */

type Value = MetricsInput["values"][number];

function roundTrip(values: Value[], processOrder: number[] | null = null, sessionOrder = null) {
  const blob = encodeMetrics({ values, processOrder, sessionOrder });
  return decodeMetrics(
    blob,
    values.map(({ baseCpu, baseRss }) => ({ baseCpu, baseRss })),
  );
}

/** Raw (inflated) bytes of the column, to see which encoding a value took. */
const rawBytes = (values: Value[]) =>
  inflateRawSync(encodeMetrics({ values, processOrder: null, sessionOrder: null }));

describe("encodeMetrics / decodeMetrics: exact values", () => {
  const cases: [string, Value][] = [
    ["idle: equal to its baseline", { cpu: 1.5, rss: 4096, baseCpu: 1.5, baseRss: 4096 }],
    ["two decimals of CPU", { cpu: 0.07, rss: 0, baseCpu: 0.29, baseRss: 0 }],
    ["CPU with more decimals than 0.01", { cpu: 1.005, rss: 0, baseCpu: 0, baseRss: 0 }],
    ["CPU 0.1 + 0.2 (not 0.3)", { cpu: 0.1 + 0.2, rss: 0, baseCpu: 0.3, baseRss: 0 }],
    ["CPU a third", { cpu: 100 / 3, rss: 0, baseCpu: 33.33, baseRss: 0 }],
    ["CPU the smallest double", { cpu: Number.MIN_VALUE, rss: 0, baseCpu: 0, baseRss: 0 }],
    ["CPU at the contract's maximum", { cpu: 100_000, rss: 0, baseCpu: 0, baseRss: 0 }],
    ["RSS in whole KiB", { cpu: 0, rss: 2048 * 1024, baseCpu: 0, baseRss: 1024 }],
    ["RSS an odd byte count", { cpu: 0, rss: 4097, baseCpu: 0, baseRss: 4096 }],
    ["RSS odd baseline", { cpu: 0, rss: 1_000_000, baseCpu: 0, baseRss: 333 }],
    ["RSS negative difference", { cpu: 0, rss: 1024, baseCpu: 0, baseRss: 1024 * 1024 }],
    ["CPU negative difference", { cpu: 0.01, rss: 0, baseCpu: 99.99, baseRss: 0 }],
    ["RSS huge: 2^53 - 1", { cpu: 0, rss: Number.MAX_SAFE_INTEGER, baseCpu: 0, baseRss: 0 }],
    [
      "RSS huge, from a huge baseline",
      { cpu: 0, rss: Number.MAX_SAFE_INTEGER - 1, baseCpu: 0, baseRss: Number.MAX_SAFE_INTEGER },
    ],
    ["RSS beyond 2^53", { cpu: 0, rss: 2 ** 60 + 2 ** 10, baseCpu: 0, baseRss: 0 }],
    ["RSS fractional (not a byte count)", { cpu: 0, rss: 0.5, baseCpu: 0, baseRss: 0 }],
    ["difference just under 2^50 KiB units", { cpu: 0, rss: 2 ** 50 - 1, baseCpu: 0, baseRss: 0 }],
    ["difference of exactly 2^50", { cpu: 0, rss: 2 ** 50, baseCpu: 0, baseRss: 0 }],
    ["baseline with more decimals", { cpu: 2, rss: 0, baseCpu: 0.125, baseRss: 0 }],
    ["NaN", { cpu: Number.NaN, rss: Number.NaN, baseCpu: 0, baseRss: 0 }],
    ["infinite", { cpu: Infinity, rss: -Infinity, baseCpu: 0, baseRss: 0 }],
    ["infinite baseline", { cpu: 1, rss: 1, baseCpu: Infinity, baseRss: Number.NaN }],
  ];
  for (const [name, value] of cases) {
    test(name, () => {
      const out = roundTrip([value]);
      assert.ok(Object.is(out.cpu[0], value.cpu), `cpu ${out.cpu[0]} !== ${value.cpu}`);
      assert.ok(Object.is(out.rss[0], value.rss), `rss ${out.rss[0]} !== ${value.rss}`);
    });
  }

  test("-0 decodes as 0 (the same number, and the same JSON)", () => {
    const out = roundTrip([{ cpu: -0, rss: -0, baseCpu: 0, baseRss: 0 }]);
    assert.ok(out.cpu[0] === 0 && out.rss[0] === 0);
    assert.equal(JSON.stringify(out.cpu), JSON.stringify([-0]));
  });

  test("many processes keep their own values and baselines, in order", () => {
    const values: Value[] = [];
    for (let i = 0; i < 500; i++) {
      values.push({
        cpu: (i * 7) % 13 === 0 ? i / 3 : (i % 100) / 100,
        rss: i * 4096 + (i % 3),
        baseCpu: (i % 50) / 10,
        baseRss: i * 4000,
      });
    }
    const out = roundTrip(values);
    assert.deepEqual(
      out.cpu,
      values.map((v) => v.cpu),
    );
    assert.deepEqual(
      out.rss,
      values.map((v) => v.rss),
    );
  });

  test("no processes", () => {
    assert.deepEqual(roundTrip([]), { cpu: [], rss: [], processOrder: null, sessionOrder: null });
  });
});

describe("encodeMetrics: the compact form", () => {
  test("an idle process costs two zero bytes before compression", () => {
    const values = Array.from({ length: 300 }, (_, i) => ({
      cpu: i % 7,
      rss: i * 1000 + 1,
      baseCpu: i % 7,
      baseRss: i * 1000 + 1,
    }));
    const raw = rawBytes(values);
    // flags, the count 300 (two varint bytes), then two zero bytes per process.
    assert.equal(raw.length, 1 + 2 + 600);
    assert.ok(raw.subarray(3).every((b) => b === 0));
    const blob = encodeMetrics({ values, processOrder: null, sessionOrder: null });
    assert.ok(blob.length < 50, `a quiet host's column is a few dozen bytes (${blob.length})`);
  });

  test("a difference in the coarse unit is one byte; finer or raw values cost more", () => {
    const one = (v: Value) => rawBytes([v]).length - 2; // minus flags and count
    assert.equal(one({ cpu: 0.05, rss: 3 * 1024, baseCpu: 0, baseRss: 0 }), 2);
    assert.equal(one({ cpu: 0, rss: 100, baseCpu: 0, baseRss: 0 }), 3, "100 bytes: fine unit");
    assert.equal(one({ cpu: 0.001, rss: 0, baseCpu: 0, baseRss: 0 }), 1 + 1 + 8, "raw double");
  });

  test("the orders cost nothing when the lists were sent in canonical order", () => {
    const values = [{ cpu: 0, rss: 0, baseCpu: 0, baseRss: 0 }];
    const plain = rawBytes(values);
    assert.equal(plain[0], 0, "no order flags");
    const withOrder = inflateRawSync(
      encodeMetrics({ values, processOrder: [0], sessionOrder: [1, 0] }),
    );
    assert.equal(withOrder[0], 3, "both order flags");
  });
});

describe("encodeMetrics / decodeMetrics: list orders", () => {
  const v = (n: number) =>
    Array.from({ length: n }, () => ({ cpu: 0, rss: 0, baseCpu: 0, baseRss: 0 }));
  const cases: [string, number[] | null, number[] | null, number][] = [
    ["both canonical", null, null, 2],
    ["processes reversed", [1, 0], null, 2],
    ["sessions only", null, [2, 0, 1], 0],
    ["both, with a large index", [2, 0, 1], [300, 0, 200, 1], 3],
    ["an empty order is kept as empty, not as canonical", [], [], 0],
  ];
  for (const [name, processOrder, sessionOrder, n] of cases) {
    test(name, () => {
      const out = decodeMetrics(
        encodeMetrics({ values: v(n), processOrder, sessionOrder }),
        v(n).map(() => ({ baseCpu: 0, baseRss: 0 })),
      );
      assert.deepEqual(out.processOrder, processOrder);
      assert.deepEqual(out.sessionOrder, sessionOrder);
    });
  }
});

describe("decodeMetrics: refuses what does not match", () => {
  test("a column holding another number of processes than the spans", () => {
    const blob = encodeMetrics({
      values: [{ cpu: 1, rss: 1, baseCpu: 0, baseRss: 0 }],
      processOrder: null,
      sessionOrder: null,
    });
    assert.throws(() => decodeMetrics(blob, []), /holds 1 processes, the spans 0/);
    assert.throws(() =>
      decodeMetrics(blob, [
        { baseCpu: 0, baseRss: 0 },
        { baseCpu: 0, baseRss: 0 },
      ]),
    );
  });

  test("a truncated column", () => {
    // Flags, a count of 2, the first CPU difference, then a varint that never ends.
    const blob = deflateRawSync(Buffer.from([0, 2, 0, 0x80]));
    assert.throws(
      () =>
        decodeMetrics(blob, [
          { baseCpu: 0, baseRss: 0 },
          { baseCpu: 0, baseRss: 0 },
        ]),
      /truncated/,
    );
  });
});

describe("orderOf", () => {
  const byNumber = (a: number, b: number) => a - b;
  const cases: [string, number[], number[] | null][] = [
    ["empty", [], null],
    ["one", [5], null],
    ["canonical", [1, 2, 812], null],
    ["reversed", [3, 2, 1], [2, 1, 0]],
    ["one out of place", [1, 812, 2], [0, 2, 1]],
    ["rotated", [20, 30, 10], [1, 2, 0]],
  ];
  for (const [name, sent, expected] of cases) {
    test(name, () => assert.deepEqual(orderOf(sent, byNumber), expected));
  }

  test("equal items keep the sent order: canonical, no order stored", () => {
    assert.equal(
      orderOf(["b", "a", "a"], () => 0),
      null,
    );
  });

  test("order[i] is the canonical index of the i-th item as sent", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 1e6 }), { maxLength: 60 }), (sent) => {
        const canonical = [...sent].sort(byNumber);
        const order = orderOf(sent, byNumber);
        if (order === null) {
          assert.deepEqual(sent, canonical);
        } else {
          assert.notDeepEqual(sent, canonical);
          assert.deepEqual(
            order.map((c) => canonical[c]),
            sent,
          );
          assert.deepEqual(
            [...order].sort(byNumber),
            canonical.map((_, i) => i),
          );
        }
      }),
    );
  });
});

describe("decodeMetrics(encodeMetrics(x)) === x for any values", () => {
  // Any double, including NaN, ±Infinity, subnormals and -0; and values near the units.
  const anyNumber = fc.oneof(
    fc.double(),
    fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
    fc.integer({ min: 0, max: 10_000_000 }).map((n) => n / 100),
    fc.integer({ min: 0, max: 2 ** 40 }).map((n) => n * 1024),
    fc.integer({ min: 0, max: 2 ** 20 }).map((n) => n * 1024 + 1),
  );
  const valueArb = fc.record({
    cpu: anyNumber,
    rss: anyNumber,
    baseCpu: anyNumber,
    baseRss: anyNumber,
  });
  const orderArb = fc.option(fc.array(fc.nat({ max: 100_000 }), { maxLength: 20 }), {
    nil: null,
  });
  /** ===, but NaN equals NaN (encoded as a raw double, it comes back as NaN). */
  const same = (a: number | undefined, b: number) =>
    a === b || (Number.isNaN(a) && Number.isNaN(b));

  test("values, baselines and orders", () => {
    fc.assert(
      fc.property(fc.array(valueArb, { maxLength: 30 }), orderArb, orderArb, (values, po, so) => {
        const out = decodeMetrics(
          encodeMetrics({ values, processOrder: po, sessionOrder: so }),
          values.map(({ baseCpu, baseRss }) => ({ baseCpu, baseRss })),
        );
        values.forEach((v, i) => {
          assert.ok(same(out.cpu[i], v.cpu), `cpu ${out.cpu[i]} for ${v.cpu} (base ${v.baseCpu})`);
          assert.ok(same(out.rss[i], v.rss), `rss ${out.rss[i]} for ${v.rss} (base ${v.baseRss})`);
        });
        assert.equal(out.cpu.length, values.length);
        assert.deepEqual(out.processOrder, po);
        assert.deepEqual(out.sessionOrder, so);
      }),
      { numRuns: 500 },
    );
  });

  test("values within the contract are bit for bit the same (no -0 there)", () => {
    const cpu = fc.double({ min: 0, max: 100_000, noNaN: true, noDefaultInfinity: true });
    const rss = fc.oneof(
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.integer({ min: 0, max: 2 ** 30 }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.record({ cpu, rss, baseCpu: cpu, baseRss: rss }), { maxLength: 30 }),
        (values) => {
          const nonNegativeZero = values.map((v) => ({
            ...v,
            cpu: v.cpu === 0 ? 0 : v.cpu,
            baseCpu: v.baseCpu === 0 ? 0 : v.baseCpu,
          }));
          const out = roundTrip(nonNegativeZero);
          assert.deepEqual(
            out.cpu,
            nonNegativeZero.map((v) => v.cpu),
          );
          assert.deepEqual(
            out.rss,
            nonNegativeZero.map((v) => v.rss),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
