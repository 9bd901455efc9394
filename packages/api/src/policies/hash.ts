import { createHash } from "node:crypto";
import type { Policy } from "@compliance/contract";

/** JSON with object keys sorted at every level: equal documents give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The version of a policy: SHA-256 (hex) of its canonical JSON. YAML or JSON, key order,
 * comments and layout do not change it; `enabled` does not either, since switching a
 * policy off and on again does not change what it checks.
 */
export function policyHash(policy: Policy): string {
  const { enabled: _enabled, ...rest } = policy;
  return createHash("sha256").update(canonicalJson(rest)).digest("hex");
}
