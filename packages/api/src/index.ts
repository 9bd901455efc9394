export { type App, type AppOptions, buildApp } from "./app.ts";
export { type Config, ConfigError, loadConfig } from "./config.ts";
export { type RunningServer, startServer } from "./server.ts";
export { openStore, type StoreOptions } from "./store/sql-store.ts";
export type { Store } from "./store/store.ts";
