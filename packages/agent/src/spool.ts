import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { basename, join } from "node:path";
import type { Report } from "@compliance/contract";
import { LIMITS } from "@compliance/contract/limits";
import { StateError } from "./errors.ts";
import { errnoOf } from "./linux/files.ts";

/** A report waiting in the spool. */
export interface SpoolEntry {
  /** Order of arrival: the oldest has the smallest. */
  readonly seq: number;
  readonly reportId: string;
  readonly file: string;
  readonly bytes: number;
}

export interface SpoolOptions {
  /** The spool directory (inside the state directory). */
  dir: string;
  maxReports: number;
  maxBytes: number;
}

/** The contract's bound on `agent.set_aside.last_error`. */
const LAST_ERROR_MAX = LIMITS.message;
const ENTRY_NAME = /^(\d{12})-([0-9A-Za-z-]{1,64})\.json$/;
const TEMP_PREFIX = ".tmp-";
const DROPPED_FILE = "dropped";
/** How many times each waiting report was refused (a JSON object: file name → count). */
const REFUSALS_FILE = "refusals.json";
/** What the API has not been told yet of the reports set aside (JSON, see SetAside). */
const SET_ASIDE_FILE = "set-aside.json";
/** Where reports set aside go, inside the spool directory. */
export const SET_ASIDE_DIR = "rejected";
/**
 * Reports set aside that are kept for a person to look at or send again. Beyond this the
 * oldest is removed, and the removal logged.
 */
export const SET_ASIDE_KEPT = 50;

/** What the next delivered report tells the API of the reports set aside since the last one. */
export type SetAside = NonNullable<Report["agent"]["set_aside"]>;

/** What the spool has to tell the API with the next report it delivers. */
export interface SpoolNews {
  /** Reports dropped to make room. */
  dropped: number;
  /** Reports set aside, when any. */
  setAside: SetAside | undefined;
}

/** Why a report was set aside: the API's status (none for a file that is not JSON) and message. */
export interface SetAsideReason {
  status?: number;
  error: string;
}

function spoolError(action: string, path: string, error: unknown): StateError {
  return new StateError(`cannot ${action} ${path} (${errnoOf(error) ?? String(error)})`, {
    cause: error,
  });
}

/**
 * Writes a file so that a crash leaves either the old state or the whole new file, never
 * half of one: a temporary file, fsync'ed, renamed over the name, and the directory
 * fsync'ed so the rename itself survives a power cut.
 */
