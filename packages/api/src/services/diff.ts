import type { Diff, ReportProcess, ReportSession } from "@compliance/contract";
import { type Facts, factChanges } from "../store/facts.ts";
import { processKey, sessionKey } from "../store/identity.ts";

/**
 * What changed between two executions: processes started and ended, processes that kept
 * their pid and start time but changed name, user, parent or command line, sessions opened
 * and closed, and the facts that differ. CPU % and RSS are not changes: they move at every
 * check-in and are read from each execution.
 */
export function diffExecutions(
  from: {
    processes: ReportProcess[];
    sessions: ReportSession[];
    sessionsKnown: boolean;
    facts: Facts;
  },
  to: {
    processes: ReportProcess[];
    sessions: ReportSession[];
    sessionsKnown: boolean;
    facts: Facts;
  },
): Pick<Diff, "processes" | "sessions" | "facts"> {
  const fromKeys = new Map(from.processes.map((p) => [processKey(p), p]));
  const toKeys = new Map(to.processes.map((p) => [processKey(p), p]));
  const ended = from.processes.filter((p) => !toKeys.has(processKey(p)));
  const started = to.processes.filter((p) => !fromKeys.has(processKey(p)));

  // A process with the same pid and start time on both sides is one process that changed.
  const lifetime = (p: ReportProcess) => `${p.pid}\u0000${p.started_at ?? ""}`;
  const endedByLifetime = new Map(ended.map((p) => [lifetime(p), p]));
  const changed: Diff["processes"]["changed"] = [];
  const reallyStarted: ReportProcess[] = [];
  for (const p of started) {
    const before = p.started_at !== undefined ? endedByLifetime.get(lifetime(p)) : undefined;
    if (before) {
      changed.push({ before, after: p });
      endedByLifetime.delete(lifetime(p));
    } else {
      reallyStarted.push(p);
    }
  }
  const reallyEnded = ended.filter((p) => endedByLifetime.get(lifetime(p)) === p);

  const fromSessions = new Set(from.sessions.map(sessionKey));
  const toSessions = new Set(to.sessions.map(sessionKey));
  const byPid = (a: ReportProcess, b: ReportProcess) => a.pid - b.pid;
  return {
    processes: {
      started: reallyStarted.sort(byPid),
      ended: reallyEnded.sort(byPid),
      changed: changed.sort((a, b) => a.after.pid - b.after.pid),
    },
    // When either side could not read sessions, nothing is known to have opened or closed.
    sessions:
      from.sessionsKnown && to.sessionsKnown
        ? {
            known: true,
            opened: to.sessions.filter((s) => !fromSessions.has(sessionKey(s))),
            closed: from.sessions.filter((s) => !toSessions.has(sessionKey(s))),
          }
        : { known: false, opened: [], closed: [] },
    facts: factChanges(from.facts, to.facts),
  };
}
