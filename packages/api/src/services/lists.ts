import type { Page } from "../store/store.ts";

/** A text filter and a page over a list held in memory (an execution's processes). */
export interface ListQuery {
  q?: string | undefined;
  page: Page;
}

/** A field whose order is not its values' natural one (a package's version). */
export type Comparators<T> = Partial<Record<string, (a: T, b: T) => number>>;

/** Sorts a copy by one field; `-field` descends. Ties keep the order sent. */
export function sortBy<T>(
  items: readonly T[],
  sort: string | undefined,
  comparators: Comparators<T> = {},
): T[] {
  if (!sort) return [...items];
  const desc = sort.startsWith("-");
  const key = sort.replace(/^-/, "") as keyof T;
  const sign = desc ? -1 : 1;
  const compare = comparators[key as string];
  if (compare) return [...items].sort((a, b) => compare(a, b) * sign);
  return [...items].sort((a, b) => {
    const x = a[key] as unknown;
    const y = b[key] as unknown;
    if (x === y) return 0;
    if (x === undefined || x === null) return 1;
    if (y === undefined || y === null) return -1;
    return (x < y ? -1 : 1) * sign;
  });
}

/** Filters by `q` (lower-cased for `matches`), sorts and pages, like the database lists. */
export function listOf<T>(
  items: readonly T[],
  query: ListQuery,
  matches: (q: string) => (item: T) => boolean,
  comparators: Comparators<T> = {},
) {
  const filtered = query.q ? items.filter(matches(query.q.toLowerCase())) : items;
  const sorted = sortBy(filtered, query.page.sort, comparators);
  const { limit, offset } = query.page;
  return { items: sorted.slice(offset, offset + limit), total: sorted.length, limit, offset };
}
