import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { canonicalJson, canonicalTexts, compareText } from "../src/canonical.ts";

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

  test("a list's texts written at once are each item's canonical JSON", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 8 }), (items) => {
        assert.deepEqual(canonicalTexts(items), items.map(reference));
      }),
      { numRuns: 2000 },
    );
    // Items of one shape, keys in any order and of any characters, nested.
    const item = fc.dictionary(
      fc.string({ unit: "binary", maxLength: 4 }),
      fc.oneof(fc.double(), fc.string(), fc.array(fc.dictionary(fc.string(), fc.integer()))),
    );
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), (items) => {
        assert.deepEqual(canonicalTexts(items), items.map(reference));
      }),
      { numRuns: 1000 },
    );
  });

  test("what JSON.stringify would write otherwise goes through canonicalJson", () => {
    const odd: unknown[] = [
      [{ a: 1 }, [1, undefined, 2]],
      [{ a: 1 }, { b: { toJSON: () => "x" } }],
      [{ a: 1 }, { b: new Date(0) }],
      [{ a: 1 }, JSON.parse('{"__proto__":{"x":1},"y":2}'), { y: 3 }],
      [{ a: 1, u: undefined }, { c: null }],
      [Object.assign(Object.create(null), { z: 1, a: 2 })],
    ];
    for (const items of odd as unknown[][]) {
      assert.deepEqual(canonicalTexts(items), items.map(canonicalJson), JSON.stringify(items));
    }
    // A member named __proto__ is written as canonicalJson writes it, not as the prototype.
    assert.deepEqual(canonicalTexts([JSON.parse('{"__proto__":1}'), { a: 1 }]), [
      '{"__proto__":1}',
      '{"a":1}',
    ]);
  });
});
