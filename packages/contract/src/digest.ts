import { createHash } from "node:crypto";
import { canonicalJson } from "./canonical.ts";
import type { Report } from "./report.ts";

/**
 * The digest of a whole report, as a delta check-in names the report it describes:
 * SHA-256 of its canonical JSON (keys sorted at every level), in hex.
 */
export function reportDigest(report: Report): string {
  return createHash("sha256").update(canonicalJson(report)).digest("hex");
}