export function writeFileAtomic(dir: string, name: string, data: string, mode = 0o600): void {
  const temporary = join(dir, `${TEMP_PREFIX}${process.pid}-${name}`);
  try {
    const fd = openSync(temporary, "w", mode);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, join(dir, name));
    syncDirectory(dir);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The reports not yet acknowledged by the API, one file each, named by arrival order and
 * report id. A report is put here before it is sent and removed only after the API
 * acknowledged it, so a crash or a kill at any moment loses nothing; a resend of a
 * report the API did store is answered as stored (its idempotency on report_id), so
 * nothing is stored twice either.
 *
 * Bounded by count and bytes: to make room, the oldest reports are dropped and counted;
 * the count goes with the next delivered report (`agent.dropped_reports`) and is kept on
 * disk until then.
 *
 * A report the API keeps refusing is set aside: moved to `rejected/` (the last
 * SET_ASIDE_KEPT kept), counted, and told with the next delivered report
 * (`agent.set_aside`), so it no longer holds back the reports behind it. The refusals of
 * each waiting report are counted on disk, so the count survives a restart and `run
 * --once` runs alike.
 */
export class Spool {
  readonly dir: string;
  private readonly maxReports: number;
  private readonly maxBytes: number;
  private entries: SpoolEntry[] = [];
  private totalBytes = 0;
  private nextSeq = 1;
  private droppedCount = 0;
  private refusalCounts = new Map<string, number>();
  private setAsideNews: SetAside | undefined;

  constructor(options: SpoolOptions) {
    this.dir = options.dir;
    this.maxReports = options.maxReports;
    this.maxBytes = options.maxBytes;
  }

  /** Creates the directory (0700), removes what a crash left half-written, and indexes the rest. */
  open(): this {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const entries: SpoolEntry[] = [];
      for (const name of readdirSync(this.dir)) {
        if (name.startsWith(TEMP_PREFIX)) {
          rmSync(join(this.dir, name), { force: true });
          continue;
        }
        const match = ENTRY_NAME.exec(name);
        if (!match) continue;
        const file = join(this.dir, name);
        entries.push({
          seq: Number(match[1]),
          reportId: match[2]!,
          file,
          bytes: statSync(file).size,
        });
      }
      entries.sort((a, b) => a.seq - b.seq);
      this.entries = entries;
      this.totalBytes = entries.reduce((sum, entry) => sum + entry.bytes, 0);
      this.nextSeq = (entries.at(-1)?.seq ?? 0) + 1;
      this.droppedCount = this.readDropped();
      const waiting = new Set(entries.map((entry) => basename(entry.file)));
      this.refusalCounts = new Map([...this.readRefusals()].filter(([name]) => waiting.has(name)));
      this.setAsideNews = this.readSetAside();
    } catch (error) {
      if (error instanceof StateError) throw error;
      throw spoolError("open the spool", this.dir, error);
    }
    return this;
  }

  /** Reports waiting. */
  get count(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Reports dropped to make room and not yet told to the API. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Every waiting report, oldest first. */
  list(): readonly SpoolEntry[] {
    return this.entries;
  }

  oldest(): SpoolEntry | undefined {
    return this.entries[0];
  }

  /**
   * Adds a report (durably, see writeFileAtomic) after dropping the oldest ones until it
   * fits. The new report itself is always kept, even when it alone is over the byte bound.
   */
  put(reportId: string, body: string): SpoolEntry {
    const bytes = Buffer.byteLength(body);
    let dropped = 0;
    while (
      this.entries.length > 0 &&
      (this.entries.length + 1 > this.maxReports || this.totalBytes + bytes > this.maxBytes)
    ) {
      this.forget(this.entries[0]!);
      dropped++;
    }
    if (dropped > 0) this.setDropped(this.droppedCount + dropped);
    const seq = this.nextSeq++;
    const name = `${String(seq).padStart(12, "0")}-${reportId}.json`;
    try {
      writeFileAtomic(this.dir, name, body);
    } catch (error) {
      throw spoolError("write the report to", join(this.dir, name), error);
    }
    const entry: SpoolEntry = { seq, reportId, file: join(this.dir, name), bytes };
    this.entries.push(entry);
    this.totalBytes += bytes;
    return entry;
  }

  /** The report's JSON text; undefined when its file is gone (removed by another run). */
  read(entry: SpoolEntry): string | undefined {
    try {
      return readFileSync(entry.file, "utf8");
    } catch (error) {
      if (errnoOf(error) === "ENOENT") {
        this.unindex(entry);
        return undefined;
      }
      throw spoolError("read", entry.file, error);
    }
  }

  /** What the next delivered report should tell the API. */
  get news(): SpoolNews {
    return { dropped: this.droppedCount, setAside: this.setAsideNews };
  }

  /** The API acknowledged the report, which told it `told`: that much is done. */
  acknowledge(entry: SpoolEntry, told: SpoolNews = { dropped: 0, setAside: undefined }): void {
    this.forget(entry);
    if (told.dropped > 0) this.setDropped(Math.max(0, this.droppedCount - told.dropped));
    const news = this.setAsideNews;
    if (told.setAside && news) {
      const count = news.count - told.setAside.count;
      this.saveSetAside(count > 0 ? { ...news, count } : undefined);
    }
  }

  /** How many times the API refused this waiting report. */
  refusals(entry: SpoolEntry): number {
    return this.refusalCounts.get(basename(entry.file)) ?? 0;
  }

  /** Counts one more refusal of the report (on disk) and returns how many there were. */
  countRefusal(entry: SpoolEntry): number {
    const count = this.refusals(entry) + 1;
    this.refusalCounts.set(basename(entry.file), count);
    this.saveRefusals();
    return count;
  }

  /**
   * Moves the report to `rejected/`, where a person can look at it or put it back in the
   * spool to send it again, and counts it for the API. Only the last SET_ASIDE_KEPT stay
   * there: returns where the report went and the older ones removed to keep that bound.
   */
  setAside(entry: SpoolEntry, reason: SetAsideReason): { movedTo: string; removed: string[] } {
    const dir = join(this.dir, SET_ASIDE_DIR);
    const target = join(dir, basename(entry.file));
    let removed: string[] = [];
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      renameSync(entry.file, target);
      syncDirectory(this.dir);
      const kept = readdirSync(dir)
        .filter((name) => ENTRY_NAME.test(name))
        .sort();
      removed = kept.slice(0, Math.max(0, kept.length - SET_ASIDE_KEPT)).map((n) => join(dir, n));
      for (const file of removed) rmSync(file, { force: true });
    } catch (error) {
      if (errnoOf(error) !== "ENOENT") throw spoolError("move the report to", target, error);
    }
    this.unindex(entry);
    this.saveSetAside({
      count: (this.setAsideNews?.count ?? 0) + 1,
      ...(reason.status !== undefined ? { last_status: reason.status } : {}),
      last_error: reason.error.slice(0, LAST_ERROR_MAX),
    });
    return { movedTo: target, removed };
  }

  private forget(entry: SpoolEntry): void {
    try {
      rmSync(entry.file, { force: true });
    } catch (error) {
      throw spoolError("remove", entry.file, error);
    }
    this.unindex(entry);
  }

  private unindex(entry: SpoolEntry): void {
    if (this.refusalCounts.delete(basename(entry.file))) this.saveRefusals();
    const index = this.entries.findIndex((e) => e.seq === entry.seq);
    if (index < 0) return;
    this.entries.splice(index, 1);
    this.totalBytes -= entry.bytes;
  }

  private readDropped(): number {
    try {
      const value = Number(readFileSync(join(this.dir, DROPPED_FILE), "utf8").trim());
      return Number.isSafeInteger(value) && value > 0 ? value : 0;
    } catch {
      return 0;
    }
  }

  private readRefusals(): Map<string, number> {
    const counts = new Map<string, number>();
    try {
      const saved: unknown = JSON.parse(readFileSync(join(this.dir, REFUSALS_FILE), "utf8"));
      for (const [name, count] of Object.entries(saved as Record<string, unknown>)) {
        if (ENTRY_NAME.test(name) && Number.isSafeInteger(count) && (count as number) > 0) {
          counts.set(name, count as number);
        }
      }
    } catch {
      // None yet, or unreadable: every waiting report starts again from no refusal.
    }
    return counts;
  }

  private saveRefusals(): void {
    const file = join(this.dir, REFUSALS_FILE);
    try {
      if (this.refusalCounts.size === 0) rmSync(file, { force: true });
      else
        writeFileAtomic(
          this.dir,
          REFUSALS_FILE,
          JSON.stringify(Object.fromEntries(this.refusalCounts)),
        );
    } catch (error) {
      throw spoolError("write", file, error);
    }
  }

  private readSetAside(): SetAside | undefined {
    try {
      const saved = JSON.parse(readFileSync(join(this.dir, SET_ASIDE_FILE), "utf8")) as SetAside;
      if (!Number.isSafeInteger(saved.count) || saved.count <= 0) return undefined;
      return {
        count: saved.count,
        ...(Number.isInteger(saved.last_status) ? { last_status: saved.last_status } : {}),
        ...(typeof saved.last_error === "string"
          ? { last_error: saved.last_error.slice(0, LAST_ERROR_MAX) }
          : {}),
      };
    } catch {
      return undefined;
    }
  }

  private saveSetAside(value: SetAside | undefined): void {
    this.setAsideNews = value;
    const file = join(this.dir, SET_ASIDE_FILE);
    try {
      if (value === undefined) rmSync(file, { force: true });
      else writeFileAtomic(this.dir, SET_ASIDE_FILE, `${JSON.stringify(value)}\n`);
    } catch (error) {
      throw spoolError("write", file, error);
    }
  }

  private setDropped(value: number): void {
    this.droppedCount = value;
    try {
      writeFileAtomic(this.dir, DROPPED_FILE, `${value}\n`);
    } catch (error) {
      throw spoolError("write", join(this.dir, DROPPED_FILE), error);
    }
  }
}

/**
 * The report with what the spool has to tell added to `agent`: the number of dropped
 * reports, and the reports set aside. It rides on whichever report is delivered next, so
 * it reaches the API as soon as anything does.
 */
export function withSpoolNews(body: string, news: SpoolNews): string {
  if (news.dropped <= 0 && news.setAside === undefined) return body;
  const report = JSON.parse(body) as { agent?: Record<string, unknown> };
  const agent: Record<string, unknown> = { ...report.agent };
  if (news.dropped > 0) agent.dropped_reports = Number(agent.dropped_reports ?? 0) + news.dropped;
  if (news.setAside !== undefined) agent.set_aside = news.setAside;
  report.agent = agent;
  return JSON.stringify(report);
}
