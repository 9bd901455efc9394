import { createHash } from "node:crypto";
import { isIP } from "node:net";
import {
  type CollectorError,
  LIMITS,
  type Report,
  type ReportProcess,
  type ReportSession,
} from "@compliance/contract";
import { badRequest } from "../errors.ts";

/**
 * What every seed's mapper shares: how a legacy host is keyed, how its report gets a
 * report_id, how its times and addresses are read, and how the fields a seed never sends
 * are reported as unknown (the report's `errors`) instead of as fake zeros.
 */

export type SeedId = "000" | "001" | "002" | "003" | "004";

/** Collector names, as our own agent's registry spells them in `errors`. */
export type Collector = "hostname" | "os" | "cpu" | "memory" | "processes" | "sessions";

/** Hosts of the seeds' agents have no identifier of their own: they are keyed by IP. */
export const LEGACY_PREFIX = "legacy:ip:";
export const LEGACY_SOURCE = "legacy";
export const legacyIdentifier = (ip: string) => `${LEGACY_PREFIX}${ip}`;

/** A 400 that names the field, in the API's one error shape. */
export function invalid(path: string, message: string): Error {
  return badRequest("invalid_request", `${path} ${message}`, [{ path, message }]);
}

// ---- report ids -------------------------------------------------------------------------

// Fixed forever: every stored legacy report_id depends on it.
const NAMESPACE = Buffer.from("5c0a7e1f9b2d4c6e8a1b3d5f7e9c0b2a", "hex");

/**
 * A UUID (version 5 layout: SHA-1 of a namespace and a name) from the parts given. The
 * same seed, address, time and body always give the same id, so a resent report is stored
 * once (store.ingest is idempotent on report_id).
 */
