/**
 * The syntax tree of the patterns policies match text with (regular expressions and globs),
 * and the parser of regular expressions. Only what a finite automaton can run is
 * accepted, so every pattern matches in time linear in its input (see automaton.ts).
 */

/** A test of one UTF-16 code unit. */
export type CharTest = (c: number) => boolean;

export type Node =
  /** One character; `code` when it is exactly that code unit (a literal, case kept). */
  | { t: "char"; test: CharTest; code?: number }
  | { t: "cat"; items: Node[] }
  | { t: "alt"; options: Node[] }
  | { t: "repeat"; node: Node; min: number; max: number }
  | { t: "start" }
  | { t: "end" };

/** The longest regular expression a policy may hold. */
export const MAX_PATTERN_LENGTH = 1_000;
/** Counted repetitions above this are refused: they would only make the automaton large. */
const MAX_COUNT = 1_000;

/** A pattern the engine refuses, with the reason in words. */
export class PatternError extends Error {
  override name = "PatternError";
}

export const anyChar: CharTest = () => true;
const notNewline: CharTest = (c) => c !== 10 && c !== 13 && c !== 0x2028 && c !== 0x2029;
const digit: CharTest = (c) => c >= 48 && c <= 57;
const word: CharTest = (c) => digit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const space: CharTest = (c) =>
  c === 32 ||
  (c >= 9 && c <= 13) ||
  c === 0xa0 ||
  c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 ||
  c === 0x2029 ||
  c === 0x202f ||
  c === 0x205f ||
  c === 0x3000 ||
  c === 0xfeff;
const not =
  (test: CharTest): CharTest =>
  (c) =>
    !test(c);
const is =
  (code: number): CharTest =>
  (c) =>
    c === code;

const CLASS_ESCAPES: Readonly<Record<string, CharTest>> = {
  d: digit,
  D: not(digit),
  w: word,
  W: not(word),
  s: space,
  S: not(space),
};
const CONTROL_ESCAPES: Readonly<Record<string, number>> = {
  t: 9,
  n: 10,
  v: 11,
  f: 12,
  r: 13,
  "0": 0,
};

/** Flags a regular expression may carry: i (ignore case) and s (dot matches newlines). */
export type Flags = { ignoreCase: boolean; dotAll: boolean };

/** Reads a regular expression into a tree; throws PatternError for what it does not run. */
export function parseRegex(source: string, flags: Flags): Node {
  if (source.length > MAX_PATTERN_LENGTH) {
    throw new PatternError(`is longer than ${MAX_PATTERN_LENGTH} characters`);
  }
  const parser = new RegexParser(source, flags);
  const node = parser.alternation();
  if (!parser.done()) throw new PatternError(`has an unmatched ")" at ${parser.position()}`);
  return node;
}

