import type { FastifyInstance } from "fastify";

/**
 * Content-Security-Policy by kind of answer. The console is a single-page app built to
 * files: its scripts and styles come from its own origin, no inline script, no eval; its
 * only inline image is the favicon (a data: URL); it talks to this API only.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Swagger UI sets styles inline and draws its icons from data: URLs. */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** JSON, CSV and the console's static assets: nothing to run, nothing to embed. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

const COMMON_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

function cspFor(url: string, contentType: string, status: number): string {
  const path = url.split("?")[0] ?? url;
  if (path === "/docs" || path.startsWith("/docs/")) return DOCS_CSP;
  // A 304 carries no type, and a browser keeps its headers for the page it revalidated:
  // only the console's static files are revalidated.
  if (contentType.startsWith("text/html") || status === 304) return CONSOLE_CSP;
  return API_CSP;
}

/**
 * Adds the security headers to every answer (errors and 404s included): nosniff, no
 * framing, no referrer, and a Content-Security-Policy fitted to the console, the API
 * documentation page or the API itself.
 */
export function securityHeaders(app: FastifyInstance): void {
  app.addHook("onSend", async (request, reply, payload) => {
    for (const [name, value] of Object.entries(COMMON_HEADERS)) reply.header(name, value);
    const type = String(reply.getHeader("content-type") ?? "");
    reply.header("content-security-policy", cspFor(request.url, type, reply.statusCode));
    return payload;
  });
}
