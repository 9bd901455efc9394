import { readFileSync } from "node:fs";
import type { NetworkInterfaceInfo } from "node:os";
import { LIMITS } from "@compliance/contract/limits";
import type { CollectContext, Collector, ReportPatch } from "./types.ts";

const RTF_UP = 0x1;

/**
 * The interface of the default IPv4 route from /proc/net/route (destination 00000000,
 * route up); the lowest metric wins when there are several.
 */
export function parseDefaultRouteInterface(text: string): string | undefined {
  let best: { iface: string; metric: number } | undefined;
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [iface, destination, , flags, , , metric] = fields;
    if (!iface || destination !== "00000000") continue;
    if ((Number.parseInt(flags ?? "0", 16) & RTF_UP) === 0) continue;
    const m = Number(metric ?? 0);
    if (!best || m < best.metric) best = { iface, metric: m };
  }
  return best?.iface;
}

function isIPv4(info: NetworkInterfaceInfo): boolean {
  // Node 18.0-18.3 reported the family as a number.
  return info.family === "IPv4" || (info.family as unknown) === 4;
}

/**
 * Every non-loopback address, and the primary one: the IPv4 address of the default-route
 * interface, else the first non-loopback IPv4 address, else none.
 */
export function networkFacts(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
  defaultInterface: string | undefined,
): { primary_ip?: string; ip_addresses: string[] } {
  const addresses: string[] = [];
  let firstIPv4: string | undefined;
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (info.internal) continue;
      if (!addresses.includes(info.address)) addresses.push(info.address);
      if (firstIPv4 === undefined && isIPv4(info)) firstIPv4 = info.address;
    }
  }
  const routed =
    defaultInterface === undefined
      ? undefined
      : interfaces[defaultInterface]?.find((info) => !info.internal && isIPv4(info))?.address;
  const primary = routed ?? firstIPv4;
  const facts: { primary_ip?: string; ip_addresses: string[] } = {
    ip_addresses: addresses.slice(0, LIMITS.ipAddresses),
  };
  if (primary !== undefined) facts.primary_ip = primary;
  return facts;
}

function readDefaultRouteInterface(procDir: string): string | undefined {
  try {
    return parseDefaultRouteInterface(readFileSync(`${procDir}/net/route`, "utf8"));
  } catch {
    return undefined; // no IPv4 routing table (e.g. an IPv6-only namespace): fall back
  }
}

function collectLinuxNetwork(ctx: CollectContext): ReportPatch {
  return {
    host: networkFacts(ctx.host.networkInterfaces(), readDefaultRouteInterface(ctx.paths.proc)),
  };
}

function collectAnyNetwork(ctx: CollectContext): ReportPatch {
  return { host: networkFacts(ctx.host.networkInterfaces(), undefined) };
}

export const networkCollector: Collector = {
  description: "IP addresses of the host and the primary one (the default route's)",
  platforms: { linux: collectLinuxNetwork, any: collectAnyNetwork },
};
