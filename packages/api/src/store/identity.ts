import type { ReportProcess } from "@compliance/contract";

// What makes a process or a session "the same one" from one execution to the next. Any
// difference starts a new lifetime: a pid reused by another program, a process that
// changed its name or user, a session reopened on the same terminal.
//
// Keys are built on every ingest for every process, so they are plain strings with
// length-prefixed text (unambiguous whatever the text holds) rather than JSON.

const text = (s: string | null | undefined) =>
  s === undefined || s === null ? "-" : `${s.length}:${s}`;
const num = (n: number | null | undefined) => (n === undefined || n === null ? "-" : String(n));

export function processKey(p: {
  pid: number;
  ppid: number;
  name: string;
  user: string;
  started_at?: string | null | undefined;
  cmdline?: string | null | undefined;
}): string {
  return `${p.pid}|${p.ppid}|${text(p.name)}|${text(p.user)}|${text(p.started_at)}|${text(p.cmdline)}`;
}

export function sessionKey(s: {
  user: string;
  terminal: string;
  remote_host?: string | null | undefined;
  started_at?: string | null | undefined;
  pid?: number | null | undefined;
}): string {
  return `${text(s.user)}|${text(s.terminal)}|${text(s.remote_host)}|${text(s.started_at)}|${num(s.pid)}`;
}

/** Canonical order of an execution's processes: by pid, unique within one execution. */
export const compareProcesses = (a: ReportProcess, b: ReportProcess) => a.pid - b.pid;

/** Canonical order of sessions: by their key, unique within one execution. */
export const compareSessionKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
