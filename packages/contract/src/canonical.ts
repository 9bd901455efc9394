/**
 * JSON with object keys sorted at every level: equal values give equal text. Inventory
 * items are stored and ordered by it; an agent that sends its lists sorted by it saves the
 * API storing the order they were sent in.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Compares two texts by code unit, the order canonical lists are sorted in. */
export const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
