import { IsDateTime } from "typebox/format";

const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const ZERO = 0x30;

const isLeapYear = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

/** The number of the `count` ASCII digits at `at`, or -1 when one is not a digit. */
function digits(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The `date-time` format of the schemas: an RFC 3339 date-time, exactly as TypeBox's own
 * check (IsDateTime) decides. The shape every agent sends, `2026-11-30T23:25:26.123Z`, is
 * read in one pass without regular expressions or substrings; anything else (an offset, a
 * leap second, a suffix, a malformed text) goes to TypeBox's check, so both accept and
 * refuse the same texts.
 */
export function isDateTime(value: string): boolean {
  const length = value.length;
  const last = value.charCodeAt(length - 1);
  const t = value.charCodeAt(10);
  if (
    length < 20 ||
    (last !== 0x5a && last !== 0x7a) || // Z or z
    value.charCodeAt(4) !== 0x2d ||
    value.charCodeAt(7) !== 0x2d ||
    (t !== 0x54 && t !== 0x74) || // T or t
    value.charCodeAt(13) !== 0x3a ||
    value.charCodeAt(16) !== 0x3a
  ) {
    return IsDateTime(value);
  }
  if (length > 20) {
    // A fraction: a dot and at least one digit up to the Z.
    if (value.charCodeAt(19) !== 0x2e || length === 21 || digits(value, 20, length - 21) < 0) {
      return IsDateTime(value);
    }
  }
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  const hour = digits(value, 11, 2);
  const minute = digits(value, 14, 2);
  const second = digits(value, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) {
    return IsDateTime(value);
  }
  // A leap second depends on the offset: TypeBox's check decides.
  if (second >= 60) return IsDateTime(value);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= (month === 2 && isLeapYear(year) ? 29 : DAYS[month]!) &&
    hour <= 23 &&
    minute <= 59
  );
}
