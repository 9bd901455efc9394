import { readFileSync } from "node:fs";
import { LIMITS } from "@compliance/contract/limits";
import { parseSwVers } from "../darwin/sw-vers.ts";
import { isGone } from "../linux/files.ts";
import type { CollectContext, Collector, ReportPatch } from "./types.ts";

/**
 * Parses os-release(5): KEY=VALUE lines, values optionally in single or double quotes,
 * with backslash escapes inside double quotes.
 */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(["\\$`])/g, "$1");
    }
    fields[key] = value;
  }
  return fields;
}

/**
 * Name and version from os-release fields. NAME and VERSION (or VERSION_ID) are what the
 * report wants; PRETTY_NAME stands in for a missing NAME.
 */
export function osNameAndVersion(fields: Readonly<Record<string, string>>): {
  name: string;
  version: string;
} {
  return {
    name: fields.NAME || fields.PRETTY_NAME || "",
    version: fields.VERSION || fields.VERSION_ID || "",
  };
}

/** /etc/os-release, else /usr/lib/os-release (its documented fallback); undefined when neither. */
function readOsRelease(ctx: CollectContext): string | undefined {
  for (const path of [`${ctx.paths.etc}/os-release`, `${ctx.paths.usrLib}/os-release`]) {
    try {
      return readFileSync(path, "utf8");
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }
  return undefined;
}

const cap = (text: string): string => text.slice(0, LIMITS.name);

function collectLinuxOs(ctx: CollectContext): ReportPatch {
  const release = readOsRelease(ctx);
  const { name, version } = osNameAndVersion(parseOsRelease(release ?? ""));
  return {
    os: {
      platform: ctx.platform,
      // Without os-release (minimal containers) the kernel's own name is still true.
      name: cap(name || ctx.host.type()),
      version: cap(version),
      kernel: cap(ctx.host.release()),
      arch: cap(ctx.host.arch()),
    },
    problems: release === undefined ? ["no os-release file: distribution unknown"] : undefined,
  };
}

/** What `node:os` knows everywhere; a platform's own parser replaces it when written. */
function collectAnyOs(ctx: CollectContext): ReportPatch {
  return {
    os: {
      platform: ctx.platform,
      name: cap(ctx.host.type()),
      version: cap(ctx.host.version()),
      kernel: cap(ctx.host.release()),
      arch: cap(ctx.host.arch()),
    },
  };
}

/** macOS: product name and version from `sw_vers`; the kernel is Darwin's release. */
async function collectDarwinOs(ctx: CollectContext): Promise<ReportPatch> {
  const { name, version } = parseSwVers(await ctx.exec("sw_vers", []));
  if (name === "") throw new Error("sw_vers printed no ProductName");
  return {
    os: {
      platform: ctx.platform,
      name: cap(name),
      version: cap(version),
      kernel: cap(ctx.host.release()),
      arch: cap(ctx.host.arch()),
    },
  };
}

export const osCollector: Collector = {
  description: "Operating system: distribution name and version, kernel, platform, architecture",
  platforms: { linux: collectLinuxOs, darwin: collectDarwinOs, any: collectAnyOs },
};
