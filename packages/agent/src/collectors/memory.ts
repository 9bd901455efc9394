import { readFileSync } from "node:fs";
import { freemem, totalmem } from "node:os";
import { parseSysctl, parseVmStat } from "../darwin/sysctl.ts";
import type { CollectContext, Collector, ReportPatch } from "./types.ts";

/** Parses /proc/meminfo into bytes per key (the file says kB and means KiB). */
export function parseMeminfo(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^([\w()]+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (!match) continue;
    const amount = Number(match[2]);
    values.set(match[1]!, line.trimEnd().endsWith("kB") ? amount * 1024 : amount);
  }
  return values;
}

/**
 * Total and available memory. Kernels before 3.14 have no MemAvailable; free + buffers +
 * page cache is the estimate `free` used then.
 */
export function memoryFacts(meminfo: ReadonlyMap<string, number>): {
  total_bytes: number;
  available_bytes: number;
} {
  const total = meminfo.get("MemTotal");
  if (total === undefined) throw new Error("no MemTotal in meminfo");
  const available =
    meminfo.get("MemAvailable") ??
    (meminfo.get("MemFree") ?? 0) + (meminfo.get("Buffers") ?? 0) + (meminfo.get("Cached") ?? 0);
  return { total_bytes: total, available_bytes: Math.min(available, total) };
}

function collectLinuxMemory(ctx: CollectContext): ReportPatch {
  return { memory: memoryFacts(parseMeminfo(readFileSync(`${ctx.paths.proc}/meminfo`, "utf8"))) };
}

/** macOS: installed memory from `sysctl hw.memsize`, available from `vm_stat`. */
async function collectDarwinMemory(ctx: CollectContext): Promise<ReportPatch> {
  const [sysctl, vmStat] = await Promise.all([
    ctx.exec("sysctl", ["hw.memsize"]),
    ctx.exec("vm_stat", []),
  ]);
  const total = Number(parseSysctl(sysctl).get("hw.memsize")) || totalmem();
  const { availableBytes } = parseVmStat(vmStat);
  return { memory: { total_bytes: total, available_bytes: Math.min(availableBytes, total) } };
}

/** Windows: libuv's numbers are GlobalMemoryStatusEx's total and available physical memory. */
function collectWindowsMemory(): ReportPatch {
  return { memory: { total_bytes: totalmem(), available_bytes: Math.min(freemem(), totalmem()) } };
}

export const memoryCollector: Collector = {
  description: "Installed and available memory",
  platforms: {
    linux: collectLinuxMemory,
    darwin: collectDarwinMemory,
    win32: collectWindowsMemory,
  },
};
