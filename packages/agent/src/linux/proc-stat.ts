/** Parsers of /proc/stat (whole machine) and /proc/uptime. */

/** Jiffies the machine spent busy and in total, summed over all CPUs. */
export interface CpuTimes {
  busy: number;
  total: number;
}

export interface MachineStat {
  /** Boot time, seconds since the epoch. */
  bootTime: number | undefined;
  cpu: CpuTimes | undefined;
}

/**
 * Parses /proc/stat. The aggregate `cpu` line holds user nice system idle iowait irq
 * softirq steal guest guest_nice; guest time is already counted in user and nice, so only
 * the first eight fields make the total. Idle and iowait are the idle part.
 */
export function parseMachineStat(text: string): MachineStat {
  let bootTime: number | undefined;
  let cpu: CpuTimes | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("cpu ")) {
      const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
      if (fields.length >= 4 && fields.every(Number.isFinite)) {
        const total = fields.reduce((a, b) => a + b, 0);
        const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
        cpu = { busy: total - idle, total };
      }
    } else if (line.startsWith("btime ")) {
      const value = Number(line.slice(6).trim());
      if (Number.isFinite(value) && value > 0) bootTime = value;
    }
  }
  return { bootTime, cpu };
}

/** Percent of all CPUs busy between two samples, 0..100. */
export function cpuUsagePercent(before: CpuTimes | undefined, after: CpuTimes): number {
  const total = after.total - (before?.total ?? 0);
  const busy = after.busy - (before?.busy ?? 0);
  if (total <= 0) return 0;
  return roundPercent(Math.min(100, Math.max(0, (busy / total) * 100)));
}

/** Seconds since boot, the first number of /proc/uptime. */
export function parseUptime(text: string): number | undefined {
  const value = Number(text.trim().split(/\s+/)[0]);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Two decimals are more than a sampled percentage can tell, and keep reports small. */
export function roundPercent(value: number): number {
  return Math.round(value * 100) / 100;
}