export function legacyUuid(...parts: string[]): string {
  const h = createHash("sha1").update(NAMESPACE).update(parts.join("\u0000")).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// ---- addresses ----------------------------------------------------------------------------

/**
 * The addresses of a seed's IP field, primary first. seed 000 filled it from `hostname -I`,
 * so it may hold several separated by spaces; commas are tolerated too.
 */
export function legacyIps(value: string, path: string): string[] {
  const parts = value
    .split(/[\s,]+/)
    .map((p) => p.trim().toLowerCase())
    .filter((p) => p !== "");
  if (parts.length === 0) throw invalid(path, "must hold an IP address");
  const ips: string[] = [];
  for (const p of parts) {
    if (p.length > LIMITS.ip || isIP(p) === 0) {
      throw invalid(path, `holds "${p.slice(0, 80)}", which is not an IP address`);
    }
    if (!ips.includes(p)) ips.push(p);
  }
  if (ips.length > LIMITS.ipAddresses) {
    throw invalid(path, `holds more than ${LIMITS.ipAddresses} addresses`);
  }
  return ips;
}

/** One address (seed 003's `ip` and `host`). */
export function legacyIp(value: string, path: string): string {
  const ips = legacyIps(value, path);
  if (ips.length > 1) throw invalid(path, "must hold one IP address");
  return ips[0]!;
}

// ---- times --------------------------------------------------------------------------------

const EARLIEST_MS = Date.UTC(2000, 0, 1);

export interface LegacyTime {
  /** RFC 3339 UTC, with the fraction of a second as sent (microseconds kept). */
  iso: string;
  ms: number;
}

const SEED_TIME =
  /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,](\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** How far `timeZone` is ahead of UTC at the instant ms. */
function offsetAt(timeZone: string, ms: number): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(new Date(ms));
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second"));
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The instant a wall-clock time (as if UTC) names in `timeZone`. */
export function zonedToUtc(wallMs: number, timeZone: string): number {
  const guess = wallMs - offsetAt(timeZone, wallMs);
  return wallMs - offsetAt(timeZone, guess);
}

/**
 * Reads a seed's time: `YYYY-MM-DD HH:MM:SS`, with or without microseconds. The seeds wrote
 * local time without a zone, and their servers read it as their own local time: it is read
 * in `timeZone` (COMPLIANCE_LEGACY_TZ). An explicit zone (`Z`, `+02:00`) is honoured. A time
 * ahead of the API's clock is the receive time: a legacy report is never in the future.
 */
export function legacyTime(
  value: string,
  path: string,
  nowMs: number,
  timeZone = "UTC",
): LegacyTime {
  const m = SEED_TIME.exec(value.trim());
  if (!m)
    throw invalid(path, "must be a time like 2020-02-25 23:00:55 or 2020-02-25 23:00:55.123456");
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const base = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(base);
  if (
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== mo - 1 ||
    check.getUTCDate() !== d ||
    check.getUTCHours() !== h ||
    check.getUTCMinutes() !== mi ||
    check.getUTCSeconds() !== s
  ) {
    throw invalid(path, "is not a valid date and time");
  }
  const zone = m[8];
  let second: number;
  if (!zone) second = zonedToUtc(base, timeZone);
  else if (zone.toUpperCase() === "Z") second = base;
  else {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    second = base - (z[1] === "-" ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) * 60_000;
  }
  const fraction = m[7] ?? "";
  const ms = second + Number(`${fraction}000`.slice(0, 3));
  if (ms < EARLIEST_MS) throw invalid(path, "is before 2000");
  if (ms > nowMs) return receiveSecond(nowMs);
  return { iso: `${isoSecond(second)}${fraction ? `.${fraction}` : ""}Z`, ms };
}

/** `YYYY-MM-DDTHH:MM:SS` of a time, in UTC, without fraction or zone. */
const isoSecond = (ms: number) => new Date(ms).toISOString().slice(0, 19);

/**
 * For seeds that send no time: the receive time, to the second. Whole seconds keep a
 * report's id (seed, address, second, body) and its content equal when the agent resends
 * it within the same second, and seed 000 names its reports by the second anyway.
 */
export function receiveSecond(nowMs: number): LegacyTime {
  const ms = Math.floor(nowMs / 1000) * 1000;
  return { iso: `${isoSecond(ms)}Z`, ms };
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff]`: a stored RFC 3339 time back in the seeds' notation (UTC). */
export function seedTimeOf(collectedAt: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?/.exec(collectedAt);
  if (m) return `${m[1]} ${m[2]}${m[3] ?? ""}`;
  return isoSecond(Date.parse(collectedAt)).replace("T", " ");
}

// ---- numbers ------------------------------------------------------------------------------

/** A pid sent as a number or as a string of digits (seed 003 sends strings). */
export function toPid(value: number | string, path: string): number {
  const n = typeof value === "number" ? value : Number(value.trim());
  if (!Number.isInteger(n) || n < 0 || n > 2_147_483_647) {
    throw invalid(path, "must be a whole number from 0 to 2147483647");
  }
  return n;
}

/** A number sent as a number or a numeric string; null and missing mean not sent. */
export function toNumber(
  value: number | string | null | undefined,
  path: string,
  max: number,
): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" && value.trim() === "") return null;
  const n = typeof value === "number" ? value : Number(value.trim());
  if (!Number.isFinite(n) || n < 0 || n > max) {
    throw invalid(path, `must be a number from 0 to ${max}`);
  }
  return n;
}

// ---- operating system names -----------------------------------------------------------------

const PLATFORMS: Record<string, string> = {
  linux: "linux",
  darwin: "darwin",
  windows: "win32",
  freebsd: "freebsd",
  openbsd: "openbsd",
  netbsd: "netbsd",
  sunos: "sunos",
  aix: "aix",
};

/** Our platform name (linux, darwin, win32...) for a system name such as `uname -s` gives. */
export function platformOf(system: string): string {
  const first = system.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  return PLATFORMS[first] ?? "";
}

/**
 * Splits what `uname -sn` prints ("Linux debian", seeds 000 and 003) into the system and
 * the node name. Anything else is kept whole as the system name, with no node name.
 */
export function splitUname(value: string): { system: string; node: string | null } {
  const tokens = value.trim().split(/\s+/);
  if (tokens.length === 2 && platformOf(tokens[0]!) !== "") {
    return { system: tokens[0]!, node: tokens[1]! };
  }
  return { system: value.trim(), node: null };
}

/** The inverse of splitUname, for the seeds' read routes. */
export const unameOf = (system: string, hostname: string) =>
  hostname && system ? `${system} ${hostname}` : system || hostname;

// ---- processes and sessions -----------------------------------------------------------------

/** A process of a seed, already converted; `path` names where it was in the body. */
export interface SeedProcess {
  path: string;
  process: ReportProcess;
}

/** A process of a seed: what it did not send is empty or zero (the seeds send no parents or memory). */
export const legacyProcess = (
  pid: number,
  fields: { name?: string | null; user?: string | null; cpu?: number | null },
): ReportProcess => ({
  pid,
  ppid: 0,
  name: fields.name ?? "",
  user: fields.user ?? "",
  cpu_percent: fields.cpu ?? 0,
  rss_bytes: 0,
});

/**
 * One process per pid. A pid sent twice with the same fields is one process; sent twice
 * with different fields it is a broken list (the 400 names both places).
 */
export function uniqueProcesses(items: SeedProcess[]): ReportProcess[] {
  const seen = new Map<number, SeedProcess>();
  const out: ReportProcess[] = [];
  for (const item of items) {
    const first = seen.get(item.process.pid);
    if (first) {
      if (JSON.stringify(first.process) === JSON.stringify(item.process)) continue;
      throw invalid(
        `${item.path}/pid`,
        `repeats pid ${item.process.pid} with other fields (also at ${first.path})`,
      );
    }
    seen.set(item.process.pid, item);
    out.push(item.process);
  }
  return out;
}

/**
 * Sessions from the seeds' user lists. An empty name is nobody (seed 000 sends
 * `[{"name":""}]` when no one is logged in). The seeds send no terminal, so two sessions
 * of one user cannot be told apart: a repeated name (with the same pid, if any) is one session.
 */
export function legacySessions(
  users: { name: string | null | undefined; pid?: number | null | undefined }[],
): ReportSession[] {
  const seen = new Set<string>();
  const out: ReportSession[] = [];
  for (const u of users) {
    const name = u.name?.trim() ?? "";
    if (name === "") continue;
    const key = JSON.stringify([name, u.pid ?? null]);
    if (seen.has(key)) continue;
    seen.add(key);
    const s: ReportSession = { user: name, terminal: "" };
    if (u.pid !== null && u.pid !== undefined) s.pid = u.pid;
    out.push(s);
  }
  return out;
}

// ---- the report -------------------------------------------------------------------------------

export interface LegacyFacts {
  seed: SeedId;
  reportId: string;
  collectedAt: string;
  /** Primary first. */
  ips: string[];
  /** null: the seed did not send it. */
  hostname: string | null;
  os: { name: string; version: string; kernel?: string; arch?: string };
  cpu: { model?: string; vendor?: string; usage: number | null };
  /** null: the seed did not send the list (unknown, not empty). */
  processes: ReportProcess[] | null;
  sessions: ReportSession[] | null;
  /** Why a collector's data is missing, when there is more to say than "not sent". */
  notes?: Partial<Record<Collector, string>>;
}

export const agentVersionOf = (seed: SeedId) => `legacy-${seed}`;

/**
 * A v1 report from what a seed sent. Whatever the seed does not send gets an empty or zero
 * value and an entry in `errors` naming the collector, so readers see unknown, not zero.
 */
export function legacyReport(f: LegacyFacts): Report {
  const errors: CollectorError[] = [];
  const unknown = (collector: Collector) =>
    errors.push({ collector, message: f.notes?.[collector] ?? `not sent by seed ${f.seed}` });
  if (f.hostname === null) unknown("hostname");
  if (f.os.name === "" && f.os.version === "") unknown("os");
  if (f.cpu.usage === null) unknown("cpu");
  unknown("memory");
  if (f.processes === null) unknown("processes");
  if (f.sessions === null) unknown("sessions");
  return {
    schema_version: 1,
    report_id: f.reportId,
    collected_at: f.collectedAt,
    agent: { version: agentVersionOf(f.seed) },
    host: {
      identifier: legacyIdentifier(f.ips[0]!),
      hostname: f.hostname ?? "",
      primary_ip: f.ips[0]!,
      ip_addresses: f.ips,
    },
    os: {
      platform: platformOf(f.os.name),
      name: f.os.name,
      version: f.os.version,
      kernel: f.os.kernel ?? "",
      arch: f.os.arch ?? "",
    },
    cpu: {
      model: f.cpu.model ?? "",
      vendor: f.cpu.vendor ?? "",
      cores: 0,
      usage_percent: f.cpu.usage ?? 0,
    },
    memory: { total_bytes: 0, available_bytes: 0 },
    processes: f.processes ?? [],
    sessions: f.sessions ?? [],
    errors,
  };
}

/** The report's addresses, primary first. */
export function ipsOf(report: Report): string[] {
  const primary = report.host.primary_ip;
  const rest = report.host.ip_addresses.filter((ip) => ip !== primary);
  return primary ? [primary, ...rest] : rest;
}

/** The message a report gives for a collector, when it lists one. */
export const noteOf = (report: Report, collector: Collector) =>
  report.errors?.find((e) => e.collector === collector)?.message;
