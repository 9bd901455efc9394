import { createHash } from "node:crypto";
import { canonicalJson, type Policy } from "@compliance/contract";

/**
 * The version of a policy: SHA-256 (hex) of its canonical JSON. YAML or JSON, key order,
 * comments and layout do not change it; `enabled` does not either, since switching a
 * policy off and on again does not change what it checks.
 */
export function policyHash(policy: Policy): string {
  const { enabled: _enabled, ...rest } = policy;
  return createHash("sha256").update(canonicalJson(rest)).digest("hex");
}

export { canonicalJson };
