import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { canonicalJson, compareText } from "../src/canonical.ts";

/** The definition, written plainly: what the faster canonicalJson must give. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compareText(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) as string;
}

describe("canonical JSON", () => {
  test("keys sorted by code unit at every level, undefined left out", () => {
    assert.equal(
      canonicalJson({ b: 1, a: [{ z: null, y: "é" }, 2], "\u00e9": true, A: undefined, "😀": 0 }),
      '{"a":[{"y":"é","z":null},2],"b":1,"é":true,"😀":0}',
    );
  });

  test("gives the same text as its plain definition for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assert.equal(canonicalJson(value), reference(value));
      }),
      { numRuns: 2000 },
    );
  });

  test("and for objects with keys of any characters, surrogates included", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: "binary" }), fc.oneof(fc.double(), fc.string())),
        (value) => assert.equal(canonicalJson(value), reference(value)),
      ),
      { numRuns: 1000 },
    );
  });
});
