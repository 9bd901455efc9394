import { readdirSync, readFileSync, statfsSync, statSync } from "node:fs";
import type { ReportProcess } from "@compliance/contract";
import { LIMITS } from "@compliance/contract/limits";
import { PS_ARGS_ARGS, PS_TABLE_ARGS, parsePsArgs, parsePsTable } from "../darwin/ps.ts";
import { DEFAULT_KERNEL_UNITS, type KernelUnits, parseAuxv, wordBytesOf } from "../linux/auxv.ts";
import { isGone, SmallFileReader } from "../linux/files.ts";
import { parsePasswd } from "../linux/passwd.ts";
import { parseMachineStat, parseUptime, roundPercent } from "../linux/proc-stat.ts";
import { formatCmdline } from "../redact.ts";
import type { CollectContext, Collector, HostApi, ReportPatch, TickSample } from "./types.ts";

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
  /** procDir is procfs: a process's directory is owned by its effective uid. */
  procfs: boolean;
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
  const formatted = new Map<string, string | undefined>();
  for (const pid of listPids(procDir)) {
    const statText = reader.read(`${procDir}/${pid}/stat`);
    const stat = statText === undefined ? undefined : parsePidStat(statText);
    if (!stat) continue;
    // Kernel threads run as root and have no command line: two reads saved per thread.
    let uid: number | undefined = 0;
    if (!stat.kernelThread) {
      const owner = options.procfs
        ? ownerOf(`${procDir}/${pid}`)
        : uidFromStatus(reader, `${procDir}/${pid}/status`);
      if (owner === null) continue;
      uid = owner;
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
      const cmdline = readCmdline(reader, `${procDir}/${pid}/cmdline`, formatted);
      if (cmdline !== undefined) entry.cmdline = cmdline;
    }
    processes.push(entry);
  }
  return processes;
}

/**
 * The effective uid of a process from the owner of its /proc/<pid> directory, which the
 * kernel keeps as the process's euid (dumpable or not, unlike the files in it). One stat
 * instead of opening, reading and closing `status`, which the kernel formats line by line
 * (~15 ms of system time at 1,300 processes). Null when the process has exited.
 */
function ownerOf(dir: string): number | null {
  try {
    return statSync(dir, { throwIfNoEntry: false })?.uid ?? null;
  } catch (error) {
    if (isGone(error)) return null;
    throw error;
  }
}

/**
 * The effective uid from the `Uid:` line of /proc/<pid>/status (a /proc that is not procfs):
 * undefined when the line is unreadable, null when the process has exited.
 */
function uidFromStatus(reader: SmallFileReader, path: string): number | undefined | null {
  const status = reader.read(path, "latin1");
  return status === undefined ? null : parseEffectiveUid(status);
}

/** PROC_SUPER_MAGIC, the file system type of procfs. */
const PROC_SUPER_MAGIC = 0x9fa0;

