import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { TokenRole } from "@compliance/contract";
import type { FastifyRequest } from "fastify";
import { forbidden, unauthorized } from "./errors.ts";
import type { Store } from "./store/store.ts";

/** Secrets are high-entropy random strings, so a plain SHA-256 is enough to store them. */
export const hashSecret = (secret: string) => createHash("sha256").update(secret).digest("hex");

export const newSecret = (bytes = 32) => randomBytes(bytes).toString("base64url");

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

export function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

export interface Principal {
  role: TokenRole;
  tokenId: number | null;
}

export interface AuthSecrets {
  adminTokenHash: string;
  enrollSecretHash: string;
}

/** Checks a reader or admin token; `need` is the least role the route requires. */
export async function authenticateReader(
  request: FastifyRequest,
  store: Store,
  secrets: AuthSecrets,
  need: TokenRole,
): Promise<Principal> {
  const token = bearer(request);
  if (!token) throw unauthorized("send a token: Authorization: Bearer <token>");
  const hash = hashSecret(token);
  let principal: Principal | null = null;
  if (sameHash(hash, secrets.adminTokenHash)) principal = { role: "admin", tokenId: null };
  else {
    const record = await store.tokenByHash(hash);
    if (record) principal = { role: record.role, tokenId: record.id };
  }
  if (!principal) throw unauthorized("the token is not valid");
  if (need === "admin" && principal.role !== "admin") {
    throw forbidden("admin_required", "this needs an admin token");
  }
  return principal;
}

/** Checks a node key; the host it belongs to is the only host the request may write. */
export async function authenticateNode(
  request: FastifyRequest,
  store: Store,
): Promise<{ id: number; identifier: string }> {
  const key = bearer(request);
  if (!key) throw unauthorized("send the node key: Authorization: Bearer <node_key>");
  const host = await store.hosts.byNodeKeyHash(hashSecret(key));
  if (!host) throw unauthorized("the node key is not valid; enroll again", "invalid_node_key");
  return host;
}
