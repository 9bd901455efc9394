import { readFileSync } from "node:fs";
import type { ReportListening } from "@compliance/contract";
import { LIMITS } from "@compliance/contract/limits";
import { errnoOf, isGone } from "../linux/files.ts";
import { type ProcSocket, parseProcNet, SOCKET_TABLES } from "../linux/proc-net.ts";
import { findSocketOwners } from "../linux/socket-owners.ts";
import { bounded, canonicalList } from "./canonical-list.ts";
import {
  type CollectContext,
  type Collector,
  CollectorFailure,
  type ReportPatch,
} from "./types.ts";

/** Every listening socket of the four tables; a table the kernel lacks (no IPv6) has none. */
function readSockets(procDir: string, littleEndian: boolean): ProcSocket[] {
  const sockets: ProcSocket[] = [];
  let tables = 0;
  for (const protocol of SOCKET_TABLES) {
    const path = `${procDir}/net/${protocol}`;
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if (isGone(error)) continue;
      throw new CollectorFailure(`cannot read ${path} (${errnoOf(error) ?? String(error)})`);
    }
    tables++;
    for (const socket of parseProcNet(text, protocol, littleEndian)) sockets.push(socket);
  }
  if (tables === 0) throw new CollectorFailure(`no socket tables in ${procDir}/net`);
  return sockets;
}

function processName(procDir: string, pid: number): string | undefined {
  try {
    return readFileSync(`${procDir}/${pid}/comm`, "utf8").trim().slice(0, LIMITS.name);
  } catch {
    return undefined; // exited since its descriptors were read
  }
}

/**
 * Listening TCP sockets and bound UDP sockets from /proc/net, each with the process that
 * holds it when this user may see it (root sees all; others only their own processes).
 * In daemon mode the previous collection's holders are checked first, so a host whose
 * sockets did not change costs a readlink per socket instead of a walk of every process.
 */
function collectLinuxListening(ctx: CollectContext): ReportPatch {
  const procDir = ctx.paths.proc;
  const sockets = readSockets(procDir, ctx.host.endianness() === "LE");
  const scan = findSocketOwners(
    procDir,
    new Set(sockets.map((s) => s.inode)),
    ctx.previous?.socketHolders,
  );
  if (ctx.record) ctx.record.socketHolders = scan.holders;
  const names = new Map<number, string | undefined>();
  const listening = sockets.map(({ protocol, address, port, inode }) => {
    const item: ReportListening = { protocol, address, port };
    const pid = scan.owners.get(inode);
    if (pid === undefined) return item;
    item.pid = pid;
    if (!names.has(pid)) names.set(pid, processName(procDir, pid));
    const name = names.get(pid);
    if (name !== undefined) item.process = name;
    return item;
  });
  const { items, problems } = bounded(canonicalList(listening), LIMITS.listening, "sockets");
  if (scan.truncated) {
    problems.push("too many open descriptors to look through: some sockets have no process");
  }
  return { listening: items, problems };
}

export const listeningCollector: Collector = {
  description: "Listening TCP and bound UDP sockets, with the process holding each",
  platforms: { linux: collectLinuxListening },
};
