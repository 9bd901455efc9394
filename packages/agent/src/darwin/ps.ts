/**
 * Parsers of macOS `ps` output. The columns are asked for with empty headers (`pid=`),
 * in the C locale, so every line is data and numbers use a dot.
 */

/** Arguments of `ps` for the process table; `comm` is last because it may hold spaces. */
export const PS_TABLE_ARGS = ["-axo", "pid=,ppid=,user=,%cpu=,rss=,lstart=,comm="] as const;
/** Arguments of `ps` for the command lines (`ww`: not cut to the terminal's width). */
export const PS_ARGS_ARGS = ["-axww", "-o", "pid=,args="] as const;

export interface PsProcess {
  pid: number;
  ppid: number;
  user: string;
  /** BSD %cpu: a decaying average over about the last minute, 100 = one core. */
  cpuPercent: number;
  rssBytes: number;
  /** Local time of the host, as `lstart` prints it. */
  startedAt: Date | undefined;
  /** The executable's name (the last part of comm's path). */
  name: string;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A month name of the C locale to its index, or -1. */
export function monthIndex(name: string): number {
  return MONTHS.indexOf(name);
}

const TABLE_LINE =
  /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\d+(?:\.\d+)?)\s+(\d+)\s+\w{3}\s+(\w{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})\s(.*)$/;

/**
 * Parses `ps -axo pid=,ppid=,user=,%cpu=,rss=,lstart=,comm=`. `lstart` is five words
 * (`Mon Nov 22 10:15:53 2026`) in the host's local time; `rss` is in KiB; `comm` is the
 * executable's path. Lines that do not fit are skipped.
 */
export function parsePsTable(text: string): PsProcess[] {
  const processes: PsProcess[] = [];
  for (const line of text.split("\n")) {
    const m = TABLE_LINE.exec(line);
    if (!m) continue;
    const month = monthIndex(m[6]!);
    const startedAt =
      month < 0
        ? undefined
        : new Date(Number(m[11]), month, Number(m[7]), Number(m[8]), Number(m[9]), Number(m[10]));
    const comm = m[12]!.trim();
    // Kernel-side names come in parentheses, e.g. "(kernel_task)"; keep them whole.
    const name = comm.startsWith("(") ? comm : (comm.split("/").pop() ?? comm);
    processes.push({
      pid: Number(m[1]),
      ppid: Number(m[2]),
      user: m[3]!,
      cpuPercent: Number(m[4]),
      rssBytes: Number(m[5]) * 1024,
      startedAt: startedAt && !Number.isNaN(startedAt.getTime()) ? startedAt : undefined,
      name: name || comm,
    });
  }
  return processes;
}

/** Parses `ps -axww -o pid=,args=` into pid -> the arguments (split at spaces). */
export function parsePsArgs(text: string): Map<number, string[]> {
  const args = new Map<number, string[]>();
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+)\s(.*)$/.exec(line);
    if (!m) continue;
    const words = m[2]!
      .trim()
      .split(/\s+/)
      .filter((word) => word !== "");
    if (words.length > 0) args.set(Number(m[1]), words);
  }
  return args;
}
