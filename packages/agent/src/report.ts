import { randomUUID } from "node:crypto";
import * as nodeOs from "node:os";
import type { CollectorError, Report } from "@compliance/contract";
import { LIMITS } from "@compliance/contract/limits";
import type { Clock } from "./clock.ts";
import { DEFAULT_SENSITIVE_FILES } from "./collectors/files.ts";
import { COLLECTORS, type CollectorRegistry } from "./collectors/index.ts";
import {
  type CollectContext,
  type CollectFn,
  type CpuSamples,
  DEFAULT_PATHS,
  type ExecFn,
  type HostApi,
  type ReportPatch,
  type SystemPaths,
} from "./collectors/types.ts";
import { AgentError, CollectError, ConfigError, messageOf, oneLine } from "./errors.ts";
import { execCommand } from "./exec.ts";
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
  /**
   * Collectors switched off: they do not run, their sections stay absent, and they say
   * nothing in `errors`. Meant for the inventory ones; a required collector runs anyway.
   */
  skip?: readonly string[];
  /** Files whose owner, group and mode `settings.files` reports (default: DEFAULT_SENSITIVE_FILES). */
  sensitiveFiles?: readonly string[];
  /** Dates the report (`collected_at`) and times the CPU window. */
  clock: Clock;
  /** Report id generator. */
  newReportId?: () => string;
  /**
   * Adds this process's memory and CPU time to `agent` (default true). A host process that
   * embeds the agent (e.g. the API) should say false: the numbers would be its own. With
   * `cpuSince`, the CPU time is counted from that mark (the daemon's previous cycle)
   * instead of from the start of this collection.
   */
  agentStats?: boolean | { cpuSince: NodeJS.CpuUsage };
  /**
   * Carries CPU samples from one collection to the next (daemon mode): CPU use is then
   * measured since the previous collection and only the first one waits the window.
   */
  cpuBaseline?: CpuBaseline;
  /** Runs system commands (macOS collectors); tests give recorded outputs. */
  exec?: ExecFn;
}

/** Holds the CPU samples of the last collection for the next one. */
export class CpuBaseline {
  samples: CpuSamples | undefined;
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

type Sections = Omit<Report, "schema_version" | "report_id" | "collected_at" | "agent">;

export interface CollectedSections {
  sections: Sections;
  errors: CollectorError[];
  /** Collectors that produced nothing (failed, or no support for the platform). */
  failed: string[];
}

function contextOf(options: CollectOptions, previous: CpuSamples | undefined): CollectContext {
  const cpuWindowMs = checkWindow(options.cpuWindowMs ?? DEFAULT_CPU_WINDOW_MS);
  return {
    platform: options.platform ?? process.platform,
    paths: { ...DEFAULT_PATHS, ...options.paths },
    host: options.host ?? hostApiOf(),
    stateDir: options.stateDir,
    cmdline: options.cmdline ?? true,
    cpuWindowMs,
    // With the previous collection's samples, CPU use is measured since then: no wait.
    window:
      cpuWindowMs > 0 && previous === undefined
        ? options.clock.sleep(cpuWindowMs)
        : Promise.resolve(),
    previous,
    record: options.cpuBaseline ? {} : undefined,
    sensitiveFiles: options.sensitiveFiles ?? DEFAULT_SENSITIVE_FILES,
    exec: options.exec ?? execCommand,
    clock: options.clock,
  };
}

/**
 * Runs the given collectors for this platform at once (they share one CPU window) and
 * merges their parts. A failure goes into `errors` rather than failing the whole, except
 * for the collectors a report cannot be sent without.
 */
export async function collectSections(options: CollectOptions): Promise<CollectedSections> {
  const ctx = contextOf(options, options.cpuBaseline?.samples);
  const platform = ctx.platform;
  const registry = options.collectors ?? COLLECTORS;
  const skip = new Set(options.skip ?? []);
  const outcomes = await Promise.all(
    Object.entries(registry)
      .filter(([name, collector]) => collector.required || !skip.has(name))
      .map(async ([name, collector]): Promise<Outcome> => {
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
  if (options.cpuBaseline) options.cpuBaseline.samples = ctx.record;

  const sections = emptySections(platform);
  const errors: CollectorError[] = [];
  const failed: string[] = [];
  const addError = (collector: string, message: string) =>
    errors.push({ collector, message: oneLine(message, LIMITS.message) });
  for (const outcome of outcomes) {
    if (outcome.kind === "unsupported") {
      if (outcome.required) {
        throw new CollectError(`the ${outcome.name} collector does not support ${platform}`);
      }
      addError(outcome.name, `not supported on ${platform}: no data collected`);
      failed.push(outcome.name);
    } else if (outcome.kind === "failed") {
      failed.push(outcome.name);
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
      const { host, settings, problems, ...rest } = outcome.patch;
      Object.assign(sections, rest);
      if (host) sections.host = { ...sections.host, ...host };
      if (settings) sections.settings = { ...sections.settings, ...settings };
      for (const problem of problems ?? []) addError(outcome.name, problem);
    }
  }
  return { sections, errors: errors.slice(0, LIMITS.errors), failed };
}

/**
 * Collects this host's report: every collector of the registry (see collectSections),
 * plus the report's id, time, and the agent's own version and footprint.
 */
export async function collectReport(options: CollectOptions): Promise<Report> {
  const stats = options.agentStats ?? true;
  const cpuAtStart =
    stats === false ? undefined : stats === true ? process.cpuUsage() : stats.cpuSince;
  const { sections, errors } = await collectSections(options);
  const agent: Report["agent"] = { version: AGENT_VERSION };
  if (cpuAtStart) {
    const used = process.cpuUsage(cpuAtStart);
    agent.rss_bytes = process.memoryUsage.rss();
    agent.cpu_seconds = Math.round(used.user + used.system) / 1e6;
  }
  return {
    schema_version: 1,
    report_id: (options.newReportId ?? randomUUID)(),
    collected_at: new Date(options.clock.now()).toISOString(),
    agent,
    ...sections,
    errors,
  };
}
