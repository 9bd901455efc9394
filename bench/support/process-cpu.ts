// CPU time a process has used (user + system), from /proc: what a server spent on the work a
// benchmark gave it, whatever else the machine was doing meanwhile (unlike a rate, which a
// busy machine lowers). Resolution is the kernel's clock tick (10 ms): measure thousands of
// requests at a time.
import { readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command (which may hold spaces) in parentheses; utime and stime are
  // the 14th and 15th fields of the line.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}
