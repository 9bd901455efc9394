export { type CliIo, runCli, USAGE } from "./cli.ts";
export { type Clock, systemClock } from "./clock.ts";
export { COLLECTORS, type CollectorRegistry } from "./collectors/index.ts";
export type {
  CollectContext,
  CollectFn,
  Collector,
  CpuSamples,
  ExecFn,
  HostApi,
  ReportPatch,
  SystemPaths,
} from "./collectors/types.ts";
export { CollectorFailure, DEFAULT_PATHS } from "./collectors/types.ts";
export {
  type AgentConfig,
  type ConfigInput,
  DEFAULT_INTERVAL_MS,
  loadConfig,
  resolveConfig,
} from "./config.ts";
export { type DaemonOptions, runDaemon } from "./daemon.ts";
export { Courier, type Delivery, type DrainResult } from "./delivery.ts";
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
  TlsError,
  UnreachableError,
  UsageError,
} from "./errors.ts";
export { createHttpClient, type HttpClient, type HttpRequest, type HttpResponse } from "./http.ts";
export { createLogger, type Logger } from "./log.ts";
export {
  type CollectOptions,
  CpuBaseline,
  collectReport,
  collectSections,
  DEFAULT_CPU_WINDOW_MS,
} from "./report.ts";
export { type RunOnceOptions, type RunOnceResult, runOnce } from "./run-once.ts";
export {
  AgentSession,
  type DeliverOptions,
  type SessionCollectOptions,
  type SessionOptions,
} from "./session.ts";
export { Spool } from "./spool.ts";
export { defaultStateDir, StateDir } from "./state.ts";
export { type Pin, parsePins, publicKeyPinOf } from "./tls.ts";
export { DEFAULT_TIMEOUT_MS, enroll, sendReport } from "./transport.ts";
export { AGENT_VERSION } from "./version.ts";
