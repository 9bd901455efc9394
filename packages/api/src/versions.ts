/**
 * Version comparison the way each package manager does it, and the comparator syntax of
 * policies and package searches (`lt:3.0.13`). Pure: no I/O, no state.
 *
 * Every compare function returns a negative number, zero or a positive number, like a sort
 * comparator; only the sign means anything.
 */

/** How a version string is ordered: by the package manager that wrote it. */
export type VersionScheme = "deb" | "rpm" | "apk" | "generic";

export type CompareFn = (a: string, b: string) => number;

/** The comparison operators of the comparator syntax `op:operand`. */
export const COMPARATOR_OPS = ["lt", "le", "eq", "ge", "gt", "ne"] as const;
export type ComparatorOp = (typeof COMPARATOR_OPS)[number];

/** A parsed `op:operand`, e.g. `lt:3.0.13` is `{ op: "lt", operand: "3.0.13" }`. */
export type Comparator = { op: ComparatorOp; operand: string };

const COMPARATOR = /^(lt|le|eq|ge|gt|ne):\s*(\S(?:.*\S)?)\s*$/s;

/** Parses `lt:3.0.13`; anything else (no known operator, empty operand) is undefined. */
export function parseComparator(text: string): Comparator | undefined {
  const m = COMPARATOR.exec(text);
  if (!m) return undefined;
  return { op: m[1] as ComparatorOp, operand: m[2] as string };
}

/** Whether the sign of a comparison (value against operand) satisfies the operator. */
export function satisfies(op: ComparatorOp, sign: number): boolean {
  switch (op) {
    case "lt":
      return sign < 0;
    case "le":
      return sign <= 0;
    case "eq":
      return sign === 0;
    case "ge":
      return sign >= 0;
    case "gt":
      return sign > 0;
    case "ne":
      return sign !== 0;
  }
}

/** The scheme of a package manager as the report names it (`source`); unknown ones are generic. */
export function schemeOfSource(source: string): VersionScheme {
  return source === "deb" || source === "rpm" || source === "apk" ? source : "generic";
}

/** Compares two versions of one scheme. */
export function compareVersions(a: string, b: string, scheme: VersionScheme = "generic"): number {
  return COMPARE[scheme](a, b);
}

/**
 * A predicate for "version satisfies comparator", for one scheme. Made once per comparator
 * and scheme, then applied to many versions.
 */
export function versionPredicate(
  comparator: Comparator,
  scheme: VersionScheme = "generic",
): (version: string) => boolean {
  const compare = COMPARE[scheme];
  const { op, operand } = comparator;
  return (version) => satisfies(op, compare(version, operand));
}

// ---------------------------------------------------------------------------------------
// Debian (dpkg): [epoch:]upstream[-revision]. Non-digit runs compare character by
// character where `~` sorts before everything, even the end of the string, and letters
// sort before other characters; digit runs compare as numbers.

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const TILDE = 126;
const CARET = 94;

/** dpkg's weight of the character at i: end and digits 0, `~` below, letters, then the rest. */
function dpkgOrder(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === TILDE) return -1;
  return c + 256;
}

/** dpkg's comparison of one part (upstream or revision). */
export function dpkgPartCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (
      (i < a.length && !isDigit(a.charCodeAt(i))) ||
      (j < b.length && !isDigit(b.charCodeAt(j)))
    ) {
      const diff = dpkgOrder(a, i) - dpkgOrder(b, j);
      if (diff !== 0) return diff;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 48) i++;
    while (b.charCodeAt(j) === 48) j++;
    let firstDiff = 0;
    while (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charCodeAt(i))) return 1;
    if (isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

type Evr = { epoch: number; version: string; release: string | undefined };

/** Splits `[epoch:]version[-release]`; a missing or unreadable epoch is 0. */
function splitEvr(text: string): Evr {
  const colon = text.indexOf(":");
  const head = colon >= 0 ? text.slice(0, colon) : "";
  const epoch = /^\d{1,9}$/.test(head) ? Number(head) : 0;
  const rest = colon >= 0 ? text.slice(colon + 1) : text;
  const dash = rest.lastIndexOf("-");
  return dash >= 0
    ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) }
    : { epoch, version: rest, release: undefined };
}

/** dpkg: epoch, then upstream, then revision (an absent revision is empty, as dpkg has it). */
export function compareDebian(a: string, b: string): number {
  const x = splitEvr(a.trim());
  const y = splitEvr(b.trim());
  if (x.epoch !== y.epoch) return x.epoch - y.epoch;
  return dpkgPartCompare(x.version, y.version) || dpkgPartCompare(x.release ?? "", y.release ?? "");
}

// ---------------------------------------------------------------------------------------
// RPM (rpmvercmp): alphanumeric segments, other characters only separate them; numeric
// segments beat alphabetic ones; `~` sorts before everything, `^` after the base version
// but before any further segment.

const isAlnum = (c: number) => isDigit(c) || isAlpha(c);

/** Compares two numeric segments as numbers of any length. */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+/, "");
  const y = b.replace(/^0+/, "");
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The segment of s that starts at i: a run of digits, or of letters. */
function segmentEnd(s: string, i: number, numeric: boolean): number {
  let k = i;
  while (k < s.length && (numeric ? isDigit(s.charCodeAt(k)) : isAlpha(s.charCodeAt(k)))) k++;
  return k;
}

/** One step of rpmvercmp over the separators `~` and `^`; undefined when neither is there. */
function rpmSeparator(a: string, i: number, b: string, j: number): number | undefined {
  const ca = a.charCodeAt(i);
  const cb = b.charCodeAt(j);
  if (ca === TILDE || cb === TILDE) {
    if (ca !== TILDE) return 1;
    if (cb !== TILDE) return -1;
    return 0;
  }
  if (ca === CARET || cb === CARET) {
    if (i >= a.length) return -1;
    if (j >= b.length) return 1;
    if (ca !== CARET) return 1;
    if (cb !== CARET) return -1;
    return 0;
  }
  return undefined;
}

