import { createHash } from "node:crypto";
import { canonicalJson, canonicalMembers, canonicalTexts, flatText } from "./canonical.ts";
import { DELTA_LISTS, type DeltaListName } from "./delta.ts";
import type { Report } from "./report.ts";

/**
 * The digest of a whole report, as a delta check-in names the report it describes:
 * SHA-256 of its canonical JSON (keys sorted at every level), in hex.
 */
export function reportDigest(report: Report): string {
  return createHash("sha256").update(canonicalJson(report)).digest("hex");
}

/** The canonical text of each item of one of a report's lists, as its digest wrote them. */
export interface ListTexts {
  list: readonly unknown[];
  items: readonly string[];
}

/** The texts of a report's lists: what the digest of the next report made from it reuses. */
export type ReportTexts = Partial<Record<DeltaListName, ListTexts>>;

/**
 * reportDigest(report), writing again only the list items that are not items of the report
 * `base` describes (a report made from its base by a delta shares every item the delta did
 * not change, and a list it did not change is the very same array). Also gives the texts of
 * `report`'s lists, for the report after it. Items must not change once their text is kept.
 *
 * Texts are kept by list, not by item: a weak map of every item of every cached report made
 * each garbage collection walk hundreds of thousands of entries.
 */
export function reportDigestFrom(
  report: Report,
  base: ReportTexts | undefined,
): { digest: string; texts: ReportTexts } {
  const texts: ReportTexts = {};
  const text = canonicalMembers(report as unknown as Record<string, unknown>, (value, key) => {
    if (!(DELTA_LISTS as readonly string[]).includes(key) || !Array.isArray(value)) {
      return canonicalJson(value);
    }
    const kept = listTexts(value, base?.[key as DeltaListName]);
    texts[key as DeltaListName] = kept;
    return `[${kept.items.join(",")}]`;
  });
  return { digest: createHash("sha256").update(text).digest("hex"), texts };
}

function listTexts(list: readonly unknown[], before: ListTexts | undefined): ListTexts {
  if (before?.list === list) return before;
  let known: Map<unknown, string> | undefined;
  if (before) {
    known = new Map();
    for (let i = 0; i < before.list.length; i++) known.set(before.list[i], before.items[i]!);
  }
  // An undefined item (never in parsed JSON) writes nothing, as canonicalJson does.
  const items = list.map((item) => (item === undefined ? "" : known?.get(item)));
  const missing: number[] = [];
  for (let i = 0; i < items.length; i++) if (items[i] === undefined) missing.push(i);
  if (missing.length > 0) {
    const written = canonicalTexts(missing.map((i) => list[i]));
    // Flat: these texts are kept as long as their report is (see flatText).
    for (let j = 0; j < missing.length; j++) items[missing[j]!] = flatText(written[j]!);
  }
  return { list, items: items as string[] };
}