/** Whether `dir` is a procfs mount (not a copy of one, as in the tests). */
function isProcfs(dir: string): boolean {
  try {
    return statfsSync(dir).type === PROC_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/**
 * The redacted command line, or undefined for kernel threads and zombies (they have
 * none) and for processes whose command line this user may not read.
 */
function readCmdline(
  reader: SmallFileReader,
  path: string,
  formatted: Map<string, string | undefined>,
): string | undefined {
  let raw: string | undefined;
  try {
    raw = reader.read(path);
  } catch {
    return undefined;
  }
  if (raw === undefined || raw === "") return undefined;
  // Worker pools and idle helpers share their command line: each is redacted once.
  if (formatted.has(raw)) return formatted.get(raw);
  // A command line longer than the buffer arrives cut, far beyond the contract's bound.
  const args = parseCmdline(raw);
  const cmdline = args.length === 0 ? undefined : formatCmdline(args, LIMITS.cmdline);
  formatted.set(raw, cmdline);
  return cmdline;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * The hidepid option of the procfs mount, from /proc/self/mountinfo: with it, a process
 * sees only its own user's processes unless it is root, has CAP_SYS_PTRACE, or is in the
 * mount's gid= group. Undefined when /proc is mounted without it.
 */
export function parseHidepid(mountinfo: string, procDir = "/proc"): string | undefined {
  for (const line of mountinfo.split("\n")) {
    const fields = line.split(" ");
    if (fields[4] !== procDir) continue;
    const superOptions = line.slice(line.indexOf(" - ") + 3).split(" ")[2] ?? "";
    const hidepid = /(?:^|,)hidepid=([^,]+)/.exec(superOptions)?.[1];
    return hidepid === undefined || hidepid === "0" || hidepid === "off" ? undefined : hidepid;
  }
  return undefined;
}

/** A warning for the report when this agent may not see every process. */
function visibilityProblem(procDir: string): string | undefined {
  if (process.geteuid?.() === 0) return undefined;
  const hidepid = parseHidepid(readText(`${procDir}/self/mountinfo`) ?? "", procDir);
  if (hidepid === undefined) return undefined;
  return `${procDir} is mounted with hidepid=${hidepid}: processes of other users may be missing (run the agent with the mount's gid= group or CAP_SYS_PTRACE)`;
}

async function collectLinuxProcesses(ctx: CollectContext): Promise<ReportPatch> {
  const procDir = ctx.paths.proc;
  const reader = new SmallFileReader();
  const units = readKernelUnits(procDir, ctx.host);
  // The counters to measure from: the previous collection's (daemon mode), else a first
  // sample now and a second after the window, else none (averages since each start).
  const previous = ctx.previous?.processes;
  const windowed = previous === undefined && ctx.cpuWindowMs > 0;
  const monotonic = () => ctx.clock.monotonic();
  const first = previous ?? (windowed ? sampleTicks(reader, procDir, monotonic) : undefined);
  await ctx.window;

  const machine = parseMachineStat(readText(`${procDir}/stat`) ?? "");
  const users = parsePasswd(readText(`${ctx.paths.etc}/passwd`) ?? "");
  const uptime = parseUptime(readText(`${procDir}/uptime`) ?? "");
  const record = ctx.record ? new Map<number, TickSample>() : undefined;
  const cpuPercent = (pid: number, ticks: number, startTime: number): number => {
    const at = monotonic();
    record?.set(pid, { startTime, ticks, at });
    const before = first?.get(pid);
    // Same pid, same start time: the same process, measured over its own interval.
    if (before !== undefined && before.startTime === startTime) {
      return cpuPercentOverWindow(before.ticks, ticks, units.clockTicks, at - before.at);
    }
    // New since the first sample (or no sample at all): its whole life lies in the
    // interval, so its average since start is its use over the interval.
    return uptime === undefined
      ? 0
      : cpuPercentSinceStart(ticks, startTime, uptime, units.clockTicks);
  };

  const processes = readProcesses(reader, {
    procDir,
    procfs: isProcfs(procDir),
    users,
    units,
    bootTime: machine.bootTime,
    cmdline: ctx.cmdline,
    cpuPercent,
  });
  if (ctx.record && record) ctx.record.processes = record;
  if (processes.length === 0) {
    throw new Error(`no process found in ${procDir}: is procfs mounted?`);
  }
  const problems: string[] = [];
  const hidden = visibilityProblem(procDir);
  if (hidden) problems.push(hidden);
  if (processes.length > LIMITS.processes) {
    problems.push(`${processes.length} processes, only the first ${LIMITS.processes} are sent`);
  }
  return {
    processes: processes.slice(0, LIMITS.processes),
    problems: problems.length > 0 ? problems : undefined,
  };
}

/**
 * macOS: `ps` for the table and, unless command lines are off, once more for the
 * arguments. CPU % is ps's own (a decaying average over about a minute), not measured
 * over the window.
 */
async function collectDarwinProcesses(ctx: CollectContext): Promise<ReportPatch> {
  const [table, args] = await Promise.all([
    ctx.exec("ps", PS_TABLE_ARGS),
    ctx.cmdline ? ctx.exec("ps", PS_ARGS_ARGS) : Promise.resolve(""),
  ]);
  const rows = parsePsTable(table);
  if (rows.length === 0) throw new Error("ps printed no process");
  const argv = parsePsArgs(args);
  const processes = rows.slice(0, LIMITS.processes).map((row) => {
    const entry: ReportProcess = {
      pid: row.pid,
      ppid: row.ppid,
      name: row.name.slice(0, LIMITS.name),
      user: row.user.slice(0, LIMITS.name),
      cpu_percent: roundPercent(Math.min(100_000, Math.max(0, row.cpuPercent))),
      rss_bytes: row.rssBytes,
    };
    if (row.startedAt) entry.started_at = row.startedAt.toISOString();
    const words = ctx.cmdline ? argv.get(row.pid) : undefined;
    if (words) entry.cmdline = formatCmdline(words, LIMITS.cmdline);
    return entry;
  });
  return {
    processes,
    problems:
      rows.length > LIMITS.processes
        ? [`${rows.length} processes, only the first ${LIMITS.processes} are sent`]
        : undefined,
  };
}

export const processesCollector: Collector = {
  description: "Running processes: pid, parent, name, user, CPU %, memory, start, command line",
  platforms: { linux: collectLinuxProcesses, darwin: collectDarwinProcesses },
};
