/** The sysctl names the macOS collectors read, in one `sysctl` run. */
export const SYSCTL_NAMES = [
  "machdep.cpu.brand_string",
  "machdep.cpu.vendor",
  "hw.logicalcpu",
  "hw.memsize",
] as const;

/**
 * Parses `sysctl name…` output: `name: value` per line. A name the machine does not have
 * (machdep.cpu.vendor on Apple silicon) is missing from the output, not an error.
 */
export function parseSysctl(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([\w.]+):\s?(.*)$/.exec(line);
    if (m) values.set(m[1]!, m[2]!.trim());
  }
  return values;
}

/**
 * Parses `vm_stat`: the page size from its header and `Pages <kind>: <n>.` lines.
 * Available memory is free + speculative (both truly unused) + inactive (reclaimable
 * without writing anything out), the closest to Linux's MemAvailable.
 */
export function parseVmStat(text: string): { pageSize: number; availableBytes: number } {
  const pageSize = Number(/page size of (\d+) bytes/.exec(text)?.[1] ?? 4096);
  const pages = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^Pages ([\w -]+):\s+(\d+)\.?\s*$/.exec(line.trim());
    if (m) pages.set(m[1]!.trim(), Number(m[2]));
  }
  if (!pages.has("free")) throw new Error("vm_stat printed no 'Pages free' line");
  const available =
    (pages.get("free") ?? 0) + (pages.get("speculative") ?? 0) + (pages.get("inactive") ?? 0);
  return { pageSize, availableBytes: available * pageSize };
}

/**
 * The hardware UUID from `ioreg -rd1 -c IOPlatformExpertDevice`: the line
 * `"IOPlatformUUID" = "…"`. Stable across reinstalls, like Linux's machine-id.
 */
export function parseIoregUuid(text: string): string | undefined {
  return /"IOPlatformUUID"\s*=\s*"([^"]+)"/.exec(text)?.[1];
}
