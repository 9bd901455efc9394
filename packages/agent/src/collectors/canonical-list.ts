import { canonicalTexts, compareText } from "@compliance/contract/canonical";

/**
 * The items sorted by their canonical JSON, identical ones once. The API stores inventory
 * items in that order; a list sent in it needs no order of its own stored, and the same
 * host state always makes the same text.
 */
export function canonicalList<T>(items: readonly T[]): T[] {
  const texts = canonicalTexts(items);
  const keyed = items.map((item, i) => ({ key: texts[i]!, item }));
  keyed.sort((a, b) => compareText(a.key, b.key));
  return keyed.filter((x, i) => i === 0 || keyed[i - 1]!.key !== x.key).map((x) => x.item);
}

/** A list cut to the contract's bound, and the problem to report when it had to be cut. */
export function bounded<T>(
  items: readonly T[],
  limit: number,
  what: string,
): { items: T[]; problems: string[] } {
  if (items.length <= limit) return { items: [...items], problems: [] };
  return {
    items: items.slice(0, limit),
    problems: [`${items.length} ${what}, only the first ${limit} are sent`],
  };
}
