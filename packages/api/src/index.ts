export { type App, type AppOptions, buildApp } from "./app.ts";
export { type Config, ConfigError, loadConfig } from "./config.ts";
export { type RunningServer, startServer } from "./server.ts";
export { Store, type StoreOptions } from "./store/store.ts";
