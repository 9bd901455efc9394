import type { JsonSchema } from "./fuzz-target.ts";

/**
 * Values a fuzzer sends: valid ones generated from a JSON schema (with hints by name where a
 * schema alone cannot say what is valid, e.g. an IP address in a plain string), and the
 * boundary and wrong-typed values that tend to break parsers, validators and databases.
 */

export type Rng = () => number;

/** A seeded PRNG (mulberry32): the same seed gives the same sequence on every machine. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One seed per case, so a case is generated the same way whatever ran before it. */
export function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}

export const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
export const chance = (rng: Rng, p: number) => rng() < p;
export const between = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

/** A UUID (version 4 layout) from the PRNG. */
export function uuidFrom(rng: Rng): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rng() * 16).toString(16));
  hex[12] = "4";
  hex[16] = "89ab"[Math.floor(rng() * 4)]!;
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A JSON literal written as is into the serialized body: numbers JSON.stringify cannot
 * produce (1e400, 9223372036854775808 with all its digits, -0, 1.0).
 */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON.stringify that writes RawJson literals verbatim. */
export function serialize(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v) => {
    if (v instanceof RawJson) {
      raws.push(v.text);
      return `@@fuzz-raw-${raws.length - 1}@@`;
    }
    return v;
  });
  if (raws.length === 0) return text ?? "";
  return (text ?? "").replace(/"@@fuzz-raw-(\d+)@@"/g, (_m, i: string) => raws[Number(i)]!);
}

const HUGE = "x".repeat(70_000);
const LARGE = "ab".repeat(150_000);

/** Strings that break things: empty, huge, NUL, unicode, padding, NaN-ish, SQL-ish, paths. */
export function boundaryString(rng: Rng, schema?: JsonSchema): { label: string; value: string } {
  const max = schema?.maxLength;
  const list: [string, string][] = [
    ["empty string", ""],
    ["a space", " "],
    ["leading and trailing spaces", "  padded  "],
    ["trailing spaces", "sshd   "],
    ["a trailing space", "root "],
    ["NUL character", "a\u0000b"],
    ["NUL character", "\u0000sshd"],
    ["trailing NUL character", "root\u0000"],
    ["only a NUL character", "\u0000"],
    ["control characters", "\u0001\u0007\u001b[31m\u007f"],
    ["70,000 characters", HUGE],
    ["300,000 characters", LARGE],
    ["unicode", "Ünïcødé-日本語-עברית"],
    ["emoji", "🙂🚀👩‍💻".repeat(20)],
    ["right-to-left override", "\u202egnp.exe"],
    ["lone surrogate", "\ud800"],
    ["combining marks", "e\u0301\u0301\u0301"],
    ["NaN", "NaN"],
    ["Infinity", "Infinity"],
    ["null as text", "null"],
    ["digits beyond int64", "9223372036854775808"],
    ["negative number text", "-1"],
    ["SQL quote", "' OR '1'='1' --"],
    ["LIKE wildcards", "%_%"],
    ["glob", "*"],
    ["backslashes", "\\\\server\\share\\"],
    ["CRLF", "a\r\nb: c"],
    ["path traversal", "../../../etc/passwd"],
    ["HTML", "<script>alert(1)</script>"],
    ["format string", "%s%s%n%x"],
  ];
  if (max !== undefined) {
    list.push([`${max} characters (maxLength)`, "m".repeat(max)]);
    list.push([`${max + 1} characters (maxLength + 1)`, "m".repeat(max + 1)]);
    list.push([`${max} two-byte characters`, "é".repeat(max)]);
    list.push([`${max} four-byte characters`, "😀".repeat(Math.ceil(max / 2))]);
  }
  const [label, value] = pick(rng, list);
  return { label, value };
}

/** Integers and numbers at and past every edge, as text (query and path) and as JSON literals. */
const NUMBER_TEXTS = [
  "0",
  "-0",
  "-1",
  "1",
  "2147483647",
  "2147483648",
  "4294967296",
  "9007199254740991",
  "9007199254740992",
  "9223372036854775807",
  "9223372036854775808",
  "9223372036854775808",
  "18446744073709551616",
  "-9223372036854775809",
  "1e20",
  "1E3",
  "1e400",
  "1.5",
  "0.0001",
  "1.0",
  "123456789012345678901234567890",
];
const NUMBER_ONLY_TEXTS = [
  "NaN",
  "Infinity",
  "-Infinity",
  "0x10",
  "1_000",
  " 1",
  "1 ",
  "+1",
  "",
  "abc",
  "１２",
  "1,2",
];

