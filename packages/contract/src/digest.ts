import { createHash } from "node:crypto";
import { canonicalJson, canonicalJsonKept, canonicalMembers } from "./canonical.ts";
import { DELTA_LISTS } from "./delta.ts";
import type { Report } from "./report.ts";

/**
 * The digest of a whole report, as a delta check-in names the report it describes:
 * SHA-256 of its canonical JSON (keys sorted at every level), in hex.
 *
 * With `memo`, the canonical text of each list item is kept by the item's identity: a
 * report made by applying a delta shares its unchanged items with its base, whose texts are
 * then not written again. The items must not change once their text is kept.
 */
export function reportDigest(report: Report, memo?: WeakMap<object, string>): string {
  if (!memo) return createHash("sha256").update(canonicalJson(report)).digest("hex");
  // The same text as canonicalJson(report): the lists written item by item through memo.
  const text = canonicalMembers(report as unknown as Record<string, unknown>, (value, key) =>
    (DELTA_LISTS as readonly string[]).includes(key) && Array.isArray(value)
      ? `[${value.map((item: unknown) => (item === undefined ? "" : canonicalJsonKept(item, memo))).join(",")}]`
      : canonicalJson(value),
  );
  return createHash("sha256").update(text).digest("hex");
}
