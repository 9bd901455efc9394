import type { Migration } from "kysely/migration";
import * as initial from "./2026-11-22-0001-initial.ts";
import * as hostFactsHash from "./2026-11-22-0002-host-facts-hash.ts";
import * as currentNames from "./2026-11-22-0003-current-names.ts";
import * as inventory from "./2026-11-30-0004-inventory.ts";
import * as policies from "./2026-11-30-0005-policies.ts";
import * as exactText from "./2026-11-30-0006-exact-text.ts";
import * as legacyRequests from "./2026-11-30-0007-legacy-requests.ts";
import * as auditLog from "./2026-11-30-0008-audit-log.ts";
import * as archive from "./2026-11-30-0009-archive.ts";

/**
 * Every migration, by name; names sort in the order they apply. Listed here rather than
 * read from the directory so the bundled API carries them.
 */
export const migrations: Record<string, Migration> = {
  "2026-11-22-0001-initial": initial,
  "2026-11-22-0002-host-facts-hash": hostFactsHash,
  "2026-11-22-0003-current-names": currentNames,
  "2026-11-30-0004-inventory": inventory,
  "2026-11-30-0005-policies": policies,
  "2026-11-30-0006-exact-text": exactText,
  "2026-11-30-0007-legacy-requests": legacyRequests,
  "2026-11-30-0008-audit-log": auditLog,
  "2026-11-30-0009-archive": archive,
};