export function boundaryNumberText(rng: Rng, schema?: JsonSchema): string {
  const extra: string[] = [];
  if (schema?.minimum !== undefined) extra.push(String(schema.minimum - 1), String(schema.minimum));
  if (schema?.maximum !== undefined) extra.push(String(schema.maximum), String(schema.maximum + 1));
  return pick(rng, [...NUMBER_TEXTS, ...NUMBER_ONLY_TEXTS, ...extra]);
}

export function boundaryNumberJson(rng: Rng, schema?: JsonSchema): RawJson {
  const extra: string[] = [];
  if (schema?.minimum !== undefined) extra.push(String(schema.minimum - 1));
  if (schema?.maximum !== undefined) extra.push(String(schema.maximum + 1));
  return new RawJson(pick(rng, [...NUMBER_TEXTS, ...extra]));
}

/** A value of another JSON type than `like`. */
export function wrongType(rng: Rng, like: unknown): { label: string; value: unknown } {
  const all: [string, unknown][] = [
    ["null", null],
    ["true", true],
    ["number", 1],
    ["float", 1.5],
    ["string", "1"],
    ["empty array", []],
    ["empty object", {}],
    ["array of null", [null]],
    ["object", { a: 1 }],
  ];
  const kind = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
  const others = all.filter(([, v]) => kind(v) !== kind(like));
  const [label, value] = pick(rng, others.length > 0 ? others : all);
  return { label, value };
}

/** Text of a query or path value of the wrong type for `schema`. */
export function wrongTypeText(rng: Rng, schema: JsonSchema | undefined): string {
  const t = typeOf(schema);
  if (t === "integer" || t === "number")
    return pick(rng, ["abc", "true", "[]", "{}", "null", "1.5"]);
  if (t === "boolean") return pick(rng, ["yes", "2", "null", "TRUE", "0.5"]);
  return pick(rng, ["[]", "{}", "null", "1", "true"]);
}

/** The schema's type, the first non-null one of a union. */
export function typeOf(schema: JsonSchema | undefined): string | undefined {
  if (!schema) return undefined;
  if (typeof schema.type === "string") return schema.type;
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== "null");
  const branch = (schema.anyOf ?? schema.oneOf)?.find((s) => s.type !== "null");
  if (branch) return typeOf(branch);
  if (schema.enum) return typeof schema.enum[0];
  return undefined;
}

/** Candidates for a string that must match a pattern nobody taught the generator. */
const PATTERN_CANDIDATES = [
  "10.0.2.15",
  "fe80::1",
  "a",
  "abc",
  "fuzz-1",
  "123",
  "1.5",
  "lt:3.0.13",
  "ge:1.0",
  "https://93.184.215.14/fuzz",
  "sshd",
  "0",
];

/** A string valid for `schema` (format, enum, pattern, lengths), from a name hint when given. */
export function validString(rng: Rng, schema: JsonSchema, hint?: string): string {
  if (schema.enum) return String(pick(rng, schema.enum));
  if (schema.format === "uuid") return uuidFrom(rng);
  if (schema.format === "date-time") return isoAround(rng);
  if (schema.format === "ipv4")
    return `10.${between(rng, 0, 9)}.${between(rng, 0, 9)}.${between(rng, 1, 250)}`;
  const fits = (s: string) =>
    s.length >= (schema.minLength ?? 0) &&
    s.length <= (schema.maxLength ?? Number.POSITIVE_INFINITY) &&
    (schema.pattern === undefined || new RegExp(schema.pattern, "u").test(s));
  if (hint !== undefined && fits(hint)) return hint;
  if (schema.pattern !== undefined) {
    const ok = PATTERN_CANDIDATES.filter(fits);
    if (ok.length > 0) return pick(rng, ok);
  }
  const words = ["web-1", "sshd", "root", "debian", "x86_64", "Linux", "fuzz"];
  const word = pick(rng, words);
  if (fits(word)) return word;
  return "a".repeat(Math.max(1, schema.minLength ?? 1));
}

/** An ISO time within the last week (or slightly ahead). */
export function isoAround(rng: Rng): string {
  return new Date(Date.now() - between(rng, -60, 7 * 24 * 60) * 60_000).toISOString();
}

/** The seeds' local time format, YYYY-MM-DD HH:MM:SS, of a recent moment. */
export function legacyTime(rng: Rng): string {
  return new Date(Date.now() - between(rng, 1, 600) * 60_000)
    .toISOString()
    .replace("T", " ")
    .slice(0, 19);
}

export function validNumber(rng: Rng, schema: JsonSchema, integer: boolean): number {
  const lo = schema.minimum ?? (schema.exclusiveMinimum ?? -1) + 1;
  const hi = Math.min(schema.maximum ?? lo + 100, lo + 100);
  const n = lo + rng() * (hi - lo);
  return integer ? Math.round(n) : Math.round(n * 100) / 100;
}
