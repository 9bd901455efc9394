import { randomUUID } from "node:crypto";
import * as nodeOs from "node:os";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { type CollectorError, LIMITS, type Report } from "@compliance/contract";
import { COLLECTORS, type CollectorRegistry } from "./collectors/index.ts";
import {
  type CollectContext,
  type CollectFn,
  DEFAULT_PATHS,
  type HostApi,
  type ReportPatch,
  type SystemPaths,
} from "./collectors/types.ts";
import { AgentError, CollectError, ConfigError, messageOf, oneLine } from "./errors.ts";
import { AGENT_VERSION } from "./version.ts";

export const DEFAULT_CPU_WINDOW_MS = 250;
export const MAX_CPU_WINDOW_MS = 60_000;

export interface CollectOptions {
  /** CPU measuring window in ms (default 250); 0 reports averages since start/boot instead. */
  cpuWindowMs?: number;
  /** False leaves command lines out of the report (default true). */
  cmdline?: boolean;
  /** Keeps a generated host id when the host has no machine id. */
  stateDir?: string;
  /** System file locations, e.g. fixtures in tests. */
  paths?: Partial<SystemPaths>;
  /** The platform whose collectors run (default: this one). */
  platform?: NodeJS.Platform;
  /** Stands in for `node:os`. */
  host?: HostApi;
  /** Which collectors run (default: all of COLLECTORS). */
  collectors?: CollectorRegistry;
  /** Wall clock for `collected_at`. */
  now?: () => Date;
  /** Report id generator. */
  newReportId?: () => string;
  /**
   * Adds this process's memory and CPU time to `agent` (default true). A host process that
   * embeds the agent (e.g. the API) should say false: the numbers would be its own.
   */
  agentStats?: boolean;
}

const hostApiOf = (): HostApi => ({
  hostname: nodeOs.hostname,
  release: nodeOs.release,
  type: nodeOs.type,
  version: nodeOs.version,
  arch: nodeOs.arch,
  endianness: nodeOs.endianness,
  cpus: nodeOs.cpus,
  networkInterfaces: nodeOs.networkInterfaces,
});

function checkWindow(ms: number): number {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_CPU_WINDOW_MS) {
    throw new ConfigError(
      `the CPU window must be a whole number of milliseconds from 0 to ${MAX_CPU_WINDOW_MS}, not ${ms}`,
    );
  }
  return ms;
}

/** The report's sections as they stand when their collector could not run. */
function emptySections(
  platform: string,
): Omit<Report, "schema_version" | "report_id" | "collected_at" | "agent"> {
  return {
    host: { identifier: "", hostname: "", ip_addresses: [] },
    os: { platform, name: "", version: "", kernel: "", arch: "" },
    cpu: { model: "", vendor: "", cores: 0, usage_percent: 0 },
    memory: { total_bytes: 0, available_bytes: 0 },
    processes: [],
    sessions: [],
  };
}

type Outcome = { name: string; required: boolean } & (
  | { kind: "done"; patch: ReportPatch }
  | { kind: "failed"; error: unknown }
  | { kind: "unsupported" }
);

/**
 * Collects this host's report: runs every collector of the registry for this platform at
 * once (they share one CPU window), and puts each failure into `errors` rather than
 * failing the report, except for the collectors a report cannot be sent without.
 */
export async function collectReport(options: CollectOptions = {}): Promise<Report> {
  const cpuWindowMs = checkWindow(options.cpuWindowMs ?? DEFAULT_CPU_WINDOW_MS);
  const platform = options.platform ?? process.platform;
  const now = options.now ?? (() => new Date());
  const withStats = options.agentStats ?? true;
  const cpuAtStart = withStats ? process.cpuUsage() : undefined;
  const ctx: CollectContext = {
    platform,
    paths: { ...DEFAULT_PATHS, ...options.paths },
    host: options.host ?? hostApiOf(),
    stateDir: options.stateDir,
    cmdline: options.cmdline ?? true,
    cpuWindowMs,
    window: cpuWindowMs > 0 ? sleep(cpuWindowMs) : Promise.resolve(),
    monotonic: () => performance.now(),
    now,
  };

  const registry = options.collectors ?? COLLECTORS;
  const outcomes = await Promise.all(
    Object.entries(registry).map(async ([name, collector]): Promise<Outcome> => {
      const required = collector.required ?? false;
      const collect: CollectFn | undefined =
        collector.platforms[platform] ?? collector.platforms.any;
      if (!collect) return { name, required, kind: "unsupported" };
      try {
        return { name, required, kind: "done", patch: await collect(ctx) };
      } catch (error) {
        return { name, required, kind: "failed", error };
      }
    }),
  );

  const sections = emptySections(platform);
  const errors: CollectorError[] = [];
  const addError = (collector: string, message: string) =>
    errors.push({ collector, message: oneLine(message, LIMITS.message) });
  for (const outcome of outcomes) {
    if (outcome.kind === "unsupported") {
      if (outcome.required) {
        throw new CollectError(`the ${outcome.name} collector does not support ${platform}`);
      }
      addError(outcome.name, `not supported on ${platform} yet`);
    } else if (outcome.kind === "failed") {
      if (!outcome.required) {
        addError(outcome.name, messageOf(outcome.error));
      } else if (outcome.error instanceof AgentError) {
        throw outcome.error;
      } else {
        throw new CollectError(`${outcome.name}: ${messageOf(outcome.error)}`, {
          cause: outcome.error,
        });
      }
    } else {
      const { host, problems, ...rest } = outcome.patch;
      Object.assign(sections, rest);
      if (host) sections.host = { ...sections.host, ...host };
      for (const problem of problems ?? []) addError(outcome.name, problem);
    }
  }

  const agent: Report["agent"] = { version: AGENT_VERSION };
  if (cpuAtStart) {
    const used = process.cpuUsage(cpuAtStart);
    agent.rss_bytes = process.memoryUsage.rss();
    agent.cpu_seconds = (used.user + used.system) / 1e6;
  }
  return {
    schema_version: 1,
    report_id: (options.newReportId ?? randomUUID)(),
    collected_at: now().toISOString(),
    agent,
    ...sections,
    errors: errors.slice(0, LIMITS.errors),
  };
}
