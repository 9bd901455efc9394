/**
 * Collector names of the inventory sections, as they appear in a report's `errors`. Apart
 * from the schemas, like the limits, so an agent can name them without the schema library.
 */
export const INVENTORY_COLLECTORS = [
  "packages",
  "listening",
  "accounts",
  "services",
  "sysctl",
  "sshd",
  "files",
] as const;
export type InventoryCollector = (typeof INVENTORY_COLLECTORS)[number];
