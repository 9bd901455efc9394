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
import { join } from "node:path";
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

const ENTRY_NAME = /^(\d{12})-([0-9A-Za-z-]{1,64})\.json$/;
const TEMP_PREFIX = ".tmp-";
const DROPPED_FILE = "dropped";
const REJECTED_DIR = "rejected";
/** Reports the API refused for good, kept for a person to look at; the oldest go first. */
const REJECTED_KEPT = 20;

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
 */
export class Spool {
  readonly dir: string;
  private readonly maxReports: number;
  private readonly maxBytes: number;
  private entries: SpoolEntry[] = [];
  private totalBytes = 0;
  private nextSeq = 1;
  private droppedCount = 0;

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

  /** The API acknowledged the report, which told it `droppedTold` drops: both are done. */
  acknowledge(entry: SpoolEntry, droppedTold = 0): void {
    this.forget(entry);
    if (droppedTold > 0) this.setDropped(Math.max(0, this.droppedCount - droppedTold));
  }

  /**
   * The API refused the report for good (400, 403, 413): it moves to `rejected/` for a
   * person to look at (the last 20 are kept) and stops blocking the reports behind it.
   */
  reject(entry: SpoolEntry): string {
    const dir = join(this.dir, REJECTED_DIR);
    const target = join(dir, `${String(entry.seq).padStart(12, "0")}-${entry.reportId}.json`);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      renameSync(entry.file, target);
      const kept = readdirSync(dir)
        .filter((name) => ENTRY_NAME.test(name))
        .sort();
      for (const name of kept.slice(0, Math.max(0, kept.length - REJECTED_KEPT))) {
        rmSync(join(dir, name), { force: true });
      }
    } catch (error) {
      if (errnoOf(error) !== "ENOENT") throw spoolError("move the report to", target, error);
    }
    this.unindex(entry);
    return target;
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
 * The report with the number of dropped reports added to `agent`, when there are any:
 * the count rides on whichever report is delivered next, so it reaches the API as soon
 * as anything does.
 */
export function withDroppedCount(body: string, dropped: number): string {
  if (dropped <= 0) return body;
  const report = JSON.parse(body) as { agent?: Record<string, unknown> };
  const already = Number(report.agent?.dropped_reports ?? 0);
  report.agent = { ...report.agent, dropped_reports: already + dropped };
  return JSON.stringify(report);
}
