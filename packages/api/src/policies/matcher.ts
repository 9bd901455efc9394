import {
  compareGeneric,
  compareVersions,
  parseComparator,
  satisfies,
  type VersionScheme,
} from "../versions.ts";
import { PolicyCompileError } from "./errors.ts";
import { cidrContains, type Ip, parseCidr } from "./ip.ts";
import { compileTextPattern, isRegexLiteral } from "./text/pattern.ts";
import { PatternError } from "./text/syntax.ts";
import type { Tri } from "./tri.ts";

/**
 * The matcher grammar, one for every field of every condition kind:
 *   leaf            a value whose meaning depends on the field's type (below)
 *   [m1, m2, ...]   any of them
 *   { not: m }      not m
 *   { all: [...] }  every one of them (e.g. a version range)
 * Leaf strings: `op:operand` (op = lt, le, eq, ge, gt, ne) is a comparison; `/body/flags`
 * a regular expression; anything else a glob over the whole value, exact when it has no
 * wildcard. Text fields compare numbers as numbers and anything else the generic version
 * way; number fields take numbers and comparisons with a size unit (ge:512MiB); version
 * fields compare in the item's package manager's order; address fields take IPs and CIDR
 * ranges; boolean fields take true or false.
 */

export type FieldType = "text" | "number" | "version" | "address" | "boolean";

/** The value of a field the item does not have (a local session's remote address). */
export const ABSENT: unique symbol = Symbol("absent");
export type Absent = typeof ABSENT;

type ValueOf = { text: string; number: number; version: string; address: Ip; boolean: boolean };

/** A field's value: undefined when it was not collected (unknown), ABSENT when there is none. */
export type FieldValue<T extends FieldType> = ValueOf[T] | undefined | Absent;

export type Matcher<T extends FieldType> = (value: FieldValue<T>, scheme?: VersionScheme) => Tri;

export type CompiledMatcher<T extends FieldType> = {
  test: Matcher<T>;
  /** The exact strings it is (one, or a list of them): lets a condition look items up by key. */
  literals: readonly string[] | undefined;
};

type Known<T extends FieldType> = (value: ValueOf[T], scheme: VersionScheme) => boolean;

/** Compiles a matcher for a field of the given type; throws PolicyCompileError at path. */
export function compileMatcher<T extends FieldType>(
  spec: unknown,
  type: T,
  path: string,
): CompiledMatcher<T> {
  const known = build(spec, type, path);
  const test: Matcher<T> = (value, scheme = "generic") => {
    if (value === undefined) return null;
    if (value === ABSENT) return false;
    return known(value, scheme);
  };
  return { test, literals: type === "text" ? literalsOf(spec) : undefined };
}

function build<T extends FieldType>(spec: unknown, type: T, path: string): Known<T> {
  if (Array.isArray(spec)) {
    const options = spec.map((s, i) => build(s, type, `${path}/${i}`));
    return (v, scheme) => options.some((o) => o(v, scheme));
  }
  if (typeof spec === "object" && spec !== null) {
    const o = spec as { not?: unknown; all?: unknown };
    if ("not" in o) {
      const inner = build(o.not, type, `${path}/not`);
      return (v, scheme) => !inner(v, scheme);
    }
    if (Array.isArray(o.all)) {
      const every = o.all.map((s, i) => build(s, type, `${path}/all/${i}`));
      return (v, scheme) => every.every((e) => e(v, scheme));
    }
    throw new PolicyCompileError(path, "must be a leaf, a list, {not: ...} or {all: [...]}");
  }
  return LEAVES[type](spec, path) as Known<T>;
}

type LeafCompilers = { [T in FieldType]: (spec: unknown, path: string) => Known<T> };

const LEAVES: LeafCompilers = {
  text: (spec, path) =>
    textLeaf(typeof spec === "number" ? String(spec) : expectString(spec, path), path),
  version: (spec, path) => versionLeaf(expectString(spec, path), path),
  number: numberLeaf,
  address: addressLeaf,
  boolean: (spec, path) => {
    if (typeof spec !== "boolean") throw new PolicyCompileError(path, "must be true or false");
    return (v) => v === spec;
  },
};

function expectString(spec: unknown, path: string): string {
  if (typeof spec !== "string") throw new PolicyCompileError(path, "must be a string");
  return spec;
}

function pattern(text: string, path: string): (v: string) => boolean {
  try {
    return compileTextPattern(text);
  } catch (error) {
    if (error instanceof PatternError) {
      throw new PolicyCompileError(path, `the regular expression ${error.message}`);
    }
    throw error;
  }
}

const NUMERIC = /^\s*-?\d+(\.\d+)?\s*$/;

function textLeaf(spec: string, path: string): Known<"text"> {
  const comparator = parseComparator(spec);
  if (!comparator) return pattern(spec, path);
  const { op, operand } = comparator;
  if (NUMERIC.test(operand)) {
    const n = Number(operand);
    return (v) =>
      NUMERIC.test(v) ? satisfies(op, Number(v) - n) : satisfies(op, compareGeneric(v, operand));
  }
  return (v) => satisfies(op, compareGeneric(v, operand));
}

function versionLeaf(spec: string, path: string): Known<"version"> {
  const comparator = parseComparator(spec);
  if (!comparator) return pattern(spec, path);
  const { op, operand } = comparator;
  return (v, scheme) => satisfies(op, compareVersions(v, operand, scheme));
}

const UNITS: Readonly<Record<string, number>> = {
  "": 1,
  B: 1,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  PB: 1e15,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
  PiB: 2 ** 50,
};
const NUMBER_LEAF = /^(?:(lt|le|eq|ge|gt|ne):)?\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]*)$/;

function numberLeaf(spec: unknown, path: string): Known<"number"> {
  if (typeof spec === "number") return (v) => v === spec;
  const m = typeof spec === "string" ? NUMBER_LEAF.exec(spec.trim()) : null;
  const unit = m ? UNITS[m[3] ?? ""] : undefined;
  if (!m || unit === undefined) {
    throw new PolicyCompileError(
      path,
      "must be a number or a comparison such as gt:90 or ge:512MiB",
    );
  }
  const op = (m[1] ?? "eq") as Parameters<typeof satisfies>[0];
  const n = Number(m[2]) * unit;
  return (v) => satisfies(op, v - n);
}

function addressLeaf(spec: unknown, path: string): Known<"address"> {
  const range = typeof spec === "string" ? parseCidr(spec) : undefined;
  if (!range) throw new PolicyCompileError(path, "must be an IP address or a CIDR range");
  return (ip) => cidrContains(range, ip);
}

/** The exact strings a text matcher stands for, when it is nothing else. */
function literalsOf(spec: unknown): string[] | undefined {
  const items = Array.isArray(spec) ? spec : [spec];
  const exact = (s: unknown): s is string =>
    typeof s === "string" && !/[*?[\\]/.test(s) && !isRegexLiteral(s) && !parseComparator(s);
  const texts = items.map((s) => (typeof s === "number" ? String(s) : s));
  return texts.every(exact) ? texts : undefined;
}
