import { readFileSync } from "node:fs";
import { LIMITS } from "@compliance/contract/limits";
import { CommandNotFoundError } from "../exec.ts";
import { errnoOf, isGone } from "../linux/files.ts";
import { expandGlob } from "../linux/glob.ts";
import { type ConfigFiles, parseSshdConfig, parseSshdT } from "../linux/sshd-config.ts";
import {
  type CollectContext,
  type Collector,
  CollectorFailure,
  type ReportPatch,
} from "./types.ts";

/** Where sshd is when PATH does not have it (a user's PATH often lacks the sbin directories). */
const SSHD_COMMANDS = ["sshd", "/usr/sbin/sshd"];
const SSHD_CONFIG_DIR = "/etc/ssh";

type Attempt = { options: Map<string, string> } | { failed: string };

/**
 * sshd's own view of its effective configuration, defaults included. It loads the host
 * keys first, so only root gets it: anyone else would spawn it every cycle to see it fail,
 * and reads sshd_config instead.
 */
async function askSshd(ctx: CollectContext): Promise<Attempt> {
  if (process.geteuid?.() !== 0) return { failed: "sshd -T needs root (it reads the host keys)" };
  let reason = "sshd not found";
  for (const command of SSHD_COMMANDS) {
    try {
      const options = parseSshdT(await ctx.exec(command, ["-T"]));
      if (options.size > 0) return { options };
      reason = `${command} -T printed nothing`;
    } catch (error) {
      if (error instanceof CommandNotFoundError) continue;
      return { failed: error instanceof Error ? error.message : String(error) };
    }
  }
  return { failed: reason };
}

function hostFiles(root: string): ConfigFiles {
  const prefix = root === "/" ? "" : root.replace(/\/+$/, "");
  return {
    read: (path) => {
      try {
        return readFileSync(`${prefix}${path}`, "utf8");
      } catch {
        return undefined; // an Include that matches nothing readable is skipped, as sshd does
      }
    },
    glob: (pattern) => expandGlob(pattern, root),
  };
}

function readConfig(ctx: CollectContext): Attempt {
  const path = `${ctx.paths.etc}/ssh/sshd_config`;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const why = isGone(error) ? `no ${path}` : `cannot read ${path} (${errnoOf(error)})`;
    return { failed: why };
  }
  return { options: parseSshdConfig(text, SSHD_CONFIG_DIR, hostFiles(ctx.paths.root)) };
}

/** The options as the report's map: keys in order, each bounded as the contract says. */
function settingMap(options: ReadonlyMap<string, string>): Record<string, string> {
  const map: Record<string, string> = {};
  const keys = [...options.keys()].filter((k) => k.length <= LIMITS.name).sort();
  for (const key of keys.slice(0, LIMITS.settingKeys)) {
    map[key] = options.get(key)!.slice(0, LIMITS.settingValue);
  }
  return map;
}

/**
 * The effective sshd configuration: `sshd -T` when it can run, else what sshd_config (and
 * the files it includes) sets outside Match blocks. Neither: unknown, never an empty map.
 */
async function collectSshd(ctx: CollectContext): Promise<ReportPatch> {
  const asked = await askSshd(ctx);
  if ("options" in asked) return { settings: { sshd: settingMap(asked.options) } };
  const read = readConfig(ctx);
  if ("options" in read) return { settings: { sshd: settingMap(read.options) } };
  throw new CollectorFailure(`${asked.failed}; ${read.failed}: sshd settings unknown`);
}

export const sshdCollector: Collector = {
  description: "Effective sshd options (sshd -T, else sshd_config with its Includes)",
  platforms: { linux: collectSshd },
};
