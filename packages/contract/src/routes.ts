/**
 * Every route of the API v1: method, path and who may call it. Kept apart from the schemas
 * (operations.ts) so the console takes its paths from here without loading them.
 *
 * auth: `none` (anyone; enroll proves itself with the enroll secret in its body), `node` (a
 * host's node key, writing its own host), `reader` (a reader or admin token), `admin`.
 */
export type Auth = "none" | "node" | "reader" | "admin";

export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** With `:name` for path parameters. */
  path: string;
  auth: Auth;
}

export const ROUTES = {
  health: { method: "GET", path: "/health", auth: "none" },
  enroll: { method: "POST", path: "/api/v1/enroll", auth: "none" },
  sendReport: { method: "POST", path: "/api/v1/reports", auth: "node" },
  sendDelta: { method: "POST", path: "/api/v1/reports/delta", auth: "node" },
  listHosts: { method: "GET", path: "/api/v1/hosts", auth: "reader" },
  getHost: { method: "GET", path: "/api/v1/hosts/:id", auth: "reader" },
  deleteHost: { method: "DELETE", path: "/api/v1/hosts/:id", auth: "admin" },
  revokeHostKey: { method: "POST", path: "/api/v1/hosts/:id/revoke-key", auth: "admin" },
  listExecutions: { method: "GET", path: "/api/v1/hosts/:id/reports", auth: "reader" },
  hostProcesses: { method: "GET", path: "/api/v1/hosts/:id/processes", auth: "reader" },
  hostSessions: { method: "GET", path: "/api/v1/hosts/:id/sessions", auth: "reader" },
  hostPackages: { method: "GET", path: "/api/v1/hosts/:id/packages", auth: "reader" },
  hostListening: { method: "GET", path: "/api/v1/hosts/:id/listening", auth: "reader" },
  hostAccounts: { method: "GET", path: "/api/v1/hosts/:id/accounts", auth: "reader" },
  hostServices: { method: "GET", path: "/api/v1/hosts/:id/services", auth: "reader" },
  hostSettings: { method: "GET", path: "/api/v1/hosts/:id/settings", auth: "reader" },
  hostDiff: { method: "GET", path: "/api/v1/hosts/:id/diff", auth: "reader" },
  hostActivity: { method: "GET", path: "/api/v1/hosts/:id/activity", auth: "reader" },
  getReport: { method: "GET", path: "/api/v1/reports/:id", auth: "reader" },
  fleetSummary: { method: "GET", path: "/api/v1/summary", auth: "reader" },
  searchProcesses: { method: "GET", path: "/api/v1/search/processes", auth: "reader" },
  searchSessions: { method: "GET", path: "/api/v1/search/sessions", auth: "reader" },
  searchPackages: { method: "GET", path: "/api/v1/search/packages", auth: "reader" },
  searchListening: { method: "GET", path: "/api/v1/search/listening", auth: "reader" },
  cpuSeries: { method: "GET", path: "/api/v1/cpus", auth: "reader" },
  inventoryTable: { method: "GET", path: "/api/v1/inventory/:table", auth: "reader" },
  changes: { method: "GET", path: "/api/v1/changes", auth: "reader" },
  fleetActivity: { method: "GET", path: "/api/v1/activity", auth: "reader" },
  listTokens: { method: "GET", path: "/api/v1/tokens", auth: "admin" },
  createToken: { method: "POST", path: "/api/v1/tokens", auth: "admin" },
  revokeToken: { method: "DELETE", path: "/api/v1/tokens/:id", auth: "admin" },
  whoAmI: { method: "GET", path: "/api/v1/me", auth: "reader" },
  listPolicies: { method: "GET", path: "/api/v1/policies", auth: "reader" },
  createPolicy: { method: "POST", path: "/api/v1/policies", auth: "admin" },
  testPolicy: { method: "POST", path: "/api/v1/policies/test", auth: "reader" },
  getPolicy: { method: "GET", path: "/api/v1/policies/:id", auth: "reader" },
  putPolicy: { method: "PUT", path: "/api/v1/policies/:id", auth: "admin" },
  deletePolicy: { method: "DELETE", path: "/api/v1/policies/:id", auth: "admin" },
  policyHosts: { method: "GET", path: "/api/v1/policies/:id/hosts", auth: "reader" },
  policyHistory: { method: "GET", path: "/api/v1/policies/:id/history", auth: "reader" },
  hostPolicies: { method: "GET", path: "/api/v1/hosts/:id/policies", auth: "reader" },
  compliance: { method: "GET", path: "/api/v1/compliance", auth: "reader" },
  getJob: { method: "GET", path: "/api/v1/jobs/:id", auth: "reader" },
  listJobs: { method: "GET", path: "/api/v1/jobs", auth: "reader" },
  listWebhooks: { method: "GET", path: "/api/v1/webhooks", auth: "admin" },
  createWebhook: { method: "POST", path: "/api/v1/webhooks", auth: "admin" },
  deleteWebhook: { method: "DELETE", path: "/api/v1/webhooks/:id", auth: "admin" },
  webhookDeliveries: { method: "GET", path: "/api/v1/webhooks/:id/deliveries", auth: "admin" },
  livez: { method: "GET", path: "/livez", auth: "none" },
  readyz: { method: "GET", path: "/readyz", auth: "none" },
  listAudit: { method: "GET", path: "/api/v1/audit", auth: "admin" },
} as const satisfies Record<string, Route>;

export type RouteName = keyof typeof ROUTES;

/** A route's path with its parameters filled in (each encoded). */
export function pathOf(route: Route, params: Record<string, string | number> = {}): string {
  return route.path.replace(/:([a-z_]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${route.path} needs :${name}`);
    return encodeURIComponent(String(value));
  });
}
