import { readFileSync } from "node:fs";
import { LIMITS } from "@compliance/contract";
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

async function collectLinuxCpu(ctx: CollectContext): Promise<ReportPatch> {
  // With no window, the first sample is "boot": usage is then the average since boot.
  const before = ctx.cpuWindowMs > 0 ? readMachineCpu(ctx.paths.proc) : undefined;
  await ctx.window;
  const after = readMachineCpu(ctx.paths.proc);
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

async function collectAnyCpu(ctx: CollectContext): Promise<ReportPatch> {
  const before = ctx.cpuWindowMs > 0 ? hostCpuTimes(ctx.host) : undefined;
  await ctx.window;
  const cpus = ctx.host.cpus();
  return {
    cpu: {
      model: (cpus[0]?.model ?? "").trim().slice(0, LIMITS.name),
      vendor: "",
      cores: cpus.length,
      usage_percent: cpuUsagePercent(before, hostCpuTimes(ctx.host)),
    },
  };
}

export const cpuCollector: Collector = {
  description: "CPU model, vendor, logical processors, and whole-machine use over the window",
  platforms: { linux: collectLinuxCpu, any: collectAnyCpu },
};
