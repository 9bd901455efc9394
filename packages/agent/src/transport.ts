import { gzipSync } from "node:zlib";
import type { EnrollResponse, ReportAccepted } from "@compliance/contract";
import { parseRetryAfter } from "./backoff.ts";
import type { Clock } from "./clock.ts";
import { oneLine, RejectedError, ServerError, TlsError, UnreachableError } from "./errors.ts";
import type { HttpClient, HttpResponse } from "./http.ts";

export const DEFAULT_TIMEOUT_MS = 30_000;

export interface TransportOptions {
  /** The API's base URL; a path prefix (behind a reverse proxy) is kept. */
  serverUrl: string;
  http: HttpClient;
  /** Whole request, answer included (default 30 s). */
  timeoutMs?: number;
  /** Aborts the request in flight (the agent is stopping). */
  signal?: AbortSignal;
  /** Reads a Retry-After given as a date against the agent's wall clock. */
  clock: Clock;
}

/** `path` under the base URL, keeping any path prefix of the base. */
export function apiUrl(serverUrl: string, path: string): string {
  const base = new URL(serverUrl);
  base.pathname = `${base.pathname.replace(/\/+$/, "")}${path}`;
  base.search = "";
  base.hash = "";
  return base.toString();
}

interface Answer {
  status: number;
  body: unknown;
  retryAfterMs: number | undefined;
}

/** Certificate problems: the connection was refused by us, not by the network. */
const TLS_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_CERT_PIN_MISMATCH",
]);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** The typed error for a request that got no HTTP answer. */
function noAnswer(url: string, error: unknown, timeoutMs: number): UnreachableError {
  const name = (error as { name?: unknown }).name;
  if (name === "TimeoutError") {
    return new UnreachableError(`no answer from ${url} within ${timeoutMs} ms`, { cause: error });
  }
  if (name === "AbortError") {
    return new UnreachableError(`the request to ${url} was aborted (stopping)`, { cause: error });
  }
  const code = codeOf(error);
  const message = (error as { message?: unknown }).message;
  if (code !== undefined && (TLS_CODES.has(code) || code.startsWith("ERR_SSL_"))) {
    const hint =
      code === "ERR_CERT_PIN_MISMATCH"
        ? "check api.pin (--pin)"
        : code === "ERR_TLS_CERT_ALTNAME_INVALID"
          ? "the certificate is for another name than the API URL's host"
          : "set api.ca_file (--ca-file) to the CA that signed the API's certificate";
    return new TlsError(`TLS: cannot trust ${url}: ${code}: ${String(message)}; ${hint}`, {
      cause: error,
    });
  }
  return new UnreachableError(`cannot reach ${url}: ${code ?? String(message)}`, {
    cause: error,
  });
}

async function postJson(
  options: TransportOptions,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const url = apiUrl(options.serverUrl, path);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let response: HttpResponse;
  try {
    response = await options.http({
      url,
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body,
      timeoutMs,
      signal: options.signal,
    });
  } catch (error) {
    throw noAnswer(url, error, timeoutMs);
  }
  let parsed: unknown = response.body;
  try {
    parsed = response.body === "" ? undefined : JSON.parse(response.body);
  } catch {
    // Not JSON (a proxy's error page): the text itself goes into the error message.
  }
  return {
    status: response.status,
    body: parsed,
    retryAfterMs: parseRetryAfter(response.headers["retry-after"], options.clock.now()),
  };
}

/** The API's `{"error":{"code","message"}}`, or whatever text it sent instead. */
function apiErrorOf(body: unknown): { code: string | undefined; message: string } {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error && typeof error.message === "string") {
    return {
      code: typeof error.code === "string" ? error.code : undefined,
      message: error.message,
    };
  }
  const text = typeof body === "string" ? body : body === undefined ? "" : JSON.stringify(body);
  return { code: undefined, message: oneLine(text, 200) || "no error message" };
}

