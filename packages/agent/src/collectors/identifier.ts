import { readFileSync } from "node:fs";
import { LIMITS } from "@compliance/contract/limits";
import { parseIoregUuid } from "../darwin/sysctl.ts";
import { isGone } from "../linux/files.ts";
import { StateDir } from "../state.ts";
import type { CollectContext, Collector, ReportPatch } from "./types.ts";

/** A machine-id file's id: its first line, trimmed; undefined when it holds none. */
export function parseMachineId(text: string): string | undefined {
  const id = text.split("\n")[0]?.trim() ?? "";
  return id === "" ? undefined : id.slice(0, LIMITS.name);
}

/**
 * The host's stable identifier: /etc/machine-id, the id systemd and D-Bus use. Hosts
 * without one (some containers, other platforms) get a UUID generated once and kept in
 * the state directory, so they stay the same host across runs.
 */
function collectIdentifier(ctx: CollectContext): ReportPatch {
  try {
    const id = parseMachineId(readFileSync(`${ctx.paths.etc}/machine-id`, "utf8"));
    if (id !== undefined) return { host: { identifier: id } };
  } catch (error) {
    if (!isGone(error)) throw error;
  }
  return generatedIdentifier(ctx);
}

/** macOS: the hardware UUID (IOPlatformUUID), else a generated id like anywhere else. */
async function collectDarwinIdentifier(ctx: CollectContext): Promise<ReportPatch> {
  let uuid: string | undefined;
  try {
    uuid = parseIoregUuid(await ctx.exec("ioreg", ["-rd1", "-c", "IOPlatformExpertDevice"]));
  } catch {
    uuid = undefined;
  }
  return uuid ? { host: { identifier: uuid.slice(0, LIMITS.name) } } : generatedIdentifier(ctx);
}

function generatedIdentifier(ctx: CollectContext): ReportPatch {
  if (ctx.stateDir === undefined) {
    throw new Error(
      `no ${ctx.paths.etc}/machine-id and no state directory to keep a generated host id in`,
    );
  }
  return { host: { identifier: new StateDir(ctx.stateDir).hostId() } };
}

export const identifierCollector: Collector = {
  description: "Stable host identifier (machine id, or one generated and kept)",
  platforms: { darwin: collectDarwinIdentifier, any: collectIdentifier },
  required: true,
};
