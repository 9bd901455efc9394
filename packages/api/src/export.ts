import { createHash, randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Report } from "@compliance/contract";
import type { ArchiveTarget } from "./archive/location.ts";
import { seed000Name } from "./compat/seed-000.ts";
import type { ExecutionCursor, Store } from "./store/store.ts";

/**
 * `compliance-api export`: every stored report (our v1 JSON, rebuilt from the history) as
 * one file `<ip>_<YYYY_MM_DD_H_M_S>.json`, the way seed 000 kept its reports (or one object
 * of that name in a bucket). Walks the
 * store a page at a time, so an export of any size holds one page in memory.
 */

export interface ExportOptions {
  /** The directory written to, unless `target` is given. */
  dir: string;
  /** A bucket written to instead of the directory (`--to s3://bucket/prefix`). */
  target?: ArchiveTarget;
  /** collected_at bounds in ms, inclusive. */
  from?: number;
  to?: number;
  hostId?: number;
  /** A progress line on stderr every this many reports. */
  progressEvery?: number;
  pageSize?: number;
}

export interface ExportIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export interface ExportResult {
  dir: string;
  written: number;
  total: number;
}

/** An export that cannot go on; `exitCode` is what the command exits with. */
export class ExportError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ExportError";
  }
}

const PROGRESS_EVERY = 1000;
const PAGE_SIZE = 500;
/** Reports of one name (one host address, one second) before giving up on suffixes. */
const MAX_SUFFIX = 100_000;

/** "not a directory (ENOTDIR)" from "ENOTDIR: not a directory, mkdir '/x/y'". */
const reasonOf = (e: unknown) => {
  const err = e as NodeJS.ErrnoException;
  const m = /^[A-Z]+: ([^,]+)/.exec(err.message ?? "");
  return m && err.code ? `${m[1]} (${err.code})` : String(err.message ?? e);
};

/** Makes the directory if needed and proves it takes a new file (access() says yes to root). */
async function prepareDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    const probe = join(dir, `.compliance-export-${randomBytes(6).toString("hex")}`);
    await writeFile(probe, "", { flag: "wx" });
    await rm(probe);
  } catch (e) {
    throw new ExportError(`cannot write to ${dir}: ${reasonOf(e)}`, 2, { cause: e });
  }
}

/**
 * The longest host part of a file name: file systems take 255 bytes per name, and the time,
 * a suffix and `.json` follow it. A host identifier may be 255 characters long.
 */
const MAX_WHO = 100;
/** What a longer host part keeps of its start; a hash of the whole follows it, so names stay apart. */
const KEPT_WHO = 80;

/** The file name of a report, without the extension: its primary IP (else its host's identifier) and second. */
export function exportBaseName(report: Report): string {
  const raw = report.host.primary_ip ?? report.host.identifier;
  let who = raw.replace(/[^0-9A-Za-z._-]/g, "-");
  if (who.length > MAX_WHO) {
    const hash = createHash("sha256").update(raw).digest("hex").slice(0, 12);
    who = `${who.slice(0, KEPT_WHO)}-${hash}`;
  }
  return seed000Name(who, report.collected_at);
}

/** The body a report is written with, to a file or to the archive. */
export const reportBody = (report: Report) => `${JSON.stringify(report, null, 2)}\n`;

/**
 * Writes a new file; a name already taken (two reports in one second, or a file from
 * before) gets a suffix, `-2`, `-3`...: an export never overwrites anything.
 */
async function writeNew(dir: string, base: string, data: string): Promise<string> {
  for (let n = 1; n <= MAX_SUFFIX; n++) {
    const name = n === 1 ? `${base}.json` : `${base}-${n}.json`;
    try {
      await writeFile(join(dir, name), data, { flag: "wx" });
      return name;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new ExportError(`cannot write ${join(dir, name)}: ${reasonOf(e)}`, 1, { cause: e });
      }
    }
  }
  throw new ExportError(`more than ${MAX_SUFFIX} files named ${base} in ${dir}`, 1);
}

export async function exportReports(
  store: Store,
  options: ExportOptions,
  io: Pick<ExportIo, "stderr">,
): Promise<ExportResult> {
  const target = options.target;
  const dir = target ? target.where : resolve(options.dir);
  if (options.hostId !== undefined && !(await store.getHost(options.hostId))) {
    throw new ExportError(`no host ${options.hostId}`, 2);
  }
  if (!target) await prepareDirectory(dir);
  const write = target
    ? (base: string, data: string) =>
        target.putNew(base, data).catch((e: unknown) => {
          throw new ExportError(`cannot write to ${dir}: ${(e as Error).message}`, 1, { cause: e });
        })
    : (base: string, data: string) => writeNew(dir, base, data);
  const filter = { hostId: options.hostId, from: options.from, to: options.to };
  const every = options.progressEvery ?? PROGRESS_EVERY;
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const total = await store.countExecutions(filter);
  let written = 0;
  let after: ExecutionCursor | null = null;
  for (;;) {
    const page = await store.executionsAfter(filter, after, pageSize);
    for (const ref of page) {
      // Pruned since the page was read: nothing to write.
      const execution = await store.executionByReportId(ref.reportId);
      if (!execution) continue;
      const report = await store.reportOf(execution);
      await write(exportBaseName(report), reportBody(report));
      written++;
      if (written % every === 0) io.stderr.write(`export: ${written}/${total} reports\n`);
    }
    if (page.length < pageSize) break;
    after = page[page.length - 1]!;
  }
  return { dir, written, total };
}

/** The command: checks its arguments, exports, maps failures to one line and an exit code. */
export async function exportCommand(
  store: Store,
  args: { dir?: string; from?: string; to?: string; host?: string },
  io: ExportIo,
  target?: ArchiveTarget,
): Promise<number> {
  const fail = (message: string, code = 2) => {
    io.stderr.write(`compliance-api export: ${message}\n`);
    return code;
  };
  if (!args.dir && !target) return fail("give --dir <directory> or --to s3://bucket/prefix");
  const time = (value: string | undefined, flag: string) => {
    if (value === undefined) return undefined;
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new ExportError(`${flag} must be an RFC 3339 time`, 2);
    return ms;
  };
  try {
    if (args.host !== undefined && !/^\d{1,15}$/.test(args.host)) {
      return fail("--host must be a host id (a whole number)");
    }
    const result = await exportReports(
      store,
      {
        dir: args.dir ?? "",
        target,
        from: time(args.from, "--from"),
        to: time(args.to, "--to"),
        hostId: args.host === undefined ? undefined : Number(args.host),
      },
      io,
    );
    io.stdout.write(`exported ${result.written} reports to ${result.dir}\n`);
    return 0;
  } catch (e) {
    if (e instanceof ExportError) return fail(e.message, e.exitCode);
    throw e;
  }
}