/** Turns a non-2xx answer into the matching typed error; `what` is "enrollment" or "report". */
function failure(what: string, answer: Answer): Error {
  const { code, message } = apiErrorOf(answer.body);
  const status = `${answer.status}${code ? ` ${code}` : ""}`;
  const retryAfterMs = answer.retryAfterMs;
  if (answer.status >= 500) {
    return new ServerError(
      oneLine(`API server error on ${what}: ${status}: ${message}`),
      answer.status,
      { retryAfterMs },
    );
  }
  return new RejectedError(
    oneLine(`${what} rejected: ${status}: ${message}`),
    answer.status,
    code,
    { retryAfterMs },
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

export interface EnrollOptions extends TransportOptions {
  enrollSecret: string;
  hostIdentifier: string;
  hostname: string;
  /**
   * The key this host had, when enrolling again after it was refused: an API that still
   * holds it for this host gives a new one, where the secret alone would be refused (409).
   */
  currentKey?: string | undefined;
}

/** `POST /api/v1/enroll`: trades the enroll secret for this host's node key. */
export async function enroll(options: EnrollOptions): Promise<EnrollResponse> {
  const answer = await postJson(
    options,
    "/api/v1/enroll",
    JSON.stringify({
      enroll_secret: options.enrollSecret,
      host_identifier: options.hostIdentifier,
      hostname: options.hostname,
    }),
    options.currentKey ? { authorization: `Bearer ${options.currentKey}` } : {},
  );
  if (answer.status !== 200 && answer.status !== 201) throw failure("enrollment", answer);
  const body = answer.body;
  if (!isObject(body) || typeof body.node_key !== "string" || body.node_key === "") {
    throw new ServerError(`enrollment answered ${answer.status} without a node key`, answer.status);
  }
  return { node_key: body.node_key, host_id: Number(body.host_id) };
}

export interface SendOptions extends TransportOptions {
  nodeKey: string;
  /** The report as JSON text: what the spool holds, sent as is. */
  body: string;
  /** The report's id: an acknowledgement for another id is not one for this report. */
  reportId?: string;
}

/**
 * `POST /api/v1/reports`. 201 stores it, and 201 again for a resend of a stored report
 * id (the API's idempotency), which is what makes a resend after a lost answer safe.
 */
export function sendReport(options: SendOptions): Promise<ReportAccepted> {
  return postReport(options, "/api/v1/reports");
}

/**
 * `POST /api/v1/reports/delta`: `body` is a delta report (see @compliance/contract's
 * delta.ts). Answered as the whole report would be; a 409 means the API wants it whole.
 */
export function sendDelta(options: SendOptions): Promise<ReportAccepted> {
  return postReport(options, "/api/v1/reports/delta");
}

async function postReport(options: SendOptions, path: string): Promise<ReportAccepted> {
  const authorization = `Bearer ${options.nodeKey}`;
  // Gzip takes a report to a fraction of its size on the wire. An API that does not take
  // compressed bodies (415) gets the same report again as it is.
  let answer = await postJson(options, path, gzipSync(options.body), {
    authorization,
    "content-encoding": "gzip",
  });
  if (answer.status === 415) {
    answer = await postJson(options, path, options.body, { authorization });
  }
  if (answer.status !== 200 && answer.status !== 201) throw failure("report", answer);
  const body = answer.body;
  if (!isObject(body) || body.status !== "stored" || typeof body.report_id !== "string") {
    throw new ServerError(
      `the report was answered ${answer.status} without the stored acknowledgement`,
      answer.status,
    );
  }
  if (options.reportId !== undefined && body.report_id !== options.reportId) {
    throw new ServerError(
      `the API acknowledged report ${body.report_id} for report ${options.reportId}`,
      answer.status,
    );
  }
  return {
    status: "stored",
    report_id: body.report_id,
    host_id: Number(body.host_id),
    received_at: String(body.received_at),
  };
}
