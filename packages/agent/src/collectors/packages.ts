import { readdirSync, statSync } from "node:fs";
import type { ReportPackage } from "@compliance/contract";
import { LIMITS } from "@compliance/contract/limits";
import { CommandNotFoundError } from "../exec.ts";
import { parseApkInstalled } from "../linux/apk.ts";
import { DpkgStatusParser } from "../linux/dpkg.ts";
import { errnoOf, isGone, readInPieces } from "../linux/files.ts";
import { parseRpmQuery, RPM_QUERY_ARGS } from "../linux/rpm.ts";
import { bounded, canonicalList } from "./canonical-list.ts";
import {
  type CollectContext,
  type Collector,
  CollectorFailure,
  type ReportPatch,
  type SystemPaths,
} from "./types.ts";

/** Where the previous collection's `rpm -qa` is kept among the package databases. */
const RPM = "rpm -qa";

/** What one package manager gave: its packages, nothing because it is not there, or why it failed. */
type Source = { packages: ReportPackage[] } | { absent: string } | { failed: string };

/** Parses a file given to it piece by piece; `end` gives the packages. */
interface PieceParser {
  push(text: string): void;
  end(): ReportPackage[];
}

/** Alpine's database is small (no file lists of note): parsed whole. */
const apkParser = (): PieceParser => {
  const pieces: string[] = [];
  return {
    push: (piece) => {
      pieces.push(piece);
    },
    end: () => parseApkInstalled(pieces.join("")),
  };
};

/**
 * A package database file, parsed unless the previous collection parsed this very file
 * (same device, inode, size and time: dpkg and apk replace it whole when they write).
 */
function readDatabase(ctx: CollectContext, path: string, parser: () => PieceParser): Source {
  try {
    const stats = statSync(path);
    const identity = `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}`;
    const known = ctx.previous?.packageDatabases?.get(path);
    let packages = known?.identity === identity ? known.packages : undefined;
    if (packages === undefined) {
      const parse = parser();
      readInPieces(path, (piece) => parse.push(piece));
      packages = parse.end();
    }
    if (ctx.record) {
      ctx.record.packageDatabases ??= new Map();
      ctx.record.packageDatabases.set(path, { identity, packages });
    }
    return { packages };
  } catch (error) {
    if (isGone(error)) return { absent: `no ${path}` };
    return { failed: `cannot read ${path} (${errnoOf(error) ?? String(error)})` };
  }
}

/**
 * What rpm's database is now: every file of its usual directories (Fedora, RHEL and
 * openSUSE keep it in one of them) with its inode, size and time, but those a read also
 * touches (SQLite's shared memory, Berkeley DB's environment). Null when none is there (a
 * database kept elsewhere): rpm is then asked every time.
 */
function rpmDatabaseIdentity(paths: SystemPaths): string | null {
  const files: string[] = [];
  for (const dir of [`${paths.varLib}/rpm`, `${paths.lib}/sysimage/rpm`]) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      if (name.endsWith("-shm") || name.startsWith("__db.")) continue;
      try {
        const stats = statSync(`${dir}/${name}`);
        files.push(`${dir}/${name}:${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}`);
      } catch {
        // Gone meanwhile: what is left is the identity.
      }
    }
  }
  return files.length > 0 ? files.join("\n") : null;
}

/**
 * `rpm -qa`, unless the previous collection ran it on this very database: a process that
 * reads the whole database, which a daemon would otherwise start at every cycle.
 */
async function queryRpm(ctx: CollectContext): Promise<Source> {
  const identity = rpmDatabaseIdentity(ctx.paths);
  const known = identity === null ? undefined : ctx.previous?.packageDatabases?.get(RPM);
  try {
    const packages =
      known?.identity === identity
        ? known.packages
        : parseRpmQuery(await ctx.exec("rpm", RPM_QUERY_ARGS));
    if (ctx.record && identity !== null) {
      ctx.record.packageDatabases ??= new Map();
      ctx.record.packageDatabases.set(RPM, { identity, packages });
    }
    return { packages };
  } catch (error) {
    if (error instanceof CommandNotFoundError) return { absent: "no rpm" };
    return { failed: error instanceof Error ? error.message : String(error) };
  }
}

/** The report's bounds on names and versions; no real package comes near them. */
function fitted(item: ReportPackage): ReportPackage {
  const fit: ReportPackage = {
    name: item.name.slice(0, LIMITS.name),
    version: item.version.slice(0, LIMITS.name),
    source: item.source,
  };
  if (item.arch !== undefined) fit.arch = item.arch.slice(0, LIMITS.name);
  return fit;
}

/**
 * Installed packages of every package manager this host has: dpkg's database, Alpine's,
 * and rpm's (through `rpm -qa`, when rpm is installed). None at all leaves the packages
 * unknown; one that fails while another works is reported alongside what was found.
 */
async function collectLinuxPackages(ctx: CollectContext): Promise<ReportPatch> {
  const sources: Source[] = [
    readDatabase(ctx, `${ctx.paths.varLib}/dpkg/status`, () => new DpkgStatusParser()),
    readDatabase(ctx, `${ctx.paths.lib}/apk/db/installed`, apkParser),
    await queryRpm(ctx),
  ];
  const found = sources.flatMap((s) => ("packages" in s ? [s.packages] : []));
  const failures = sources.flatMap((s) => ("failed" in s ? [s.failed] : []));
  if (found.length === 0) {
    const why =
      failures.length > 0 ? failures : sources.map((s) => ("absent" in s ? s.absent : ""));
    throw new CollectorFailure(`no package database could be read: ${why.join(", ")}`);
  }
  const { items, problems } = bounded(
    canonicalList(found.flat().map(fitted)),
    LIMITS.packages,
    "packages",
  );
  return { packages: items, problems: [...failures, ...problems] };
}

export const packagesCollector: Collector = {
  description: "Installed packages: dpkg, rpm and apk databases, versions verbatim",
  platforms: { linux: collectLinuxPackages },
};
