import type {
  ApiError,
  Diff,
  Execution,
  FleetSummary,
  Host,
  HostListQuery,
  HostSortKey,
  PageOf,
  ProcessPage,
  SessionPage,
  WhoAmI,
} from "@compliance/contract";

export type { ProcessPage, SessionPage };

export type HostSort = HostSortKey;

/** The host list's query: the contract's, with the page always given. */
export type HostQuery = Omit<HostListQuery, "limit" | "offset"> & { limit: number; offset: number };

/** Which execution a snapshot read is about; none of them means the latest. */
export type ExecutionPick = { report: string } | { at: string } | { latest: true };

export interface SnapshotQuery {
  q?: string;
  sort?: string;
  limit: number;
  offset: number;
}

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

type QueryValue = string | number | undefined | null;

/** Leaves out empty values so URLs stay short and the API applies its defaults. */
export function queryString(params: Record<string, QueryValue>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    search.set(k, String(v));
  }
  const s = search.toString();
  return s ? `?${s}` : "";
}

const pickParams = (pick: ExecutionPick): Record<string, QueryValue> =>
  "report" in pick ? { report: pick.report } : "at" in pick ? { at: pick.at } : {};

/**
 * The paths of the read API, one builder each, so that a request started early (see
 * `ApiClient.prefetch`) and the one a component makes later are the same string.
 */
export const paths = {
  summary: () => "/summary",
  me: () => "/me",
  hosts: (query: HostQuery) => `/hosts${queryString({ ...query })}`,
  host: (id: number) => `/hosts/${id}`,
  executions: (
    hostId: number,
    range: { from?: string | undefined; to?: string | undefined; sort?: string; limit: number },
  ) => `/hosts/${hostId}/reports${queryString({ ...range })}`,
  processes: (hostId: number, pick: ExecutionPick, query: SnapshotQuery) =>
    `/hosts/${hostId}/processes${queryString({ ...pickParams(pick), ...query })}`,
  sessions: (hostId: number, pick: ExecutionPick, query: SnapshotQuery) =>
    `/hosts/${hostId}/sessions${queryString({ ...pickParams(pick), ...query })}`,
  diff: (hostId: number, from: string, to: string) =>
    `/hosts/${hostId}/diff${queryString({ from, to })}`,
  report: (reportId: string) => `/reports/${encodeURIComponent(reportId)}`,
};

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

/** The one way the console talks to the API: v1 routes, Bearer token, typed answers. */
export class ApiClient {
  private readonly base: string;
  private readonly doFetch: typeof fetch;
  private readonly early = new Map<string, Promise<unknown>>();

  constructor(private readonly options: ClientOptions) {
    this.base = (options.baseUrl ?? "").replace(/\/+$/, "");
    // Bound, because a bare `fetch` called as a method loses its window in some browsers.
    this.doFetch = options.fetch ?? window.fetch.bind(window);
  }

  private async request(path: string, signal?: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await this.doFetch(`${this.base}/api/v1${path}`, {
        headers: { authorization: `Bearer ${this.options.token}`, accept: "application/json" },
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
      body = (await response.json()) as Partial<ApiError>;
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

  private async json<T>(path: string, signal?: AbortSignal): Promise<T> {
    const early = this.early.get(path);
    if (early) {
      this.early.delete(path);
      return (await untilAborted(early, signal)) as T;
    }
    return (await (await this.request(path, signal)).json()) as T;
  }

  /**
   * Starts GETs that a page will make once another answer arrives, so they run alongside
   * it instead of after it. The component's own request for the same path then takes the
   * answer already on its way; an answer nobody takes is dropped after a while.
   */
  prefetch(...pathsToGet: string[]) {
    for (const path of pathsToGet) {
      if (this.early.has(path)) continue;
      const answer = this.request(path).then((r) => r.json() as Promise<unknown>);
      // The component that takes it sees the failure; until then it is not unhandled.
      answer.catch(() => {});
      this.early.set(path, answer);
      setTimeout(() => {
        if (this.early.get(path) === answer) this.early.delete(path);
      }, PREFETCH_KEEP_MS);
    }
  }

  /** Which role the token has; a 401 means it is not a valid token. */
  me(signal?: AbortSignal): Promise<WhoAmI> {
    return this.json(paths.me(), signal);
  }

  summary(signal?: AbortSignal): Promise<FleetSummary> {
    return this.json(paths.summary(), signal);
  }

  hosts(query: HostQuery, signal?: AbortSignal): Promise<PageOf<Host>> {
    return this.json(paths.hosts(query), signal);
  }

  host(id: number, signal?: AbortSignal): Promise<Host> {
    return this.json(paths.host(id), signal);
  }

  executions(
    hostId: number,
    range: { from?: string | undefined; to?: string | undefined; sort?: string; limit: number },
    signal?: AbortSignal,
  ): Promise<PageOf<Execution>> {
    return this.json(paths.executions(hostId, range), signal);
  }

  processes(
    hostId: number,
    pick: ExecutionPick,
    query: SnapshotQuery,
    signal?: AbortSignal,
  ): Promise<ProcessPage> {
    return this.json(paths.processes(hostId, pick, query), signal);
  }

  sessions(
    hostId: number,
    pick: ExecutionPick,
    query: SnapshotQuery,
    signal?: AbortSignal,
  ): Promise<SessionPage> {
    return this.json(paths.sessions(hostId, pick, query), signal);
  }

  diff(hostId: number, from: string, to: string, signal?: AbortSignal): Promise<Diff> {
    return this.json(paths.diff(hostId, from, to), signal);
  }

  /** The report exactly as the agent sent it, as a file to save. */
  async rawReport(reportId: string): Promise<Blob> {
    const response = await this.request(paths.report(reportId));
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
