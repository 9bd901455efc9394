import { readFileSync } from "node:fs";
import { LIMITS } from "@compliance/contract/limits";
import { parseSysctl, SYSCTL_NAMES } from "../darwin/sysctl.ts";
import { type CpuTimes, cpuUsagePercent, parseMachineStat } from "../linux/proc-stat.ts";
import type { CollectContext, Collector, HostApi, ReportPatch } from "./types.ts";

export interface CpuInfo {
  model: string;
  vendor: string;
  /** Logical processors: one `processor` block each. */
  cores: number;
}

/** Parses /proc/cpuinfo: the first model name and vendor_id, and the processor count. */
export function parseCpuInfo(text: string): CpuInfo {
  let model = "";
  let vendor = "";
  let cores = 0;
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    if (key === "processor") cores += 1;
    else if (key === "model name" && model === "") model = line.slice(colon + 1).trim();
    else if (key === "vendor_id" && vendor === "") vendor = line.slice(colon + 1).trim();
  }
  return { model, vendor, cores };
}

function readMachineCpu(procDir: string): CpuTimes {
  const cpu = parseMachineStat(readFileSync(`${procDir}/stat`, "utf8")).cpu;
  if (!cpu) throw new Error(`no cpu line in ${procDir}/stat`);
  return cpu;
}

/**
 * The first sample of the machine's counters: the previous collection's (daemon mode),
 * else one taken now when there is a window, else none ("boot": the average since boot).
 */
function firstSample(ctx: CollectContext, read: () => CpuTimes): CpuTimes | undefined {
  if (ctx.previous !== undefined) return ctx.previous.machine;
  return ctx.cpuWindowMs > 0 ? read() : undefined;
}

function keep(ctx: CollectContext, sample: CpuTimes): void {
  if (ctx.record) ctx.record.machine = sample;
}

async function collectLinuxCpu(ctx: CollectContext): Promise<ReportPatch> {
  const before = firstSample(ctx, () => readMachineCpu(ctx.paths.proc));
  await ctx.window;
  const after = readMachineCpu(ctx.paths.proc);
  keep(ctx, after);
  const info = parseCpuInfo(readFileSync(`${ctx.paths.proc}/cpuinfo`, "utf8"));
  return {
    cpu: {
      // Some ARM kernels have no "model name"; libuv's view of the CPU is the best left.
      model: (info.model || ctx.host.cpus()[0]?.model || "").slice(0, LIMITS.name),
      vendor: info.vendor.slice(0, LIMITS.name),
      cores: info.cores || ctx.host.cpus().length,
      usage_percent: cpuUsagePercent(before, after),
    },
  };
}

/** Busy and total time of all CPUs as libuv reports it (milliseconds). */
function hostCpuTimes(host: HostApi): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const { times } of host.cpus()) {
    const all = times.user + times.nice + times.sys + times.idle + times.irq;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** Whole-machine use from libuv's per-CPU times (every platform has them). */
export async function machineUsageFromHost(ctx: CollectContext): Promise<number> {
  const before = firstSample(ctx, () => hostCpuTimes(ctx.host));
  await ctx.window;
  const after = hostCpuTimes(ctx.host);
  keep(ctx, after);
  return cpuUsagePercent(before, after);
}

async function collectAnyCpu(ctx: CollectContext): Promise<ReportPatch> {
  const usage = await machineUsageFromHost(ctx);
  const cpus = ctx.host.cpus();
  return {
    cpu: {
      model: (cpus[0]?.model ?? "").trim().slice(0, LIMITS.name),
      vendor: "",
      cores: cpus.length,
      usage_percent: usage,
    },
  };
}

/** macOS: model, vendor and count from `sysctl`; Apple silicon has no vendor string. */
async function collectDarwinCpu(ctx: CollectContext): Promise<ReportPatch> {
  const [text, usage] = await Promise.all([
    ctx.exec("sysctl", SYSCTL_NAMES),
    machineUsageFromHost(ctx),
  ]);
  const values = parseSysctl(text);
  const model = values.get("machdep.cpu.brand_string") ?? ctx.host.cpus()[0]?.model ?? "";
  const cores = Number(values.get("hw.logicalcpu"));
  return {
    cpu: {
      model: model.slice(0, LIMITS.name),
      vendor: (
        values.get("machdep.cpu.vendor") ?? (model.startsWith("Apple") ? "Apple" : "")
      ).slice(0, LIMITS.name),
      cores: Number.isInteger(cores) && cores > 0 ? cores : ctx.host.cpus().length,
      usage_percent: usage,
    },
  };
}

export const cpuCollector: Collector = {
  description: "CPU model, vendor, logical processors, and whole-machine use over the window",
  platforms: { linux: collectLinuxCpu, darwin: collectDarwinCpu, any: collectAnyCpu },
};
