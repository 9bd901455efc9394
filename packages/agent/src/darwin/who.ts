import { monthIndex } from "./ps.ts";

export interface WhoSession {
  user: string;
  terminal: string;
  startedAt: Date | undefined;
  remoteHost: string | undefined;
}

const WHO_LINE = /^(\S+)\s+(\S+)\s+(\w{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})(?:\s+\((.*)\))?\s*$/;

/**
 * Parses BSD/macOS `who`: `user line Mmm dd hh:mm [(host)]`, times in local time without
 * a year. The year is this one, or the previous one when that date would be more than a
 * day in the future (a session opened before New Year).
 */
export function parseWho(text: string, now: Date): WhoSession[] {
  const sessions: WhoSession[] = [];
  for (const line of text.split("\n")) {
    const m = WHO_LINE.exec(line.trimEnd());
    if (!m) continue;
    const month = monthIndex(m[3]!);
    let startedAt: Date | undefined;
    if (month >= 0) {
      const at = (year: number) =>
        new Date(year, month, Number(m[4]), Number(m[5]), Number(m[6]), 0);
      startedAt = at(now.getFullYear());
      if (startedAt.getTime() > now.getTime() + 86_400_000) startedAt = at(now.getFullYear() - 1);
    }
    const host = m[7]?.trim();
    sessions.push({
      user: m[1]!,
      terminal: m[2]!,
      startedAt,
      remoteHost: host === undefined || host === "" ? undefined : host,
    });
  }
  return sessions;
}
