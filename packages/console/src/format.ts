/** How numbers, sizes and times read in the console: one place, so every page agrees. */

const integer = new Intl.NumberFormat("en-US");
const oneDecimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

export const formatCount = (n: number) => integer.format(n);

export const formatPercent = (n: number) => `${oneDecimal.format(n)} %`;

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return "0 B";
  const exp = Math.min(UNITS.length - 1, Math.floor(Math.log(bytes) / Math.log(1024)));
  const value = bytes / 1024 ** exp;
  return `${value >= 100 || exp === 0 ? Math.round(value) : oneDecimal.format(value)} ${UNITS[exp]}`;
}

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * Local time, to the second: evidence for an audit reads better as a plain timestamp than
 * as "3 hours ago". The zone is the browser's; the exact UTC instant is in the title.
 */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** Short form for chart axes: the date, or the hour when the span is short. */
export function formatAxisTime(ms: number, spanMs: number): string {
  const d = new Date(ms);
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (spanMs <= 36 * 3600_000) return hm;
  if (spanMs <= 8 * 86_400_000) return `${day.slice(5)} ${hm}`;
  return day;
}

export function formatAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "never";
  const s = Math.round((now - new Date(iso).getTime()) / 1000);
  if (s < 0) return "in the future";
  if (s < 60) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} days ago`;
}

/** The value of an <input type="datetime-local"> for an instant, in local time. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** Reads an <input type="datetime-local"> value (local time) as an RFC 3339 UTC instant. */
export function fromLocalInput(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function timeZoneName(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
}

export const plural = (n: number, one: string, many = `${one}s`) =>
  `${formatCount(n)} ${n === 1 ? one : many}`;

/** The one way a person types a time: `YYYY-MM-DD HH:MM:SS`, local time (a `T` is taken too). */
export function parseTyped(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const date = new Date(y!, mo! - 1, d!, h!, mi!, s ?? 0);
  const same = date.getFullYear() === y && date.getMonth() === mo! - 1 && date.getDate() === d;
  return same && h! < 24 && mi! < 60 && (s ?? 0) < 60 ? date.getTime() : null;
}

/** An instant as a person types it (see parseTyped). */
export const formatTyped = (ms: number) => formatTime(new Date(ms).toISOString());
