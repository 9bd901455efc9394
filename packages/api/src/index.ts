export { type App, type AppOptions, buildApp } from "./app.ts";
export { type Config, ConfigError, loadConfig } from "./config.ts";
export * from "./policies/index.ts";
export { type RunningServer, startServer } from "./server.ts";
export { openStore, type StoreOptions } from "./store/sql-store.ts";
export type { Store } from "./store/store.ts";
export {
  type Comparator,
  type ComparatorOp,
  compareVersions,
  parseComparator,
  schemeOfSource,
  type VersionScheme,
  versionPredicate,
} from "./versions.ts";
