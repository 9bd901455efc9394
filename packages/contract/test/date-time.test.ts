import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Format, IsDateTime } from "typebox/format";
import { isDateTime } from "../src/date-time.ts";
import "../src/validate.ts";

/** A small seeded generator (mulberry32), so that a failure names a case that comes back. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("the date-time format accepts and refuses exactly what TypeBox's check does", () => {
  const cases = [
    "2026-11-30T23:25:26.123Z",
    "2026-11-30T23:25:26Z",
    "2026-11-30t23:25:26z",
    "2026-11-30T23:25:26.Z",
    "2026-11-30T23:25:26.1234567890123Z",
    "2026-11-30T23:25:26+01:00",
    "2026-11-30T23:25:26.5-05:30",
    "2026-11-30T23:25:26",
    "2026-11-30 23:25:26Z",
    "2024-02-29T00:00:00Z",
    "2023-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "2000-02-29T00:00:00Z",
    "0000-02-29T00:00:00Z",
    "2026-00-10T00:00:00Z",
    "2026-13-10T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-04-00T00:00:00Z",
    "2026-11-30T24:00:00Z",
    "2026-11-30T23:60:00Z",
    "2016-12-31T23:59:60Z",
    "2016-12-31T22:59:60-01:00",
    "2026-11-30T23:59:60Z",
    "2026-11-30T23:25:26Z[Europe/Paris]",
    "2026-11-30T23:25:26.1x3Z",
    "2026-1a-30T23:25:26Z",
    "+2026-11-30T23:25:26Z",
    "2026-11-30T23:25:26ZZ",
    "2026-11-30T23:25:2６Z",
    "2026-11-30TT23:25:26Z",
    "",
    "Z",
  ];
  for (const text of cases) {
    test(JSON.stringify(text), () => {
      assert.equal(isDateTime(text), IsDateTime(text));
    });
  }

  test("20,000 seeded variations of valid times, one or two characters changed", () => {
    const random = seeded(42);
    const alphabet = "0123456789-:.TtZz+[] x";
    for (let n = 0; n < 20_000; n++) {
      const at = new Date(Math.floor(random() * 4102444800000)).toISOString();
      const chars = [...(random() < 0.5 ? at : at.replace(/\.\d+/, ""))];
      for (let k = random() < 0.5 ? 1 : 2; k > 0; k--) {
        chars[Math.floor(random() * chars.length)] =
          alphabet[Math.floor(random() * alphabet.length)]!;
      }
      const text = chars.join("");
      assert.equal(isDateTime(text), IsDateTime(text), `case ${n}: ${text}`);
    }
  });

  test("the schemas compiled once the contract is loaded check date-times with it", () => {
    assert.equal(Format.Get("date-time"), isDateTime);
  });
});
