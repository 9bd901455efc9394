import { readdirSync, readlinkSync } from "node:fs";
import type { SocketHolder } from "../collectors/types.ts";

/** At most this many descriptors are looked at in one collection, whatever the host runs. */
export const MAX_DESCRIPTORS = 200_000;

export interface SocketOwners {
  /** Inode -> the pid holding that socket (the lowest one when a search found it). */
  owners: Map<number, number>;
  /** What to check first next time: where each socket was found, null for nowhere. */
  holders: Map<number, SocketHolder | null>;
  /** True when the search stopped at its bound before every socket had an owner. */
  truncated: boolean;
}

/** The inode of a descriptor's link text "socket:[12345]", else undefined. */
export function socketInode(link: string): number | undefined {
  if (!link.startsWith("socket:[") || !link.endsWith("]")) return undefined;
  const inode = Number(link.slice(8, -1));
  return Number.isInteger(inode) ? inode : undefined;
}

function processIds(procDir: string): number[] {
  return readdirSync(procDir)
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
}

/** The descriptors of a process, or none when it exited or this user may not look. */
function descriptorsOf(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function linkOf(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined; // closed since the directory was listed
  }
}

/**
 * The previous collection's findings, each checked with one readlink: a socket still on
 * the same descriptor of the same process, or one a complete search found nobody visible
 * holding (a kernel socket, another pid namespace), needs no search again.
 */
function checkHints(
  procDir: string,
  wanted: ReadonlySet<number>,
  hints: ReadonlyMap<number, SocketHolder | null>,
  found: SocketOwners,
): void {
  for (const inode of wanted) {
    const hint = hints.get(inode);
    if (hint === null) found.holders.set(inode, null);
    else if (hint && linkOf(`${procDir}/${hint.pid}/fd/${hint.fd}`) === `socket:[${inode}]`) {
      found.owners.set(inode, hint.pid);
      found.holders.set(inode, hint);
    }
  }
}

/**
 * Reads /proc/<pid>/fd links in ascending pid order, so the first holder found is the
 * lowest pid (a socket shared by a forking server's workers goes to its parent), until
 * every socket looked for has one or the bound is reached.
 */
function search(procDir: string, lookFor: Set<number>, budget: number, found: SocketOwners): void {
  for (const pid of processIds(procDir)) {
    const dir = `${procDir}/${pid}/fd`;
    for (const fd of descriptorsOf(dir)) {
      if (budget-- <= 0) {
        found.truncated = true;
        return;
      }
      const inode = socketInode(linkOf(`${dir}/${fd}`) ?? "");
      if (inode === undefined || !lookFor.delete(inode)) continue;
      found.owners.set(inode, pid);
      found.holders.set(inode, { pid, fd });
    }
    if (lookFor.size === 0) return;
  }
  // A complete search: what is left has no holder this user may see.
  for (const inode of lookFor) found.holders.set(inode, null);
}

/**
 * Which process holds each of the `wanted` sockets. Processes this user may not inspect
 * are skipped silently: their sockets simply have no owner.
 */
export function findSocketOwners(
  procDir: string,
  wanted: ReadonlySet<number>,
  hints: ReadonlyMap<number, SocketHolder | null> = new Map(),
  maxDescriptors = MAX_DESCRIPTORS,
): SocketOwners {
  const found: SocketOwners = { owners: new Map(), holders: new Map(), truncated: false };
  checkHints(procDir, wanted, hints, found);
  const lookFor = new Set([...wanted].filter((inode) => !found.holders.has(inode)));
  if (lookFor.size > 0) search(procDir, lookFor, maxDescriptors, found);
  return found;
}
