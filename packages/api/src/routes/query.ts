import { OPERATIONS, type RouteName } from "@compliance/contract";
import { badRequest, invalidField } from "../errors.ts";
import type { ExecutionSelector, Page } from "../store/store.ts";

/**
 * The one pagination convention: limit (bounded per list, in the contract), offset, sort
 * among the list's named keys.
 */
export function pageOf(
  name: RouteName,
  query: { limit?: number | undefined; offset?: number | undefined; sort?: string | undefined },
): Page {
  const rules = (
    OPERATIONS[name] as {
      page?: { defaultLimit: number; maxLimit: number; sorts: readonly string[] };
    }
  ).page;
  if (!rules) throw new Error(`${name} is not a list`);
  const limit = query.limit ?? rules.defaultLimit;
  if (limit > rules.maxLimit) {
    throw invalidField("querystring/limit", `must be at most ${rules.maxLimit}`);
  }
  if (query.sort !== undefined && !rules.sorts.includes(query.sort.replace(/^-/, ""))) {
    throw badRequest(
      "invalid_request",
      `querystring/sort must be one of ${rules.sorts.join(", ")} (with - for descending)`,
      [{ path: "querystring/sort", message: `must be one of ${rules.sorts.join(", ")}` }],
    );
  }
  return {
    limit,
    offset: query.offset ?? 0,
    ...(query.sort !== undefined ? { sort: query.sort } : {}),
  };
}

/** An RFC 3339 time of the query string, in ms; a 400 naming the field when it is not one. */
export function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalidField(`querystring/${field}`, "must be an RFC 3339 time");
  return ms;
}

/** Which execution `at` or `report` picks; neither: the latest. */
export function selectorOf(query: {
  at?: string | undefined;
  report?: string | undefined;
}): ExecutionSelector {
  if (query.at !== undefined && query.report !== undefined) {
    throw badRequest(
      "invalid_request",
      "give either querystring/at or querystring/report, not both",
    );
  }
  if (query.report !== undefined) return { reportId: query.report };
  const at = parseTime(query.at, "at");
  return at !== undefined ? { at } : { latest: true };
}
