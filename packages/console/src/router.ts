import { INVENTORY_TABLES, type InventoryTable } from "@compliance/contract";
import { useEffect, useState } from "preact/hooks";

/** The admin pages: `#/admin/tokens`, `#/admin/hosts`, `#/admin/audit`. */
export const ADMIN_SECTIONS = ["tokens", "hosts", "audit"] as const;
export type AdminSection = (typeof ADMIN_SECTIONS)[number];

/**
 * Hash routes (`#/hosts/12?sel=…`): the API serves the console's files without a
 * catch-all, so every page must live at `/`. Everything a page shows (search, sort, page,
 * picked executions) is in its route, so links can be shared and Back works.
 */
export type Route =
  | { page: "overview"; params: URLSearchParams }
  | { page: "hosts"; params: URLSearchParams }
  | { page: "host"; id: number; params: URLSearchParams }
  | { page: "policies"; params: URLSearchParams }
  | { page: "policy"; id: string; params: URLSearchParams }
  | { page: "activity"; params: URLSearchParams }
  | { page: "search"; params: URLSearchParams }
  | { page: "changes"; params: URLSearchParams }
  | { page: "admin"; section: AdminSection; params: URLSearchParams }
  | { page: "inventory"; table: InventoryTable; params: URLSearchParams }
  | { page: "missing"; path: string; params: URLSearchParams };

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, "") || "/";
  const [pathPart = "/", search = ""] = raw.split("?", 2);
  const path = `/${pathPart.replace(/^\/+|\/+$/g, "")}`;
  const params = new URLSearchParams(search);
  if (path === "/" || path === "/signin") return { page: "overview", params };
  if (path === "/hosts") return { page: "hosts", params };
  const host = /^\/hosts\/(\d{1,15})$/.exec(path);
  if (host) return { page: "host", id: Number(host[1]), params };
  if (path === "/policies") return { page: "policies", params };
  if (path === "/activity") return { page: "activity", params };
  if (path === "/search") return { page: "search", params };
  if (path === "/changes") return { page: "changes", params };
  if (path === "/admin") return { page: "admin", section: "tokens", params };
  const admin = ADMIN_SECTIONS.find((s) => path === `/admin/${s}`);
  if (admin) return { page: "admin", section: admin, params };
  if (path === "/inventory") return { page: "inventory", table: "platforms", params };
  const table = INVENTORY_TABLES.find((t) => path === `/inventory/${t}`);
  if (table) return { page: "inventory", table, params };
  // A policy id is a slug: lower-case letters, digits, dots, dashes and underscores.
  const policy = /^\/policies\/([a-z0-9._-]{1,100})$/.exec(path);
  if (policy) return { page: "policy", id: policy[1]!, params };
  return { page: "missing", path, params };
}

/** `#/path?a=b`, leaving out empty parameters. */
export function hrefOf(path: string, params: Record<string, string | number | undefined> = {}) {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== "") search.set(k, String(v));
  }
  const s = search.toString();
  return `#${path}${s ? `?${s}` : ""}`;
}

/**
 * Goes to a route. `replace` is for changes a person would not want Back to step through,
 * such as each keystroke of a search.
 */
export function navigate(href: string, replace = false) {
  if (href === location.hash) return;
  if (replace) {
    history.replaceState(history.state, "", href);
    // replaceState fires no hashchange: tell the listeners ourselves.
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    location.hash = href;
  }
}

export function pathOf(route: Route): string {
  if (route.page === "overview") return "/";
  if (route.page === "hosts") return "/hosts";
  if (route.page === "host") return `/hosts/${route.id}`;
  if (route.page === "policies") return "/policies";
  if (route.page === "activity" || route.page === "search" || route.page === "changes") {
    return `/${route.page}`;
  }
  if (route.page === "policy") return `/policies/${route.id}`;
  if (route.page === "admin") return `/admin/${route.section}`;
  if (route.page === "inventory") return `/inventory/${route.table}`;
  return route.path;
}

/** Changes some parameters of the current route and keeps the rest. */
export function withParams(
  route: Route,
  changes: Record<string, string | number | undefined>,
): string {
  const params = new URLSearchParams(route.params);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === "") params.delete(k);
    else params.set(k, String(v));
  }
  const s = params.toString();
  const path = pathOf(route);
  return `#${path}${s ? `?${s}` : ""}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(location.hash));
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}
