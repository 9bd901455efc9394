import { markNulFree } from "@compliance/contract";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApiError } from "../errors.ts";

export interface JsonLimits {
  /** Deepest nesting of arrays and objects. */
  maxDepth: number;
  /** Most items of one array, or members of one object. */
  maxItems: number;
  /** Most items and members in the whole text; MAX_VALUES unless told. */
  maxValues?: number;
}

/**
 * The most items and members one body may hold in all. The largest report the contract
 * allows (20,000 processes, 50,000 packages and every other list at its limit) holds about
 * 700,000; parsing a million takes tens of milliseconds, four million (which fit in the
 * report limit as small numbers) hold the event loop for hundreds.
 */
export const MAX_VALUES = 1_000_000;

/** Where a JSON text breaks a limit, found before it is parsed. */
export interface JsonLimitProblem {
  kind: "depth" | "items" | "values";
  /** The container at fault, as `body/processes/3/cmdline`. */
  path: string;
  limit: number;
  /** Where in the text the scan stopped: it reads no further than the fault. */
  offset: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** One open array or object while scanning. */
interface Level {
  array: boolean;
  /** Separators seen: the current item's index. */
  commas: number;
  /** Whether the next string of this object is a member's name. */
  expectKey: boolean;
  /** The current member's name, as offsets of its quotes in the text. */
  keyStart: number;
  keyEnd: number;
}

/** The end of the string whose opening quote is at `start`: its closing quote, or -1. */
function stringEnd(text: string, start: number): number {
  let at = text.indexOf('"', start + 1);
  while (at !== -1) {
    let slashes = 0;
    for (let k = at - 1; text.charCodeAt(k) === BACKSLASH; k--) slashes++;
    if (slashes % 2 === 0) return at;
    at = text.indexOf('"', at + 1);
  }
  return -1;
}

function memberName(text: string, level: Level): string {
  const raw = text.slice(level.keyStart, level.keyEnd + 1);
  let name: string;
  try {
    name = JSON.parse(raw) as string;
  } catch {
    name = raw.slice(1, -1);
  }
  return name.replace(/~/g, "~0").replace(/\//g, "~1");
}

function pathOf(text: string, stack: Level[], depth: number): string {
  const parts = ["body"];
  for (let d = 0; d < depth - 1; d++) {
    const level = stack[d]!;
    parts.push(level.array ? String(level.commas) : memberName(text, level));
  }
  return parts.join("/");
}

/**
 * Finds where a JSON text nests deeper or holds longer arrays (or objects) than the limits,
 * without parsing it: one pass over the characters that stops at the first fault, so a
 * body of a million items is refused after reading the first `maxItems` of them and before
 * any object is built. Malformed JSON is left for the parser to report.
 */
export function scanJson(text: string, limits: JsonLimits): JsonLimitProblem | null {
  const stack: Level[] = [];
  let depth = 0;
  let values = 0;
  const maxValues = limits.maxValues ?? MAX_VALUES;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end === -1) return null;
      const level = depth > 0 ? stack[depth - 1]! : null;
      if (level && !level.array && level.expectKey) {
        level.keyStart = i;
        level.keyEnd = end;
        level.expectKey = false;
      }
      i = end;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
      if (depth > limits.maxDepth) {
        return {
          kind: "depth",
          path: pathOf(text, stack, depth),
          limit: limits.maxDepth,
          offset: i,
        };
      }
      const level = stack[depth - 1];
      const array = c === OPEN_ARRAY;
      if (level) {
        level.array = array;
        level.commas = 0;
        level.expectKey = !array;
      } else {
        stack.push({ array, commas: 0, expectKey: !array, keyStart: 0, keyEnd: 0 });
      }
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (depth > 0) depth--;
    } else if (c === COMMA && depth > 0) {
      const level = stack[depth - 1]!;
      level.commas++;
      level.expectKey = !level.array;
      if (++values >= maxValues) {
        return { kind: "values", path: "body", limit: maxValues, offset: i };
      }
      if (level.commas >= limits.maxItems) {
        return {
          kind: "items",
          path: pathOf(text, stack, depth),
          limit: limits.maxItems,
          offset: i,
        };
      }
    }
  }
  return null;
}

/** The answer to a body that breaks a limit: 400 too deep, 413 too many items; the field named. */
export function jsonLimitError(problem: JsonLimitProblem): ApiError {
  if (problem.kind === "depth") {
    const message = `nests arrays and objects deeper than ${problem.limit} levels`;
    return new ApiError(400, "too_deep", `${problem.path} ${message}`, [
      { path: problem.path, message },
    ]);
  }
  if (problem.kind === "values") {
    const message = `holds more than ${problem.limit} items and members in all`;
    return new ApiError(413, "too_many_values", `${problem.path} ${message}`, [
      { path: problem.path, message },
    ]);
  }
  const message = `holds more than ${problem.limit} items`;
  return new ApiError(413, "too_many_items", `${problem.path} ${message}`, [
    { path: problem.path, message },
  ]);
}

const NUL_ESCAPE = "\\u0000";

/**
 * Whether a JSON text holds the escape of the NUL character (backslash, u, four zeros)
 * anywhere: the only way a NUL reaches a parsed string or member name, since a raw NUL is
 * not valid JSON. A backslash that is itself escaped (`\\u0000`, a backslash then the
 * text "u0000") does not count.
 */
export function holdsNulEscape(text: string): boolean {
  for (let at = text.indexOf(NUL_ESCAPE); at !== -1; at = text.indexOf(NUL_ESCAPE, at + 1)) {
    let slashes = 1;
    for (let k = at - 1; text.charCodeAt(k) === BACKSLASH; k--) slashes++;
    if (slashes % 2 === 1) return true;
  }
  return false;
}

/** Throws the answer when a JSON text breaks a limit. */
export function checkJsonLimits(text: string, limits: JsonLimits): void {
  const problem = scanJson(text, limits);
  if (problem) throw jsonLimitError(problem);
}

/**
 * Replaces the application/json parser of `app` with one that checks the limits before
 * Fastify's own parser (which keeps refusing __proto__ and constructor keys) builds anything.
 * A body whose text holds no NUL escape is marked so (markNulFree): the NUL checks of the
 * routes and of reports then skip walking its strings.
 */
export function limitJsonBodies(app: FastifyInstance, limits: JsonLimits): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser(
    "application/json",
    { parseAs: "string" },
    (request: FastifyRequest, body: string | Buffer, done) => {
      const text = typeof body === "string" ? body : body.toString("utf8");
      const problem = scanJson(text, limits);
      if (problem) {
        done(jsonLimitError(problem), undefined);
        return;
      }
      parse(request, text, (error, value) => {
        if (!error && value !== null && typeof value === "object" && !holdsNulEscape(text)) {
          markNulFree(value);
        }
        done(error, value);
      });
    },
  );
}
