import { compileAutomaton } from "./automaton.ts";
import { anyChar, type Node, PatternError, parseRegex, requiredLiteral } from "./syntax.ts";

/**
 * Text patterns of the matcher grammar: `/body/flags` is a regular expression (searched,
 * as in JavaScript), anything else a glob over the whole string (`*`, `?`, `[a-z]`,
 * `[!a-z]`, `\` escapes the next character). Both run in linear time.
 */

export type TextTest = (text: string) => boolean;

// A regular expression's body has no unescaped "/" outside a class, as in a JavaScript
// literal; so paths such as "/usr/sbin/sshd" or "/bin/sh" stay globs.
const REGEX_LITERAL = /^\/((?:[^/\\[]|\\.|\[(?:[^\]\\]|\\.)*\])+)\/([dgimsuvy]*)$/s;

/** Whether a leaf string is a regular expression literal rather than a glob. */
export function isRegexLiteral(text: string): boolean {
  return REGEX_LITERAL.test(text);
}

/** Compiles a leaf string into a test; throws PatternError naming what it refuses. */
export function compileTextPattern(text: string): TextTest {
  const literal = REGEX_LITERAL.exec(text);
  return literal ? compileRegex(literal[1] as string, literal[2] as string) : compileGlob(text);
}

function compileRegex(body: string, flags: string): TextTest {
  const unsupported = flags.replace(/[is]/g, "");
  if (unsupported !== "") {
    throw new PatternError(
      `uses the flag ${unsupported[0]}; only i and s are supported (to match a path that ` +
        `looks like /a/b, escape its first slash: \\/a/b)`,
    );
  }
  const node = parseRegex(body, { ignoreCase: flags.includes("i"), dotAll: flags.includes("s") });
  const automaton = compileAutomaton(node);
  const literal = requiredLiteral(node);
  return literal === "" ? automaton : (text) => text.includes(literal) && automaton(text);
}

type GlobToken = { literal: string } | { star: true } | { one: true } | { node: Node };

/** A glob: a plain string is an exact match; only `*` is done with string search. */
export function compileGlob(glob: string): TextTest {
  const tokens = globTokens(glob);
  if (tokens.every((t) => "literal" in t || "star" in t)) {
    return starGlob(mergeLiterals(tokens));
  }
  const items: Node[] = [{ t: "start" }];
  for (const token of tokens) {
    if ("literal" in token) {
      for (const ch of token.literal) {
        const code = ch.charCodeAt(0);
        items.push({ t: "char", test: (c) => c === code });
      }
    } else if ("star" in token) {
      items.push({ t: "repeat", node: { t: "char", test: anyChar }, min: 0, max: Infinity });
    } else if ("one" in token) {
      items.push({ t: "char", test: anyChar });
    } else {
      items.push(token.node);
    }
  }
  items.push({ t: "end" });
  return compileAutomaton({ t: "cat", items });
}

function globTokens(glob: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*") tokens.push({ star: true });
    else if (c === "?") tokens.push({ one: true });
    else if (c === "\\" && i + 1 < glob.length) tokens.push({ literal: glob[++i] as string });
    else if (c === "[") {
      const end = bracketEnd(glob, i);
      if (end < 0) tokens.push({ literal: c });
      else {
        tokens.push({ node: bracket(glob.slice(i + 1, end)) });
        i = end;
      }
    } else tokens.push({ literal: c });
  }
  return tokens;
}

/** Where the bracket expression opened at i closes; -1 when it does not (a literal "["). */
function bracketEnd(glob: string, i: number): number {
  let k = i + 1;
  if (glob[k] === "!" || glob[k] === "^") k++;
  if (glob[k] === "]") k++; // "[]a]" holds "]"
  while (k < glob.length && glob[k] !== "]") k++;
  return k < glob.length ? k : -1;
}

function bracket(inner: string): Node {
  const negated = inner[0] === "!" || inner[0] === "^";
  const body = negated ? inner.slice(1) : inner;
  const ranges: [number, number][] = [];
  for (let k = 0; k < body.length; k++) {
    const low = body.charCodeAt(k);
    if (body[k + 1] === "-" && k + 2 < body.length) {
      ranges.push([low, body.charCodeAt(k + 2)]);
      k += 2;
    } else ranges.push([low, low]);
  }
  const inSet = (c: number) => ranges.some(([from, to]) => c >= from && c <= to);
  return { t: "char", test: negated ? (c) => !inSet(c) : inSet };
}

function mergeLiterals(tokens: GlobToken[]): (string | null)[] {
  // null stands for a star; consecutive literal characters join into one string.
  const parts: (string | null)[] = [];
  for (const t of tokens) {
    const last = parts[parts.length - 1];
    if ("literal" in t) {
      if (typeof last === "string") parts[parts.length - 1] = last + t.literal;
      else parts.push(t.literal);
    } else if (last !== null || parts.length === 0) parts.push(null);
  }
  return parts;
}

/**
 * Stars only: the first and last pieces anchor the ends, the middle ones are found left to
 * right (leftmost is always right when the only wildcard is `*`).
 */
function starGlob(parts: (string | null)[]): TextTest {
  if (!parts.includes(null)) {
    const exact = parts.join("");
    return (text) => text === exact;
  }
  const head = typeof parts[0] === "string" ? parts[0] : "";
  const tailPart = parts[parts.length - 1];
  const tail = typeof tailPart === "string" ? tailPart : "";
  const middle = parts.slice(1, -1).filter((p): p is string => typeof p === "string");
  if (middle.length === 0 && head === "" && tail === "") return () => true;
  return (text) => {
    if (text.length < head.length + tail.length) return false;
    if (!text.startsWith(head) || !text.endsWith(tail)) return false;
    let at = head.length;
    const stop = text.length - tail.length;
    for (const piece of middle) {
      const found = text.indexOf(piece, at);
      if (found < 0 || found + piece.length > stop) return false;
      at = found + piece.length;
    }
    return true;
  };
}
