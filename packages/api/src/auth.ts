import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Secrets are high-entropy random strings, so a plain SHA-256 is enough to store them. */
export const hashSecret = (secret: string) => createHash("sha256").update(secret).digest("hex");

export const newSecret = (bytes = 32) => randomBytes(bytes).toString("base64url");

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}
