import assert from "node:assert/strict";
import { test } from "node:test";
import { OPERATIONS, type Operation } from "../src/index.ts";

/** Every integer a schema accepts, by where it is, with its bounds. */
function integers(
  schema: unknown,
  path: string,
  out: { path: string; min: unknown; max: unknown }[],
) {
  if (schema === null || typeof schema !== "object") return out;
  const s = schema as Record<string, unknown>;
  if (s.type === "integer") out.push({ path, min: s.minimum, max: s.maximum });
  for (const key of ["allOf", "anyOf", "oneOf"]) {
    for (const part of (s[key] as unknown[] | undefined) ?? []) integers(part, path, out);
  }
  for (const [name, p] of Object.entries((s.properties as object | undefined) ?? {})) {
    integers(p, `${path}/${name}`, out);
  }
  for (const [name, p] of Object.entries((s.patternProperties as object | undefined) ?? {})) {
    integers(p, `${path}/${name}`, out);
  }
  integers(s.items, `${path}/*`, out);
  integers(s.additionalProperties, `${path}/*`, out);
  return out;
}

test("every integer a request may carry is bounded within what a database column holds", () => {
  const found: { path: string; min: unknown; max: unknown }[] = [];
  for (const [name, op] of Object.entries(OPERATIONS) as [string, Operation][]) {
    for (const part of ["params", "querystring", "body"] as const) {
      integers(op[part], `${name} ${part}`, found);
    }
  }
  assert.ok(found.length > 20, `${found.length} integers found`);
  for (const { path, min, max } of found) {
    assert.ok(typeof max === "number" && max <= Number.MAX_SAFE_INTEGER, `${path} has a maximum`);
    assert.ok(typeof min === "number" && min >= -Number.MAX_SAFE_INTEGER, `${path} has a minimum`);
  }
});
