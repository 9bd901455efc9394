import { readFileSync } from "node:fs";
import type { ReportSession } from "@compliance/contract";
import { LIMITS } from "@compliance/contract/limits";
import { parseWho } from "../darwin/who.ts";
import { errnoOf } from "../linux/files.ts";
import {
  type CollectContext,
  type Collector,
  CollectorFailure,
  type ReportPatch,
} from "./types.ts";

/** Layout of `struct utmp` on Linux (glibc, 64-bit and 32-bit alike). */
export const UTMP_RECORD_BYTES = 384;
/** ut_type of a logged-in user's session; LOGIN_PROCESS (6) and DEAD_PROCESS (8) are not. */
export const USER_PROCESS = 7;
const TYPE_AT = 0;
const PID_AT = 4;
const LINE_AT = 8;
const LINE_BYTES = 32;
const USER_AT = 44;
const USER_BYTES = 32;
const HOST_AT = 76;
const HOST_BYTES = 256;
const TV_SEC_AT = 340;
const TV_USEC_AT = 344;

/** A NUL-padded char array; it has no terminator when it fills its field. */
function cString(bytes: Uint8Array, at: number, length: number): string {
  const field = bytes.subarray(at, at + length);
  const nul = field.indexOf(0);
  return Buffer.from(field.buffer, field.byteOffset, nul < 0 ? length : nul).toString("utf8");
}

/**
 * Parses a utmp file into the open user sessions. Identical records (left behind by
 * crashed login programs) are merged: the contract rejects a session listed twice.
 */
export function parseUtmp(bytes: Uint8Array, littleEndian = true): ReportSession[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sessions: ReportSession[] = [];
  const seen = new Set<string>();
  for (let at = 0; at + UTMP_RECORD_BYTES <= bytes.byteLength; at += UTMP_RECORD_BYTES) {
    if (view.getInt32(at + TYPE_AT, littleEndian) !== USER_PROCESS) continue;
    const user = cString(bytes, at + USER_AT, USER_BYTES);
    if (user === "") continue;
    const session: ReportSession = {
      user: user.slice(0, LIMITS.name),
      terminal: cString(bytes, at + LINE_AT, LINE_BYTES).slice(0, LIMITS.terminal),
    };
    const host = cString(bytes, at + HOST_AT, HOST_BYTES);
    if (host !== "") session.remote_host = host.slice(0, LIMITS.name);
    const seconds = view.getInt32(at + TV_SEC_AT, littleEndian);
    const micros = view.getInt32(at + TV_USEC_AT, littleEndian);
    if (seconds > 0) {
      session.started_at = new Date(seconds * 1000 + Math.floor(micros / 1000)).toISOString();
    }
    const pid = view.getInt32(at + PID_AT, littleEndian);
    if (pid > 0) session.pid = pid;
    const key = JSON.stringify([
      session.user,
      session.terminal,
      session.remote_host,
      session.started_at,
      session.pid,
    ]);
    if (seen.has(key)) continue;
    seen.add(key);
    sessions.push(session);
  }
  return sessions;
}

/**
 * Reads the sessions from utmp. Without a readable utmp the sessions are unknown, which is
 * not the same as nobody logged in: the failure goes to the report's `errors`.
 */
export function readSessions(path: string, littleEndian: boolean): ReportSession[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const reason =
      errnoOf(error) === "ENOENT"
        ? `no utmp at ${path}`
        : `cannot read ${path} (${errnoOf(error) ?? String(error)})`;
    throw new CollectorFailure(`${reason}: sessions unknown`, { cause: error });
  }
  return parseUtmp(bytes, littleEndian).slice(0, LIMITS.sessions);
}

function collectLinuxSessions(ctx: CollectContext): ReportPatch {
  return { sessions: readSessions(ctx.paths.utmp, ctx.host.endianness() === "LE") };
}

/** macOS: `who` (it reads utmpx); it shows no pid, and times to the minute. */
async function collectDarwinSessions(ctx: CollectContext): Promise<ReportPatch> {
  const sessions: ReportSession[] = [];
  const seen = new Set<string>();
  for (const who of parseWho(await ctx.exec("who", []), new Date(ctx.clock.now()))) {
    const session: ReportSession = {
      user: who.user.slice(0, LIMITS.name),
      terminal: who.terminal.slice(0, LIMITS.terminal),
    };
    if (who.remoteHost) session.remote_host = who.remoteHost.slice(0, LIMITS.name);
    if (who.startedAt) session.started_at = who.startedAt.toISOString();
    const key = JSON.stringify(session);
    if (seen.has(key)) continue;
    seen.add(key);
    sessions.push(session);
  }
  return { sessions: sessions.slice(0, LIMITS.sessions) };
}

export const sessionsCollector: Collector = {
  description: "Users with an open session (utmp; who on macOS)",
  platforms: { linux: collectLinuxSessions, darwin: collectDarwinSessions },
};
