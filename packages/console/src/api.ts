import type { AnswerOf, ApiError, BodyOf, ParamsOf, QueryOf } from "@compliance/contract";
// The route table only: the schemas (and the library behind them) stay out of the bundle.
import { pathOf, ROUTES, type RouteName } from "@compliance/contract/routes";

/** The routes a client can read: the API's GETs. */
export type ReadRoute = {
  [N in RouteName]: (typeof ROUTES)[N]["method"] extends "GET" ? N : never;
}[RouteName];

/**
 * What a call to route N takes: its path parameters when its path has some, and its query,
 * which may be left out when nothing in it is required. `Extract` leaves the contract's
 * types as they are while telling the compiler they fit in a URL; a part that did not
 * would become `never`, and its calls would stop compiling.
 */
export type RequestOf<N extends ReadRoute> = (ParamsOf<N> extends undefined
  ? { params?: undefined }
  : { params: Extract<ParamsOf<N>, PathParams> }) &
  (QueryOf<N> extends undefined
    ? { query?: undefined }
    : object extends QueryOf<N>
      ? { query?: Extract<QueryOf<N>, Query> }
      : { query: Extract<QueryOf<N>, Query> });

/** The routes that change something: the API's POSTs, PUTs and DELETEs. */
export type WriteRoute = {
  [N in RouteName]: (typeof ROUTES)[N]["method"] extends "GET" ? never : N;
}[RouteName];

/** What a change to route N takes: its path parameters and its body, when it has them. */
export type ChangeOf<N extends WriteRoute> = (ParamsOf<N> extends undefined
  ? { params?: undefined }
  : { params: Extract<ParamsOf<N>, PathParams> }) &
  (BodyOf<N> extends undefined ? { body?: undefined } : { body: BodyOf<N> });

type PathParams = Record<string, string | number>;
type Query = Record<string, string | number | boolean | undefined | null>;

// The request may be left out when the route needs nothing.
type RequestArg<N extends ReadRoute> =
  object extends RequestOf<N> ? [request?: RequestOf<N>] : [request: RequestOf<N>];
type CallArgs<N extends ReadRoute> =
  object extends RequestOf<N>
    ? [request?: RequestOf<N>, signal?: AbortSignal]
    : [request: RequestOf<N>, signal?: AbortSignal];

/**
 * Why a request failed, sorted by what the person should do about it: sign in again
 * (unauthorized), check the server (unreachable, server), or change what they asked for.
 */
export type FailureKind =
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "bad_request"
  | "unreachable"
  | "server";

export class RequestError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status = 0,
    readonly code = "",
  ) {
    super(message);
    this.name = "RequestError";
  }
}

export const isAbort = (e: unknown) => (e as { name?: unknown })?.name === "AbortError";

function kindOf(status: number): FailureKind {
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status >= 500) return "server";
  return "bad_request";
}

/** Leaves out empty values so URLs stay short and the API applies its defaults. */
function queryString(query: Query): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === "") continue;
    search.set(k, String(v));
  }
  const s = search.toString();
  return s ? `?${s}` : "";
}

/**
 * The path and query a call makes, so that a request started early (see
 * `ApiClient.prefetch`) and the one a component makes later are the same string.
 */
export function requestPath<N extends ReadRoute>(name: N, ...[request]: RequestArg<N>): string {
  return pathAndQuery(name, request);
}

function pathAndQuery(
  name: ReadRoute,
  request: { params?: PathParams | undefined; query?: Query | undefined } = {},
): string {
  return pathOf(ROUTES[name], request.params) + queryString(request.query ?? {});
}

/** How long a prefetched answer waits for the component that asked for it. */
const PREFETCH_KEEP_MS = 15_000;

export interface ClientOptions {
  token: string;
  /** Origin (and path prefix) of the API; the console's own origin by default. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Called once per refused token, before the request's promise rejects. */
  onUnauthorized?: () => void;
}

/** The one way the console talks to the API: the contract's routes, Bearer token, typed answers. */
export class ApiClient {
  private readonly base: string;
  private readonly doFetch: typeof fetch;
  /** Prefetched answers by path, their bodies already read. */
  private readonly early = new Map<string, Promise<string>>();

