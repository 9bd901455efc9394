/**
 * Durations and sizes as people write them in configuration files: `300`, `5m`, `250ms`,
 * `100MiB`. Parsers return undefined for text they cannot read; the caller names the key.
 */

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Milliseconds from `<number><unit>` with unit ms, s, m or h; a bare number is in
 * `bareUnit` (seconds for intervals, as the API's COMPLIANCE_AGENT_INTERVAL counts them).
 */
export function parseDuration(text: string, bareUnit: "ms" | "s" = "s"): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? bareUnit).toLowerCase();
  const ms = Number(match[1]) * DURATION_UNITS[unit]!;
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  k: 1000,
  kb: 1000,
  kib: 1024,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** Bytes from `<number><unit>`: B, kB/KiB, MB/MiB, GB/GiB (k, M, G alone are decimal). */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const factor = SIZE_UNITS[(match[2] ?? "").toLowerCase()];
  if (factor === undefined) return undefined;
  const bytes = Math.round(Number(match[1]) * factor);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** `1500` -> `1.5s`, `300000` -> `5m`: how durations are shown in messages and help. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${Math.round(ms / 100) / 10}s`;
  return `${ms}ms`;
}
