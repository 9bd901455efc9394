import type { TokenRole } from "@compliance/contract";
import type { FastifyRequest } from "fastify";
import type { RouteContext } from "../app.ts";
import { authenticateReader } from "../auth.ts";
import { badRequest, notFound } from "../errors.ts";
import type { ExecutionRow } from "../store/history.repository.ts";
import type { ExecutionSelector } from "../store/store.ts";

/** An onRequest hook that lets through readers (or only admins). */
export function requireToken(ctx: RouteContext, need: TokenRole = "reader") {
  return async (request: FastifyRequest) => {
    await authenticateReader(request, ctx.store, ctx.secrets, need);
  };
}

export const readerSecurity = [{ token: [] }];

export interface PageParams {
  limit: number;
  offset: number;
  sort?: string;
}

/** The one pagination convention: limit (bounded per list), offset, sort among named keys. */
export function pageOf(
  query: { limit?: number; offset?: number; sort?: string },
  options: { defaultLimit: number; maxLimit: number; sorts: readonly string[] },
): PageParams {
  const limit = query.limit ?? options.defaultLimit;
  if (limit > options.maxLimit) {
    throw badRequest("invalid_request", `querystring/limit must be at most ${options.maxLimit}`, [
      { path: "querystring/limit", message: `must be at most ${options.maxLimit}` },
    ]);
  }
  if (query.sort !== undefined && !options.sorts.includes(query.sort.replace(/^-/, ""))) {
    throw badRequest(
      "invalid_request",
      `querystring/sort must be one of ${options.sorts.join(", ")} (with - for descending)`,
      [{ path: "querystring/sort", message: `must be one of ${options.sorts.join(", ")}` }],
    );
  }
  return {
    limit,
    offset: query.offset ?? 0,
    ...(query.sort !== undefined ? { sort: query.sort } : {}),
  };
}

/** Slices an in-memory list the same way the database lists are paged. */
export function pageList<T>(items: T[], page: PageParams) {
  return {
    items: items.slice(page.offset, page.offset + page.limit),
    total: items.length,
    limit: page.limit,
    offset: page.offset,
  };
}

export function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw badRequest("invalid_request", `querystring/${field} must be an RFC 3339 time`, [
      { path: `querystring/${field}`, message: "must be an RFC 3339 time" },
    ]);
  }
  return ms;
}

export function selectorOf(query: { at?: string; report?: string }): ExecutionSelector {
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

export async function hostExecution(
  ctx: RouteContext,
  hostId: number,
  selector: ExecutionSelector,
): Promise<ExecutionRow> {
  const host = await ctx.store.getHost(hostId);
  if (!host) throw notFound(`host ${hostId}`);
  const execution = await ctx.store.findExecution(hostId, selector);
  if (!execution) {
    if ("reportId" in selector) throw notFound(`report ${selector.reportId} of host ${hostId}`);
    if ("at" in selector)
      throw notFound(
        `an execution of host ${hostId} at or before ${new Date(selector.at).toISOString()}`,
      );
    throw notFound(`an execution of host ${hostId}`);
  }
  return execution;
}
