import { existsSync, readFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { createSecureContext, rootCertificates, type SecureContext } from "node:tls";
import type { Clock } from "./clock.ts";
import { type Pin, pinnedIdentityCheck } from "./tls.ts";

/** One HTTP exchange as the transport needs it. */
export interface HttpRequest {
  url: string;
  method: "POST" | "GET";
  headers: Readonly<Record<string, string>>;
  body?: string | Buffer;
  /** The whole exchange, answer included. */
  timeoutMs: number;
  /** Aborts the exchange (the agent is stopping). */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Sends one request. Fails with the socket's error (its `code`: ECONNREFUSED,
 * ECONNRESET, a TLS code), a `TimeoutError` or an `AbortError`.
 */
export type HttpClient = (request: HttpRequest) => Promise<HttpResponse>;

export interface HttpClientOptions {
  /** Times each exchange (`timeoutMs`). */
  clock: Clock;
  /** Extra trusted CA certificates (PEM), added to the system's. */
  ca?: string;
  /** The server certificate must match one of these (https only). */
  pins?: readonly Pin[];
  /** Where the system's CA bundle is looked for (tests). */
  systemBundles?: readonly string[];
}

/** The CA bundle files of the common systems: Debian/Ubuntu/Alpine, RHEL/Fedora, SUSE, macOS/BSD. */
export const SYSTEM_CA_BUNDLES: readonly string[] = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
  "/etc/ssl/ca-bundle.pem",
  "/etc/ssl/cert.pem",
];

/** Answers bigger than this are cut: the API's are small, a proxy's error page need not be. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * The trusted CAs: the system's bundle (which holds the locally added CAs, unlike Node's
 * built-in list), Node's own list, and the configured CA file. Built once: parsing the
 * bundle for every request would cost more than the request.
 */
function trustContext(options: HttpClientOptions): SecureContext {
  const system = (options.systemBundles ?? SYSTEM_CA_BUNDLES).find((file) => existsSync(file));
  const ca = [...rootCertificates];
  if (options.ca !== undefined) ca.push(options.ca);
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra) {
    try {
      ca.push(readFileSync(extra, "utf8"));
    } catch {
      // Node itself warns about an unreadable NODE_EXTRA_CA_CERTS.
    }
  }
  if (system !== undefined) {
    try {
      ca.push(readFileSync(system, "utf8"));
    } catch {
      // An unreadable system bundle leaves Node's list and the configured CA.
    }
  }
  return createSecureContext({ ca });
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/**
 * An HTTP client on node:http and node:https, so a CA file and certificate pinning work
 * without any dependency. One connection per request: a check-in every few minutes gains
 * nothing from keep-alive, and a kept socket the server closed is a spurious failure.
 * TLS sessions are resumed, which keeps a spool drain over https cheap.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient & {
  close(): void;
} {
  // Built on the first https request: an http:// API never pays for it.
  let secureContext: SecureContext | undefined;
  const trusted = (): SecureContext => {
    secureContext ??= trustContext(options);
    return secureContext;
  };
  const pins = options.pins ?? [];
  const httpsAgent = new https.Agent({ keepAlive: false, maxCachedSessions: 4 });
  const httpAgent = new http.Agent({ keepAlive: false });

  const client = (request: HttpRequest): Promise<HttpResponse> =>
    new Promise((resolve, reject) => {
      const url = new URL(request.url);
      const secure = url.protocol === "https:";
      const body = request.body ?? "";
      const headers = { ...request.headers, "content-length": String(Buffer.byteLength(body)) };
      let settled = false;
      // Ends the wait for the timeout once the exchange is over, whichever way it ended.
      const over = new AbortController();
      const finish = (error: Error | undefined, response?: HttpResponse) => {
        if (settled) return;
        settled = true;
        over.abort();
        request.signal?.removeEventListener("abort", onAbort);
        if (error) reject(error);
        else resolve(response!);
      };
      const req = secure
        ? https.request(url, {
            method: request.method,
            headers,
            agent: httpsAgent,
            // Passed through to tls.connect, which takes a ready context (not in the types).
            secureContext: trusted(),
            ...(pins.length > 0 ? { checkServerIdentity: pinnedIdentityCheck(pins) } : {}),
          } as https.RequestOptions)
        : http.request(url, { method: request.method, headers, agent: httpAgent });
      void options.clock.sleep(request.timeoutMs, over.signal).then(() => {
        if (settled) return;
        const error = namedError("TimeoutError", `no answer within ${request.timeoutMs} ms`);
        req.destroy(error);
        finish(error);
      });
      const onAbort = () => {
        const error = namedError("AbortError", "the request was aborted");
        req.destroy(error);
        finish(error);
      };
      if (request.signal?.aborted) return onAbort();
      request.signal?.addEventListener("abort", onAbort, { once: true });

      req.on("error", (error) => finish(error));
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        let length = 0;
        res.on("data", (chunk: Buffer) => {
          if (length < MAX_ANSWER_BYTES) chunks.push(chunk);
          length += chunk.length;
        });
        res.on("error", (error) => finish(error));
        res.on("aborted", () => {
          const error = new Error(
            "the connection closed during the answer",
          ) as NodeJS.ErrnoException;
          error.code = "ECONNRESET";
          finish(error);
        });
        res.on("end", () =>
          finish(undefined, {
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString("utf8"),
          }),
        );
      });
      req.end(body);
    });

  return Object.assign(client, {
    close() {
      httpsAgent.destroy();
      httpAgent.destroy();
    },
  });
}
