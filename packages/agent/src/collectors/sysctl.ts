import { existsSync, readFileSync } from "node:fs";
import { LIMITS } from "@compliance/contract/limits";
import { errnoOf, isGone } from "../linux/files.ts";
import { CIS_SYSCTL_NAMES, sysctlPath, sysctlValue } from "../linux/sysctl.ts";
import {
  type CollectContext,
  type Collector,
  CollectorFailure,
  type ReportPatch,
} from "./types.ts";

/**
 * The curated kernel parameters from /proc/sys. A parameter this kernel does not have
 * (no IPv6, no Yama) is left out; one that cannot be read is named in a problem.
 */
function collectLinuxSysctl(ctx: CollectContext): ReportPatch {
  if (!existsSync(`${ctx.paths.proc}/sys`)) {
    throw new CollectorFailure(`no ${ctx.paths.proc}/sys: kernel parameters unknown`);
  }
  const sysctl: Record<string, string> = {};
  const unreadable: string[] = [];
  for (const name of [...CIS_SYSCTL_NAMES].sort()) {
    try {
      const text = readFileSync(sysctlPath(ctx.paths.proc, name), "utf8");
      sysctl[name] = sysctlValue(text).slice(0, LIMITS.settingValue);
    } catch (error) {
      if (!isGone(error)) unreadable.push(`${name} (${errnoOf(error) ?? String(error)})`);
    }
  }
  const problems = unreadable.length > 0 ? [`cannot read ${unreadable.join(", ")}`] : [];
  return { settings: { sysctl }, problems };
}

export const sysctlCollector: Collector = {
  description: "Kernel parameters the CIS benchmarks check (/proc/sys)",
  platforms: { linux: collectLinuxSysctl },
};
