import type { Problem } from "@compliance/contract";
import { StoreError, type StoreErrorCode } from "./store/errors.ts";

/**
 * An error the API answers with on purpose: a stable code, the HTTP status, a message for
 * people and, for bad input, each problem by JSON pointer. Anything else is a bug and
 * becomes a plain 500.
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: Problem[],
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options);
    this.name = "ApiError";
    this.headers = options?.headers ?? {};
  }

  readonly headers: Record<string, string>;
}

export const badRequest = (code: string, message: string, details?: Problem[]) =>
  new ApiError(400, code, message, details);

/**
 * A 400 for a report the API made (from a delta, from an older system's body) that breaks
 * the contract: each problem named under `report/`, the first in the message.
 */
export function invalidReport(what: string, problems: readonly Problem[]): ApiError {
  const details = problems.map((p) => ({ path: `report${p.path}`, message: p.message }));
  return badRequest(
    "invalid_request",
    `${what} is not valid: ${details[0]!.path} ${details[0]!.message}`,
    details,
  );
}

/** A 400 for one field: the message names it. */
export const invalidField = (path: string, problem: string) =>
  badRequest("invalid_request", `${path} ${problem}`, [{ path, message: problem }]);

export const notFound = (what: string) => new ApiError(404, "not_found", `${what} not found`);

export const unauthorized = (message = "missing or invalid token", code = "unauthorized") =>
  new ApiError(401, code, message);

export const forbidden = (code: string, message: string) => new ApiError(403, code, message);

export const conflict = (code: string, message: string) => new ApiError(409, code, message);

/** The database cannot be reached: the client should come back later, not re-enroll. */
export const unavailable = (message: string, cause?: unknown, retryAfterSeconds = 5) =>
  new ApiError(503, "unavailable", message, undefined, {
    cause,
    headers: { "retry-after": String(retryAfterSeconds) },
  });

/** How each refusal of the store is answered. */
const STORE_STATUS: Record<StoreErrorCode, number> = {
  report_id_taken: 409,
  too_many_reports: 409,
  latest_changed: 409,
  search_too_broad: 400,
};

/** The one place a store error becomes an HTTP answer. */
export function fromStoreError(error: unknown): ApiError | null {
  if (!(error instanceof StoreError)) return null;
  return new ApiError(STORE_STATUS[error.code], error.code, error.message, undefined, {
    cause: error,
  });
}
