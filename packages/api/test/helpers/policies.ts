import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { buildApp } from "../../src/app.ts";
import { hashSecret } from "../../src/auth.ts";
import { loadConfig } from "../../src/config.ts";
import type { Store } from "../../src/store/store.ts";
import { ADMIN_TOKEN, ENROLL_SECRET } from "./app.ts";

/**
 * A second API on a test app's store, built as a server started with
 * COMPLIANCE_WEBHOOK_ALLOW_PRIVATE=1: it may create and deliver webhooks to loopback and
 * private addresses (a receiver the test runs on 127.0.0.1). Close it before the test app.
 */
export function privateWebhooksApp(store: Store, now: () => number) {
  return buildApp({
    store,
    config: loadConfig({ COMPLIANCE_WEBHOOK_ALLOW_PRIVATE: "1" }),
    secrets: {
      adminTokenHash: hashSecret(ADMIN_TOKEN),
      enrollSecretHash: hashSecret(ENROLL_SECRET),
    },
    now,
  });
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A webhook receiver on 127.0.0.1 (a port of its own): keeps every request and answers
 * with `status`, which the test may change between deliveries.
 */
export async function startReceiver() {
  const requests: ReceivedRequest[] = [];
  const state = { status: 200 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      res.writeHead(state.status, { "content-type": "text/plain" });
      res.end(state.status < 300 ? "ok" : "not now");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/compliance`,
    port,
    requests,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The signature a receiver expects: sha256= hex HMAC-SHA256(secret, `${timestamp}.${body}`). */
export function expectedSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** A small deterministic PRNG (mulberry32), so a failing shuffle can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
