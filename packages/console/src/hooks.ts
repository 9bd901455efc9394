import { createContext } from "preact";
import { useContext, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { type ApiClient, isAbort, RequestError } from "./api.ts";

export const ClientContext = createContext<ApiClient | null>(null);

export function useClient(): ApiClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error("useClient needs a signed-in ClientContext");
  return client;
}

export type Load<T> =
  | { status: "loading"; data: T | undefined; error?: undefined }
  | { status: "ok"; data: T; error?: undefined }
  | { status: "error"; data: T | undefined; error: RequestError };

/** A load and the way to run it again. */
export type Loaded<T> = Load<T> & { reload: () => void };

/**
 * Runs a request whenever `deps` change and cancels the one before, so a fast typist or a
 * quick pager never sees an older answer land after a newer one. The previous data stays
 * while the next loads: lists dim instead of flashing empty.
 */
export function useLoad<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
): Loaded<T> {
  const [state, setState] = useState<Load<T>>({ status: "loading", data: undefined });
  const [round, setRound] = useState(0);
  const latest = useRef(load);
  latest.current = load;

  // A layout effect starts the request right after the render, not a frame later: on a
  // page whose requests depend on each other, the frames would add up.
  useLayoutEffect(() => {
    const controller = new AbortController();
    setState((s) => (s.status === "loading" ? s : { status: "loading", data: s.data }));
    latest.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ status: "ok", data });
      },
      (e: unknown) => {
        if (controller.signal.aborted || isAbort(e)) return;
        const error =
          e instanceof RequestError ? e : new RequestError("server", (e as Error).message);
        setState((s) => ({ status: "error", data: s.data, error }));
      },
    );
    return () => controller.abort();
  }, [...deps, round]);

  return { ...state, reload: () => setRound((r) => r + 1) };
}

/** The value, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/**
 * The element's width in CSS pixels, following resizes, so charts draw at their real size.
 * Null until measured, which happens before the first paint: a chart can skip drawing at a
 * guessed width only to draw again.
 */
export function useWidth<E extends HTMLElement>(fallback: number) {
  const ref = useRef<E>(null);
  const [width, setWidth] = useState<number | null>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth || fallback);
    const observer = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w) setWidth(Math.round(w));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [fallback]);
  return [ref, width] as const;
}

/**
 * Calls `reload` every `ms` while the tab is visible; a tab coming back into view reloads at
 * once. The loads keep their data while the next arrives (see useLoad), so a refresh moves
 * neither the scroll position nor the route's filters and page.
 */
export function useAutoRefresh(reload: () => void, ms: number) {
  const latest = useRef(reload);
  latest.current = reload;
  useEffect(() => {
    let timer: ReturnType<typeof setInterval> | undefined;
    const stop = () => {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    };
    const start = () => {
      stop();
      timer = setInterval(() => latest.current(), ms);
    };
    const onVisibility = () => {
      if (document.hidden) return stop();
      latest.current();
      start();
    };
    if (!document.hidden) start();
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      stop();
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, [ms]);
}

/** When the load last answered (ms since the epoch), null before its first answer. */
export function useAsOf(load: Load<unknown>): number | null {
  const [at, setAt] = useState<number | null>(null);
  useEffect(() => {
    if (load.status === "ok") setAt(Date.now());
  }, [load.status, load.data]);
  return at;
}
