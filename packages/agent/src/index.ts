import { type Clock, systemClock } from "./clock.ts";
import { type CollectOptions, collectReport as collectWith } from "./report.ts";
import { type RunOnceOptions, runOnce as runOnceWith } from "./run-once.ts";

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
export { Courier, type Delivery } from "./delivery.ts";
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
  collectSections,
  DEFAULT_CPU_WINDOW_MS,
} from "./report.ts";
export type { RunOnceOptions, RunOnceResult } from "./run-once.ts";
export { Spool } from "./spool.ts";
export { defaultStateDir, StateDir } from "./state.ts";
export { type Pin, parsePins, publicKeyPinOf } from "./tls.ts";
export { DEFAULT_TIMEOUT_MS, enroll, sendReport } from "./transport.ts";
export { AGENT_VERSION } from "./version.ts";

/**
 * The options of an entry point for a program that embeds the agent (the API's built-in
 * local agent). Such a program is where the system's clock comes in, as main.ts is for the
 * command: given no clock, these entry points take the system's.
 */
export type EmbeddedOptions<T extends { clock: Clock }> = Omit<T, "clock"> & { clock?: Clock };

/** One check-in (see run-once.ts), on the caller's clock or the system's. */
export function runOnce(options: EmbeddedOptions<RunOnceOptions>) {
  return runOnceWith({ ...options, clock: options.clock ?? systemClock() });
}

/** This host's report (see report.ts), on the caller's clock or the system's. */
export function collectReport(options: EmbeddedOptions<CollectOptions> = {}) {
  return collectWith({ ...options, clock: options.clock ?? systemClock() });
}