  constructor(private readonly options: ClientOptions) {
    this.base = (options.baseUrl ?? "").replace(/\/+$/, "");
    // Bound, because a bare `fetch` called as a method loses its window in some browsers.
    this.doFetch = options.fetch ?? window.fetch.bind(window);
  }

  private async request(
    path: string,
    signal?: AbortSignal,
    init: { method?: string; body?: string; accept?: string } = {},
  ): Promise<Response> {
    let response: Response;
    try {
      response = await this.doFetch(`${this.base}${path}`, {
        method: init.method ?? "GET",
        headers: {
          authorization: `Bearer ${this.options.token}`,
          accept: init.accept ?? "application/json",
          ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(init.body === undefined ? {} : { body: init.body }),
        ...(signal ? { signal } : {}),
      });
    } catch (e) {
      if (isAbort(e)) throw e;
      throw new RequestError(
        "unreachable",
        "The Compliance API does not answer. It may be stopped or restarting, or the network is down.",
      );
    }
    if (response.ok) return response;
    let body: Partial<ApiError> | undefined;
    try {
      body = await response.json();
    } catch {
      // A proxy's HTML error page: the status alone has to do.
    }
    const kind = kindOf(response.status);
    if (kind === "unauthorized") this.options.onUnauthorized?.();
    throw new RequestError(
      kind,
      body?.error?.message ?? `The API answered ${response.status} ${response.statusText}`.trim(),
      response.status,
      body?.error?.code ?? "",
    );
  }

  /**
   * Reads route N: the answer its operation in the contract describes. The JSON is taken to
   * be of that type without checking it (the schemas and their library stay out of the
   * bundle): the API writes every answer through those same schemas.
   */
  async get<N extends ReadRoute>(name: N, ...[request, signal]: CallArgs<N>): Promise<AnswerOf<N>> {
    const path = pathAndQuery(name, request);
    const early = this.early.get(path);
    let text: string;
    if (early) {
      this.early.delete(path);
      text = await untilAborted(early, signal);
    } else {
      text = await (await this.request(path, signal)).text();
    }
    return JSON.parse(text);
  }

  /**
   * Starts GETs that a page will make once another answer arrives, so they run alongside
   * it instead of after it. The component's own request for the same path (`requestPath`)
   * then takes the answer already on its way; an answer nobody takes is dropped after a
   * while.
   */
  prefetch(...paths: string[]) {
    for (const path of paths) {
      if (this.early.has(path)) continue;
      // Read now, so a long body is not held back until a component takes it.
      const answer = this.request(path).then((r) => r.text());
      // The component that takes it sees the failure; until then it is not unhandled.
      answer.catch(() => {});
      this.early.set(path, answer);
      setTimeout(() => {
        if (this.early.get(path) === answer) this.early.delete(path);
      }, PREFETCH_KEEP_MS);
    }
  }

  /**
   * Changes something through route N (admin actions): its answer, or null for the API's
   * "204 No Content".
   */
  async send<N extends WriteRoute>(name: N, change: ChangeOf<N>): Promise<AnswerOf<N>> {
    const route = ROUTES[name];
    const response = await this.request(pathOf(route, change.params), undefined, {
      method: route.method,
      ...(change.body === undefined ? {} : { body: JSON.stringify(change.body) }),
    });
    const text = response.status === 204 ? "" : await response.text();
    return (text ? JSON.parse(text) : null) as AnswerOf<N>;
  }

  /** A CSV answer (`format=csv`) as a file to save: a plain link cannot carry the token. */
  async csv(path: string): Promise<Blob> {
    const response = await this.request(path, undefined, { accept: "text/csv" });
    return new Blob([await response.text()], { type: "text/csv" });
  }

  /** The report exactly as the agent sent it, as a file to save. */
  async rawReport(reportId: string): Promise<Blob> {
    const response = await this.request(requestPath("getReport", { params: { id: reportId } }));
    return new Blob([await response.text()], { type: "application/json" });
  }
}

/** A shared answer, given up (not cancelled: others may still want it) when `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new DOMException("aborted", "AbortError"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DOMException("aborted", "AbortError"));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
