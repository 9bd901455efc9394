import type { EnrollResponse, Report, ReportAccepted } from "@compliance/contract";
import { oneLine, RejectedError, ServerError, UnreachableError } from "./errors.ts";

export const DEFAULT_TIMEOUT_MS = 30_000;

export interface TransportOptions {
  /** The API's base URL; a path prefix (behind a reverse proxy) is kept. */
  serverUrl: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Whole request, answer included (default 30 s). */
  timeoutMs?: number;
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
}

function describeFailure(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const inner = (cause ?? error) as { code?: unknown; message?: unknown };
  if (typeof inner.code === "string") return inner.code;
  return typeof inner.message === "string" ? inner.message : String(inner);
}

async function postJson(
  options: TransportOptions,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const url = apiUrl(options.serverUrl, path);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const doFetch = options.fetch ?? fetch;
  try {
    const response = await doFetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      // Not JSON (a proxy's error page): the text itself goes into the error message.
    }
    return { status: response.status, body: parsed };
  } catch (error) {
    if ((error as { name?: unknown }).name === "TimeoutError") {
      throw new UnreachableError(`no answer from ${url} within ${timeoutMs} ms`, { cause: error });
    }
    throw new UnreachableError(`cannot reach ${url}: ${describeFailure(error)}`, { cause: error });
  }
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
  if (answer.status >= 500) {
    return new ServerError(
      oneLine(`API server error on ${what}: ${status}: ${message}`),
      answer.status,
    );
  }
  return new RejectedError(oneLine(`${what} rejected: ${status}: ${message}`), answer.status, code);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

export interface EnrollOptions extends TransportOptions {
  enrollSecret: string;
  hostIdentifier: string;
  hostname: string;
}

/** `POST /api/v1/enroll`: trades the enroll secret for this host's node key. */
export async function enroll(options: EnrollOptions): Promise<EnrollResponse> {
  const answer = await postJson(options, "/api/v1/enroll", {
    enroll_secret: options.enrollSecret,
    host_identifier: options.hostIdentifier,
    hostname: options.hostname,
  });
  if (answer.status !== 200 && answer.status !== 201) throw failure("enrollment", answer);
  const body = answer.body;
  if (!isObject(body) || typeof body.node_key !== "string" || body.node_key === "") {
    throw new ServerError(`enrollment answered ${answer.status} without a node key`, answer.status);
  }
  return { node_key: body.node_key, host_id: Number(body.host_id) };
}

export interface SendOptions extends TransportOptions {
  nodeKey: string;
  report: Report;
}

/**
 * `POST /api/v1/reports`. 201 stores it; 200 says a report with this id was stored
 * before (a resend), which is success too.
 */
export async function sendReport(options: SendOptions): Promise<ReportAccepted> {
  const answer = await postJson(options, "/api/v1/reports", options.report, {
    authorization: `Bearer ${options.nodeKey}`,
  });
  if (answer.status !== 200 && answer.status !== 201) throw failure("report", answer);
  const body = answer.body;
  if (!isObject(body) || body.status !== "stored" || typeof body.report_id !== "string") {
    throw new ServerError(
      `the report was answered ${answer.status} without the stored acknowledgement`,
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
