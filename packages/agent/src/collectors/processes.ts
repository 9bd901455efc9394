import { readdirSync, readFileSync } from "node:fs";
import { LIMITS, type ReportProcess } from "@compliance/contract";
import { DEFAULT_KERNEL_UNITS, type KernelUnits, parseAuxv, wordBytesOf } from "../linux/auxv.ts";
import { SmallFileReader } from "../linux/files.ts";
import { parsePasswd } from "../linux/passwd.ts";
import { parseMachineStat, parseUptime, roundPercent } from "../linux/proc-stat.ts";
import { formatCmdline } from "../redact.ts";
import type { CollectContext, Collector, HostApi, ReportPatch } from "./types.ts";

/** The fields of /proc/<pid>/stat the report needs. Times are in clock ticks. */
export interface PidStat {
  pid: number;
  comm: string;
  ppid: number;
  utime: number;
  stime: number;
  startTime: number;
  rssPages: number;
  /** A kernel thread: owned by root, no command line. */
  kernelThread: boolean;
}

/** PF_KTHREAD in the flags field (9) of /proc/<pid>/stat. */
const PF_KTHREAD = 0x0020_0000;

/**
 * Parses /proc/<pid>/stat. The name (comm) is in parentheses and may itself hold spaces
 * and parentheses (`(tmux: server)`, `((sd-pam))`), so it ends at the *last* `)`; the
 * other fields are numbered from there (field 3, the state, follows it).
 */
export function parsePidStat(text: string): PidStat | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open));
  const rest = text.slice(close + 2).split(" ");
  // rest[0] is field 3 (state): field n is rest[n - 3].
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const startTime = Number(rest[19]);
  const rssPages = Number(rest[21]);
  const flags = Number(rest[6]);
  if (
    !Number.isInteger(pid) ||
    !Number.isInteger(ppid) ||
    !Number.isFinite(utime) ||
    !Number.isFinite(stime) ||
    !Number.isFinite(startTime) ||
    !Number.isFinite(rssPages)
  ) {
    return undefined;
  }
  return {
    pid,
    comm: text.slice(open + 1, close),
    ppid,
    utime,
    stime,
    startTime,
    rssPages: Math.max(0, rssPages),
    kernelThread: Number.isInteger(flags) && (flags & PF_KTHREAD) !== 0,
  };
}

/** The effective uid: the second number of the `Uid:` line of /proc/<pid>/status. */
export function parseEffectiveUid(status: string): number | undefined {
  const first = status.startsWith("Uid:");
  const at = first ? 0 : status.indexOf("\nUid:") + 1;
  if (at === 0 && !first) return undefined;
  const end = status.indexOf("\n", at);
  const fields = status
    .slice(at + 4, end < 0 ? undefined : end)
    .trim()
    .split(/\s+/);
  const uid = Number(fields[1]);
  return Number.isInteger(uid) && uid >= 0 ? uid : undefined;
}

/** Splits /proc/<pid>/cmdline (NUL-terminated arguments) into arguments. */
export function parseCmdline(raw: string): string[] {
  if (raw === "") return [];
  const args = raw.split("\0");
  if (args[args.length - 1] === "") args.pop();
  return args;
}

/**
 * CPU use in percent of one core between two samples of a process's utime+stime. A
 * process without a first sample started during the window and is measured from zero,
 * since all its CPU time was spent inside the window.
 */
export function cpuPercentOverWindow(
  ticksBefore: number | undefined,
  ticksAfter: number,
  clockTicks: number,
  elapsedMs: number,
): number {
  if (elapsedMs <= 0) return 0;
  const seconds = (ticksAfter - (ticksBefore ?? 0)) / clockTicks;
  return clampPercent((seconds / (elapsedMs / 1000)) * 100);
}

/** Average CPU use since the process started, what `ps` shows as %CPU. */
export function cpuPercentSinceStart(
  ticks: number,
  startTime: number,
  uptimeSeconds: number,
  clockTicks: number,
): number {
  const age = uptimeSeconds - startTime / clockTicks;
  if (age <= 0) return 0;
  return clampPercent((ticks / clockTicks / age) * 100);
}

function clampPercent(value: number): number {
  return roundPercent(Math.min(100_000, Math.max(0, value)));
}

/** Start time as RFC 3339 UTC, from the boot time and the start in ticks after boot. */
export function startedAt(bootTime: number, startTime: number, clockTicks: number): string {
  return new Date(bootTime * 1000 + Math.round((startTime * 1000) / clockTicks)).toISOString();
}

/** Page size and clock tick rate from the kernel, defaults when /proc/self/auxv is unreadable. */
export function readKernelUnits(procDir: string, host: HostApi): KernelUnits {
  try {
    const bytes = readFileSync(`${procDir}/self/auxv`);
    return parseAuxv(bytes, wordBytesOf(host.arch()), host.endianness() === "LE");
  } catch {
    return DEFAULT_KERNEL_UNITS;
  }
}

/** Process ids in /proc, ascending (procfs lists them so; other directories may not). */
function listPids(procDir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync(procDir)) {
    const code = name.charCodeAt(0);
    if (code >= 48 && code <= 57) pids.push(Number(name));
  }
  return pids.sort((a, b) => a - b);
}

