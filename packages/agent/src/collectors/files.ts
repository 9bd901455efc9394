import { type Stats, statSync } from "node:fs";
import type { ReportFileMode } from "@compliance/contract";
import { LIMITS } from "@compliance/contract/limits";
import { errnoOf, isGone } from "../linux/files.ts";
import { bounded, canonicalList } from "./canonical-list.ts";
import type { CollectContext, Collector, ReportPatch } from "./types.ts";

/**
 * Files whose ownership and permissions the CIS benchmarks check: the account databases,
 * sshd's configuration, cron's tables and directories, and the boot loader's
 * configuration. The list is a setting (agent `collect.sensitive_files`).
 */
export const DEFAULT_SENSITIVE_FILES: readonly string[] = [
  "/etc/passwd",
  "/etc/passwd-",
  "/etc/shadow",
  "/etc/shadow-",
  "/etc/group",
  "/etc/group-",
  "/etc/gshadow",
  "/etc/gshadow-",
  "/etc/ssh/sshd_config",
  "/etc/crontab",
  "/etc/cron.d",
  "/etc/cron.hourly",
  "/etc/cron.daily",
  "/etc/cron.weekly",
  "/etc/cron.monthly",
  "/etc/cron.allow",
  "/etc/at.allow",
  "/boot/grub/grub.cfg",
  "/boot/grub2/grub.cfg",
];

/** Permission bits with setuid, setgid and sticky, as four octal digits (0640). */
export function octalMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

export function fileModeOf(
  path: string,
  stats: Pick<Stats, "mode" | "uid" | "gid">,
): ReportFileMode {
  return { path, mode: octalMode(stats.mode), uid: stats.uid, gid: stats.gid };
}

/**
 * Owner, group and mode of each sensitive file that exists (a symbolic link is followed:
 * what protects the content is the target's mode). Files that are not there are left out.
 */
function collectFiles(ctx: CollectContext): ReportPatch {
  const prefix = ctx.paths.root === "/" ? "" : ctx.paths.root.replace(/\/+$/, "");
  const files: ReportFileMode[] = [];
  const problems: string[] = [];
  for (const path of new Set(ctx.sensitiveFiles)) {
    if (path.length > LIMITS.name) {
      problems.push(`${path.slice(0, 80)}…: a path longer than ${LIMITS.name} characters`);
      continue;
    }
    try {
      files.push(fileModeOf(path, statSync(`${prefix}${path}`)));
    } catch (error) {
      if (!isGone(error) && errnoOf(error) !== "ENOTDIR") {
        problems.push(`cannot stat ${path} (${errnoOf(error) ?? String(error)})`);
      }
    }
  }
  const list = bounded(canonicalList(files), LIMITS.files, "files");
  return { settings: { files: list.items }, problems: [...problems, ...list.problems] };
}

export const filesCollector: Collector = {
  description: "Owner, group and mode of sensitive files (account databases, sshd, cron, boot)",
  platforms: { linux: collectFiles },
};
