import { validatePolicy } from "@compliance/contract";
import { type Document, isNode, isScalar, LineCounter, parseAllDocuments } from "yaml";
import { PolicyCompileError } from "./errors.ts";
import { type CompiledPolicy, compilePolicy } from "./evaluate.ts";

/**
 * Reads policy documents: YAML (several in one stream, separated by ---) or JSON (which is
 * YAML too). Every document is validated against the contract's schema and compiled, so
 * a policy that parses here will evaluate; every problem names its line and field.
 */

/** One thing wrong with a policy file: where (line, and a JSON pointer) and what. */
export type PolicyProblem = {
  /** 1-based line in the text; absent when the problem is not at a place (an empty file). */
  line?: number;
  /** JSON pointer into the document (/check/none/0/process/name); "/" for the whole. */
  path: string;
  message: string;
};

export type ParseResult =
  | { ok: true; policies: CompiledPolicy[] }
  | { ok: false; problems: PolicyProblem[] };

/** Aliases a document may expand: a few are handy, thousands are an attack. */
const MAX_ALIASES = 100;

/** Parses, validates and compiles every policy of a text. */
export function parsePolicies(text: string): ParseResult {
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [];
  const problems: PolicyProblem[] = [];
  const policies: CompiledPolicy[] = [];
  for (const doc of list) {
    if (doc.errors.length > 0) {
      problems.push(...doc.errors.map((e) => syntaxProblem(e.message, e.linePos?.[0].line)));
      continue;
    }
    // An empty document, e.g. after a final ---, holds nothing rather than a bad policy.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    const result = policyOf(doc, lines);
    if ("problems" in result) problems.push(...result.problems);
    else if (policies.some((p) => p.policy.id === result.policy.policy.id)) {
      const message = `${result.policy.policy.id} is defined twice in this text`;
      problems.push(withLine({ path: "/id", message }, lineOf(doc, ["id"], lines)));
    } else policies.push(result.policy);
  }
  if (problems.length > 0) return { ok: false, problems: problems.slice(0, 50) };
  if (policies.length === 0) {
    return { ok: false, problems: [{ path: "/", message: "holds no policy" }] };
  }
  return { ok: true, policies };
}

/** `line 7: check/none/0/process/name: must be a string` */
export function formatProblem(problem: PolicyProblem): string {
  const where = problem.path === "/" ? "" : `${problem.path.replace(/^\//, "")}: `;
  return `${problem.line === undefined ? "" : `line ${problem.line}: `}${where}${problem.message}`;
}

function syntaxProblem(message: string, line: number | undefined): PolicyProblem {
  // The yaml package appends a picture of the line; the line number says it already.
  const first = (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
  return line === undefined ? { path: "/", message: first } : { line, path: "/", message: first };
}

function policyOf(
  doc: Document.Parsed,
  lines: LineCounter,
): { policy: CompiledPolicy } | { problems: PolicyProblem[] } {
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    const line = lineOf(doc, [], lines);
    return { problems: [withLine({ path: "/", message: (error as Error).message }, line)] };
  }
  const valid = validatePolicy(value);
  if (!valid.ok) {
    return {
      problems: valid.problems.map((p) => withLine(p, lineOf(doc, segments(p.path), lines))),
    };
  }
  try {
    return { policy: compilePolicy(valid.value) };
  } catch (error) {
    if (!(error instanceof PolicyCompileError)) throw error;
    const problem = { path: error.path, message: error.message };
    return { problems: [withLine(problem, lineOf(doc, segments(error.path), lines))] };
  }
}

function withLine(problem: { path: string; message: string }, line: number | undefined) {
  return line === undefined ? { ...problem } : { line, ...problem };
}

function segments(pointer: string): (string | number)[] {
  return pointer
    .split("/")
    .slice(1)
    .filter((s) => s !== "")
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** The line of the deepest node of the path that exists (a missing field: its parent's). */
function lineOf(
  doc: Document.Parsed,
  path: readonly (string | number)[],
  lines: LineCounter,
): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}