interface TickSample {
  startTime: number;
  ticks: number;
  /** When it was read (monotonic ms): each process gets its own window length. */
  at: number;
}

/** First pass of the CPU window: only each process's CPU ticks and identity (start time). */
function sampleTicks(
  reader: SmallFileReader,
  procDir: string,
  monotonic: () => number,
): Map<number, TickSample> {
  const samples = new Map<number, TickSample>();
  for (const pid of listPids(procDir)) {
    const text = reader.read(`${procDir}/${pid}/stat`);
    const stat = text === undefined ? undefined : parsePidStat(text);
    if (stat) {
      samples.set(pid, {
        startTime: stat.startTime,
        ticks: stat.utime + stat.stime,
        at: monotonic(),
      });
    }
  }
  return samples;
}

export interface ProcessReadOptions {
  procDir: string;
  users: ReadonlyMap<number, string>;
  units: KernelUnits;
  bootTime: number | undefined;
  cmdline: boolean;
  /** CPU % of a process from its total ticks and start time. */
  cpuPercent: (pid: number, ticks: number, startTime: number) => number;
}

/**
 * Reads every process once. A process that exits while it is read is skipped: it is no
 * longer running, and the next report will not have it either.
 */
export function readProcesses(
  reader: SmallFileReader,
  options: ProcessReadOptions,
): ReportProcess[] {
  const { procDir, users, units, bootTime } = options;
  const processes: ReportProcess[] = [];
  for (const pid of listPids(procDir)) {
    const statText = reader.read(`${procDir}/${pid}/stat`);
    const stat = statText === undefined ? undefined : parsePidStat(statText);
    if (!stat) continue;
    // Kernel threads run as root and have no command line: two reads saved per thread.
    let uid: number | undefined = 0;
    if (!stat.kernelThread) {
      const status = reader.read(`${procDir}/${pid}/status`, "latin1");
      if (status === undefined) continue;
      uid = parseEffectiveUid(status);
    }
    const entry: ReportProcess = {
      pid,
      ppid: stat.ppid,
      name: stat.comm.slice(0, LIMITS.name),
      user: uid === undefined ? "" : (users.get(uid) ?? String(uid)).slice(0, LIMITS.name),
      cpu_percent: options.cpuPercent(pid, stat.utime + stat.stime, stat.startTime),
      rss_bytes: stat.rssPages * units.pageSize,
    };
    if (bootTime !== undefined) {
      entry.started_at = startedAt(bootTime, stat.startTime, units.clockTicks);
    }
    if (options.cmdline && !stat.kernelThread) {
      const cmdline = readCmdline(reader, `${procDir}/${pid}/cmdline`);
      if (cmdline !== undefined) entry.cmdline = cmdline;
    }
    processes.push(entry);
  }
  return processes;
}

/**
 * The redacted command line, or undefined for kernel threads and zombies (they have
 * none) and for processes whose command line this user may not read.
 */
function readCmdline(reader: SmallFileReader, path: string): string | undefined {
  let raw: string | undefined;
  try {
    raw = reader.read(path);
  } catch {
    return undefined;
  }
  // A command line longer than the buffer arrives cut, far beyond the contract's bound.
  const args = parseCmdline(raw ?? "");
  return args.length === 0 ? undefined : formatCmdline(args, LIMITS.cmdline);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

async function collectLinuxProcesses(ctx: CollectContext): Promise<ReportPatch> {
  const procDir = ctx.paths.proc;
  const reader = new SmallFileReader();
  const units = readKernelUnits(procDir, ctx.host);
  const windowed = ctx.cpuWindowMs > 0;
  const windowStart = ctx.monotonic();
  const first = windowed ? sampleTicks(reader, procDir, ctx.monotonic) : undefined;
  await ctx.window;

  const machine = parseMachineStat(readText(`${procDir}/stat`) ?? "");
  const users = parsePasswd(readText(`${ctx.paths.etc}/passwd`) ?? "");
  const uptime = windowed ? undefined : parseUptime(readText(`${procDir}/uptime`) ?? "");
  const cpuPercent = (pid: number, ticks: number, startTime: number): number => {
    if (first) {
      const before = first.get(pid);
      // Same pid, other start time: the pid was reused by a process born in the window.
      const sameProcess = before !== undefined && before.startTime === startTime;
      return cpuPercentOverWindow(
        sameProcess ? before.ticks : undefined,
        ticks,
        units.clockTicks,
        ctx.monotonic() - (sameProcess ? before.at : windowStart),
      );
    }
    return uptime === undefined
      ? 0
      : cpuPercentSinceStart(ticks, startTime, uptime, units.clockTicks);
  };

  const processes = readProcesses(reader, {
    procDir,
    users,
    units,
    bootTime: machine.bootTime,
    cmdline: ctx.cmdline,
    cpuPercent,
  });
  if (processes.length === 0) {
    throw new Error(`no process found in ${procDir}: is procfs mounted?`);
  }
  if (processes.length > LIMITS.processes) {
    return {
      processes: processes.slice(0, LIMITS.processes),
      problems: [`${processes.length} processes, only the first ${LIMITS.processes} are sent`],
    };
  }
  return { processes };
}

export const processesCollector: Collector = {
  description: "Running processes: pid, parent, name, user, CPU %, memory, start, command line",
  platforms: { linux: collectLinuxProcesses },
};
