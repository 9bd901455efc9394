export { type CliIo, runCli, USAGE } from "./cli.ts";
export { COLLECTORS, type CollectorRegistry } from "./collectors/index.ts";
export type {
  CollectContext,
  CollectFn,
  Collector,
  HostApi,
  ReportPatch,
  SystemPaths,
} from "./collectors/types.ts";
export { CollectorFailure, DEFAULT_PATHS } from "./collectors/types.ts";
export { type AgentConfig, type ConfigInput, resolveConfig } from "./config.ts";
export {
  AgentError,
  CollectError,
  ConfigError,
  EXIT_CODES,
  type ExitCode,
  exitCodeOf,
  RejectedError,
  ServerError,
  StateError,
  UnreachableError,
  UsageError,
} from "./errors.ts";
export { type CollectOptions, collectReport, DEFAULT_CPU_WINDOW_MS } from "./report.ts";
export { type RunOnceOptions, type RunOnceResult, runOnce } from "./run-once.ts";
export { defaultStateDir, StateDir } from "./state.ts";
export { DEFAULT_TIMEOUT_MS, enroll, sendReport } from "./transport.ts";
export { AGENT_VERSION } from "./version.ts";
