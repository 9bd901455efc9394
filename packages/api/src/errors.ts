import type { Problem } from "@compliance/contract";

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
