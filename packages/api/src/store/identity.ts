import type { ReportProcess, ReportSession } from "@compliance/contract";

// What makes a process or a session "the same one" from one execution to the next. Any
// difference starts a new lifetime: a pid reused by another program, a process that
// changed its name or user, a session reopened on the same terminal.

export function processKey(p: {
  pid: number;
  ppid: number;
  name: string;
  user: string;
  started_at?: string | undefined;
  cmdline?: string | undefined;
}): string {
  return JSON.stringify([p.pid, p.ppid, p.name, p.user, p.started_at ?? null, p.cmdline ?? null]);
}

export function sessionKey(s: ReportSession): string {
  return JSON.stringify([
    s.user,
    s.terminal,
    s.remote_host ?? null,
    s.started_at ?? null,
    s.pid ?? null,
  ]);
}

/** Canonical order of an execution's processes: by pid, unique within one execution. */
export const compareProcesses = (a: ReportProcess, b: ReportProcess) => a.pid - b.pid;

/** Canonical order of sessions: by their key, unique within one execution. */
export const compareSessionKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
