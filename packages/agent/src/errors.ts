/**
 * Every failure the agent expects carries a stable code (for logs and the library's
 * callers) and the exit code the CLI ends with, so scripts and service managers can tell
 * "fix the configuration" from "the API is down" without parsing messages.
 */

export const EXIT_CODES = {
  ok: 0,
  /** A failure nobody planned for: a bug. */
  internal: 1,
  /** Bad flags, environment or state directory: retrying will not help. */
  config: 2,
  /** Connection refused, DNS failure, timeout: retry later. */
  unreachable: 3,
  /** The API answered 4xx: the request or the enrollment is wrong. */
  rejected: 4,
  /** The API answered 5xx. */
  serverError: 5,
  /** This host's report could not be made (e.g. no host identifier). */
  collect: 6,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

export abstract class AgentError extends Error {
  abstract readonly code: string;
  abstract readonly exitCode: ExitCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Command-line arguments that do not make sense. */
export class UsageError extends AgentError {
  readonly code = "usage";
  readonly exitCode = EXIT_CODES.config;
}

/** A configuration value (flag or environment variable) that is missing or wrong. */
export class ConfigError extends AgentError {
  readonly code = "bad_config";
  readonly exitCode = EXIT_CODES.config;
}

/** The state directory cannot be created, read or written. */
export class StateError extends AgentError {
  readonly code = "state_dir";
  readonly exitCode = EXIT_CODES.config;
}

/** No HTTP answer at all: refused, unknown host, reset, or no answer within the timeout. */
export class UnreachableError extends AgentError {
  readonly code: string = "api_unreachable";
  readonly exitCode = EXIT_CODES.unreachable;
}

/**
 * The TLS connection was refused by the agent: the API's certificate is not trusted by the
 * system or the configured CA, names another host, or does not match the pin. Reported
 * like an unreachable API (exit 3): no request was sent, and the report stays spooled
 * until the certificate or the configuration is fixed.
 */
export class TlsError extends UnreachableError {
  override readonly code = "tls_untrusted";
}

/** The API answered with a 4xx status. */
export class RejectedError extends AgentError {
  readonly code = "api_rejected";
  readonly exitCode = EXIT_CODES.rejected;

  constructor(
    message: string,
    readonly status: number,
    /** The API's own error code, when it sent one. */
    readonly apiCode: string | undefined,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }

  /** The API's Retry-After (429), in milliseconds. */
  readonly retryAfterMs: number | undefined;
}

/** The API answered with a 5xx status, or with a success that is not what the contract says. */
export class ServerError extends AgentError {
  readonly code = "api_server_error";
  readonly exitCode = EXIT_CODES.serverError;

  constructor(
    message: string,
    readonly status: number,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }

  /** The API's Retry-After (503), in milliseconds. */
  readonly retryAfterMs: number | undefined;
}

/** A collector the report cannot do without failed. */
export class CollectError extends AgentError {
  readonly code = "collect_failed";
  readonly exitCode = EXIT_CODES.collect;
}

/** 4xx answers that ask to send the same request again later: timeout, too early, too many. */
const RETRY_LATER = new Set([408, 425, 429]);

/**
 * Failures worth retrying with the same report: no answer, a server error, or the API
 * asking to try again later (408, 425, 429). Anything else will fail the same way again.
 */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof UnreachableError ||
    error instanceof ServerError ||
    (error instanceof RejectedError && RETRY_LATER.has(error.status))
  );
}

/** How long the API asked to wait before the next try, when it said so. */
export function retryAfterOf(error: unknown): number | undefined {
  return error instanceof ServerError || error instanceof RejectedError
    ? error.retryAfterMs
    : undefined;
}

/** The exit code the CLI ends with for any thrown value. */
export function exitCodeOf(error: unknown): ExitCode {
  return error instanceof AgentError ? error.exitCode : EXIT_CODES.internal;
}

/** One line, whatever the error, so logs keep one event per line. */
export function oneLine(text: string, max = 1_000): string {
  const flat = text.replace(/\s*[\r\n]+\s*/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function messageOf(error: unknown): string {
  return oneLine(error instanceof Error ? error.message : String(error));
}