class RegexParser {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly flags: Flags,
  ) {}

  done(): boolean {
    return this.i >= this.s.length;
  }

  position(): number {
    return this.i;
  }

  alternation(): Node {
    const options = [this.sequence()];
    while (this.s[this.i] === "|") {
      this.i++;
      options.push(this.sequence());
    }
    return options.length === 1 ? (options[0] as Node) : { t: "alt", options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.i < this.s.length && this.s[this.i] !== "|" && this.s[this.i] !== ")") {
      items.push(this.quantified(this.atom()));
    }
    return items.length === 1 ? (items[0] as Node) : { t: "cat", items };
  }

  private quantified(node: Node): Node {
    const bounds = this.quantifier();
    if (!bounds) return node;
    if (node.t === "start" || node.t === "end") throw new PatternError("repeats an anchor");
    // Laziness changes which match is found, not whether there is one.
    if (this.s[this.i] === "?") this.i++;
    if (this.s[this.i] === "+") throw new PatternError("uses a possessive quantifier");
    const next = this.quantifier();
    if (next) throw new PatternError(`has two quantifiers in a row at ${this.i}`);
    return { t: "repeat", node, min: bounds[0], max: bounds[1] };
  }

  private quantifier(): [number, number] | undefined {
    const c = this.s[this.i];
    if (c === "*" || c === "+" || c === "?") {
      this.i++;
      return c === "*" ? [0, Infinity] : c === "+" ? [1, Infinity] : [0, 1];
    }
    if (c !== "{") return undefined;
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i));
    if (!m) return undefined; // a literal "{", as JavaScript reads it
    this.i += m[0].length;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
    if (min > MAX_COUNT || (max !== Infinity && max > MAX_COUNT)) {
      throw new PatternError(`counts more than ${MAX_COUNT} repetitions`);
    }
    if (max < min) throw new PatternError("has a repetition whose maximum is below its minimum");
    return [min, max];
  }

  private atom(): Node {
    const c = this.s[this.i++] as string;
    switch (c) {
      case "(":
        return this.group();
      case "[":
        return { t: "char", test: this.charClass() };
      case ".":
        return { t: "char", test: this.flags.dotAll ? anyChar : notNewline };
      case "^":
        return { t: "start" };
      case "$":
        return { t: "end" };
      case "\\":
        return { t: "char", test: this.fold(this.escape(false)) };
      case "*":
      case "+":
      case "?":
        throw new PatternError(`has nothing to repeat at ${this.i - 1}`);
      default: {
        const code = c.charCodeAt(0);
        return this.flags.ignoreCase
          ? { t: "char", test: this.fold(is(code)) }
          : { t: "char", test: is(code), code };
      }
    }
  }

  private group(): Node {
    if (this.s[this.i] === "?") {
      const named = /^\?<([A-Za-z_$][\w$]*)>/.exec(this.s.slice(this.i));
      if (this.s[this.i + 1] === ":") this.i += 2;
      else if (named) this.i += named[0].length;
      else throw new PatternError("uses a lookaround; only plain and (?:) groups are run");
    }
    const node = this.alternation();
    if (this.s[this.i] !== ")") throw new PatternError("has an unclosed group");
    this.i++;
    return node;
  }

  /** An escape after "\": a class (\d), a control (\n), a code (\x41, \u0041) or a literal. */
  private escape(inClass: boolean): CharTest {
    const c = this.s[this.i++];
    if (c === undefined) throw new PatternError("ends with a backslash");
    const klass = CLASS_ESCAPES[c];
    if (klass) return klass;
    const control = CONTROL_ESCAPES[c];
    if (control !== undefined && !/[0-9]/.test(this.s[this.i] ?? "")) return is(control);
    if (c === "x" || c === "u") return is(this.hexCode(c === "x" ? 2 : 4));
    if (c === "b" && inClass) return is(8);
    if (c === "b" || c === "B") throw new PatternError("uses a word boundary (\\b), not supported");
    if (/[1-9]/.test(c) || c === "k") throw new PatternError("uses a backreference");
    if (/[A-Za-z0-9]/.test(c)) throw new PatternError(`uses the unknown escape \\${c}`);
    return is(c.charCodeAt(0));
  }

  private hexCode(digits: number): number {
    const hex = this.s.slice(this.i, this.i + digits);
    if (!new RegExp(`^[0-9A-Fa-f]{${digits}}$`).test(hex)) {
      throw new PatternError(`has a malformed \\x or \\u escape at ${this.i}`);
    }
    this.i += digits;
    return Number.parseInt(hex, 16);
  }

  /** A bracket expression, after its "[". */
  private charClass(): CharTest {
    const negated = this.s[this.i] === "^";
    if (negated) this.i++;
    const tests: CharTest[] = [];
    // As in JavaScript, "[]" is a class of nothing and "[^]" one of everything.
    while (this.s[this.i] !== "]") {
      if (this.i >= this.s.length) throw new PatternError("has an unclosed [");
      const low = this.classMember();
      if (this.s[this.i] === "-" && this.s[this.i + 1] !== "]" && this.i + 1 < this.s.length) {
        this.i++;
        tests.push(this.range(low, this.classMember()));
      } else {
        tests.push(low.test);
      }
    }
    this.i++;
    // Case folding applies to the members, before any negation: [^a] with i excludes "A".
    const inClass = this.fold((c) => tests.some((t) => t(c)));
    return negated ? not(inClass) : inClass;
  }

  private classMember(): { test: CharTest; code?: number } {
    const c = this.s[this.i++] as string;
    if (c !== "\\") return { test: is(c.charCodeAt(0)), code: c.charCodeAt(0) };
    const start = this.i;
    const test = this.escape(true);
    const text = this.s.slice(start, this.i);
    const single = CLASS_ESCAPES[text] ? undefined : singleCode(text);
    return single === undefined ? { test } : { test, code: single };
  }

  private range(low: { code?: number }, high: { code?: number }): CharTest {
    if (low.code === undefined || high.code === undefined || high.code < low.code) {
      throw new PatternError("has a malformed range in [...]");
    }
    const from = low.code;
    const to = high.code;
    return (c) => c >= from && c <= to;
  }

  private fold(test: CharTest): CharTest {
    return this.flags.ignoreCase ? foldCase(test) : test;
  }
}

/** The code unit an escape's text stands for (`n` -> 10, `x41` -> 65, `.` -> 46). */
function singleCode(text: string): number | undefined {
  const control = CONTROL_ESCAPES[text];
  if (control !== undefined) return control;
  if (text === "b") return 8;
  if (/^[xu][0-9A-Fa-f]+$/.test(text)) return Number.parseInt(text.slice(1), 16);
  return text.length === 1 ? text.charCodeAt(0) : undefined;
}

/** The same test, blind to case. */
export function foldCase(test: CharTest): CharTest {
  return (c) => {
    if (test(c)) return true;
    const ch = String.fromCharCode(c);
    const lower = ch.toLowerCase();
    const upper = ch.toUpperCase();
    return (
      (lower.length === 1 && test(lower.charCodeAt(0))) ||
      (upper.length === 1 && test(upper.charCodeAt(0)))
    );
  };
}

/**
 * The longest run of literal characters every match must contain ("" when there is none):
 * text without it cannot match, which a plain substring search tells far faster than the
 * automaton.
 */
export function requiredLiteral(node: Node): string {
  switch (node.t) {
    case "char":
      return node.code === undefined ? "" : String.fromCharCode(node.code);
    case "repeat":
      return node.min >= 1 ? requiredLiteral(node.node) : "";
    case "cat": {
      let best = "";
      let run = "";
      for (const item of node.items) {
        if (item.t === "char" && item.code !== undefined) {
          run += String.fromCharCode(item.code);
          continue;
        }
        if (run.length > best.length) best = run;
        run = "";
        const inner = requiredLiteral(item);
        if (inner.length > best.length) best = inner;
      }
      return run.length > best.length ? run : best;
    }
    default:
      return "";
  }
}