/** rpm's comparison of one version or release string. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const skippable = (c: number) => !isAlnum(c) && c !== TILDE && c !== CARET;
  while (i < a.length || j < b.length) {
    while (i < a.length && skippable(a.charCodeAt(i))) i++;
    while (j < b.length && skippable(b.charCodeAt(j))) j++;
    const separator = rpmSeparator(a, i, b, j);
    if (separator !== undefined) {
      if (separator !== 0) return separator;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(a.charCodeAt(i));
    const ei = segmentEnd(a, i, numeric);
    const ej = segmentEnd(b, j, numeric);
    // A numeric segment against an alphabetic one: the numeric one is newer.
    if (ej === j) return numeric ? 1 : -1;
    const x = a.slice(i, ei);
    const y = b.slice(j, ej);
    const diff = numeric ? compareDigits(x, y) : x < y ? -1 : x > y ? 1 : 0;
    if (diff !== 0) return diff;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/**
 * rpm: epoch (absent is 0), version, then release, the release only when both sides have
 * one, so `lt:3.0.7` asks about every release of 3.0.7 the way rpm's own dependencies do.
 */
export function compareRpm(a: string, b: string): number {
  const x = splitEvr(a.trim());
  const y = splitEvr(b.trim());
  if (x.epoch !== y.epoch) return x.epoch - y.epoch;
  const byVersion = rpmvercmp(x.version, y.version);
  if (byVersion !== 0 || x.release === undefined || y.release === undefined) return byVersion;
  return rpmvercmp(x.release, y.release);
}

// ---------------------------------------------------------------------------------------
// Alpine apk: numbers separated by dots, an optional letter, suffixes (_alpha, _beta, _pre,
// _rc before the plain release; _cvs, _svn, _git, _hg, _p after it), each with an optional
// number, then -rN. Numbers after the first that start with 0 compare as decimal fractions.

const APK =
  /^(\d+(?:\.\d+)*)([a-z]?)((?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*)(?:-r(\d+))?$/;
/** Rank of each suffix; the plain release (no further suffix) ranks between rc and cvs. */
const APK_SUFFIX_RANK: Readonly<Record<string, number>> = {
  alpha: 0,
  beta: 1,
  pre: 2,
  rc: 3,
  cvs: 5,
  svn: 6,
  git: 7,
  hg: 8,
  p: 9,
};
const APK_NO_SUFFIX = 4;

type ApkVersion = {
  numbers: string[];
  letter: string;
  suffixes: { rank: number; number: string }[];
  revision: string;
};

function parseApk(text: string): ApkVersion | undefined {
  const m = APK.exec(text.trim());
  if (!m) return undefined;
  const suffixes = [...(m[3] ?? "").matchAll(/_([a-z]+)(\d*)/g)].map((s) => ({
    rank: APK_SUFFIX_RANK[s[1] as string] ?? APK_NO_SUFFIX,
    number: s[2] || "0",
  }));
  return {
    numbers: (m[1] as string).split("."),
    letter: m[2] ?? "",
    suffixes,
    revision: m[4] ?? "0",
  };
}

/** A number after the first: with a leading zero on either side, both read as fractions. */
function compareApkNumber(x: string, y: string, first: boolean): number {
  if (first || (!x.startsWith("0") && !y.startsWith("0"))) return compareDigits(x, y);
  const fx = x.replace(/0+$/, "");
  const fy = y.replace(/0+$/, "");
  return fx < fy ? -1 : fx > fy ? 1 : 0;
}

function compareApkSuffixes(x: ApkVersion["suffixes"], y: ApkVersion["suffixes"]): number {
  for (let k = 0; k < Math.max(x.length, y.length); k++) {
    const sx = x[k] ?? { rank: APK_NO_SUFFIX, number: "0" };
    const sy = y[k] ?? { rank: APK_NO_SUFFIX, number: "0" };
    if (sx.rank !== sy.rank) return sx.rank - sy.rank;
    const diff = compareDigits(sx.number, sy.number);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** apk; a version apk would not accept is compared the generic way. */
export function compareApk(a: string, b: string): number {
  const x = parseApk(a);
  const y = parseApk(b);
  if (!x || !y) return compareGeneric(a, b);
  for (let k = 0; k < Math.min(x.numbers.length, y.numbers.length); k++) {
    const diff = compareApkNumber(x.numbers[k] as string, y.numbers[k] as string, k === 0);
    if (diff !== 0) return diff;
  }
  if (x.numbers.length !== y.numbers.length) return x.numbers.length - y.numbers.length;
  if (x.letter !== y.letter) return x.letter < y.letter ? -1 : 1;
  return compareApkSuffixes(x.suffixes, y.suffixes) || compareDigits(x.revision, y.revision);
}

// ---------------------------------------------------------------------------------------

/**
 * Anything else (kernel releases, OS versions, unknown package managers): the leading
 * version-like word (`12` of `12 (bookworm)`), compared dpkg's way without epoch or
 * revision, which orders digit runs as numbers and puts `~` pre-releases first.
 */
export function compareGeneric(a: string, b: string): number {
  return dpkgPartCompare(leadingWord(a), leadingWord(b));
}

function leadingWord(s: string): string {
  const t = s.trim();
  const space = t.search(/\s/);
  return space < 0 ? t : t.slice(0, space);
}

const COMPARE: Readonly<Record<VersionScheme, CompareFn>> = Object.freeze({
  deb: compareDebian,
  rpm: compareRpm,
  apk: compareApk,
  generic: compareGeneric,
});
