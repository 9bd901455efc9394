import type { EvidenceItem, Report } from "@compliance/contract";
import { POLICY_LIMITS } from "@compliance/contract";
import type { VersionScheme } from "../../versions.ts";
import type { PreparedContext } from "../context.ts";
import { PolicyCompileError } from "../errors.ts";
import { compileMatcher, type FieldType, type FieldValue } from "../matcher.ts";
import { and, type Tri } from "../tri.ts";
import { type CompiledCondition, type Outcome, unknownOutcome } from "./types.ts";

/**
 * Most condition kinds ask the same question of a list of the report (processes,
 * packages, ...): how many items match every given field. This is that question, once;
 * each kind's module only says where its items are, what its fields read, and what of an
 * item is worth showing as evidence.
 */

/** A field read through the matcher grammar. */
type MatchedField<I, T extends FieldType> = {
  type: T;
  /** The item's value; undefined when not collected (unknown), ABSENT when it has none. */
  get: (item: I, context: PreparedContext) => FieldValue<T>;
  /** The order of its versions (version fields). */
  scheme?: (item: I) => VersionScheme;
};

/** A field with a test of its own (e.g. a file mode no wider than a given one). */
type CustomField<I> = { custom: (spec: unknown, path: string) => (item: I) => Tri };

export type FieldSpec<I> =
  | MatchedField<I, "text">
  | MatchedField<I, "number">
  | MatchedField<I, "version">
  | MatchedField<I, "address">
  | MatchedField<I, "boolean">
  | CustomField<I>;

export type ItemKind<I> = {
  /** Singular and plural, for messages. */
  noun: readonly [string, string];
  /** The collectors whose failure (in report.errors) makes the list unknown. */
  collectors: readonly string[];
  /** The list; undefined when the agent did not collect it. */
  items: (report: Report, context: PreparedContext) => readonly I[] | undefined;
  fields: Readonly<Record<string, FieldSpec<I>>>;
  /**
   * The field that names an item (package name, sysctl name). Exact names are looked up
   * in an index built once per report. With `required`, naming nothing the agent sent is
   * unknown rather than false: the agent reports the settings and files it looked at.
   */
  key?: { field: string; of: (item: I) => string; required?: boolean };
  evidence: (item: I) => EvidenceItem;
};

type ItemTest<I> = (item: I, context: PreparedContext) => Tri;

/** Compiles the fields of one condition of this kind. */
export function itemCondition<I>(
  kind: ItemKind<I>,
): (fields: Readonly<Record<string, unknown>>, path: string) => CompiledCondition {
  return (fields, path) => {
    const tests: ItemTest<I>[] = [];
    let keyTest: ItemTest<I> | undefined;
    let keyLiterals: readonly string[] | undefined;
    for (const [name, spec] of Object.entries(fields)) {
      if (name === "count" || spec === undefined) continue;
      const field = kind.fields[name];
      if (!field) throw new PolicyCompileError(`${path}/${name}`, "is not a field of this kind");
      const compiled = compileField(field, spec, `${path}/${name}`);
      tests.push(compiled.test);
      if (name === kind.key?.field) {
        keyTest = compiled.test;
        keyLiterals = compiled.literals;
      }
    }
    const count = compileMatcher(fields.count ?? "ge:1", "number", `${path}/count`);
    const summary = summarize(fields);
    const select = selector(kind, keyTest, keyLiterals);
    return (context) => {
      const why = context.failed(kind.collectors);
      if (why) return unknownOutcome(why);
      const all = kind.items(context.report, context);
      if (!all) return unknownOutcome(`${kind.noun[1]} were not collected`);
      const candidates = select(all, context);
      if (!candidates)
        return unknownOutcome(`no ${kind.noun[0]} matching ${summary} was collected`);
      const near = keyLiterals !== undefined;
      return decide(kind, candidates, near, tests, count.test, summary, context);
    };
  };
}

function compileField<I>(
  field: FieldSpec<I>,
  spec: unknown,
  path: string,
): { test: ItemTest<I>; literals: readonly string[] | undefined } {
  if ("custom" in field) return { test: field.custom(spec, path), literals: undefined };
  const m = compileMatcher(spec, field.type, path);
  const { get, scheme } = field as MatchedField<I, FieldType>;
  const test: ItemTest<I> = scheme
    ? (item, context) => m.test(get(item, context) as never, scheme(item))
    : (item, context) => m.test(get(item, context) as never);
  return { test, literals: m.literals };
}

/**
 * The items worth testing: those with an exact key, from the index, or all. Undefined
 * when the key is required and nothing the agent sent has it.
 */
function selector<I>(
  kind: ItemKind<I>,
  keyTest: ItemTest<I> | undefined,
  literals: readonly string[] | undefined,
): (all: readonly I[], context: PreparedContext) => readonly I[] | undefined {
  const key = kind.key;
  if (!key) return (all) => all;
  const indexName = kind.noun[1];
  const lookup = literals
    ? (all: readonly I[], context: PreparedContext) => {
        const index = context.indexed(indexName, all, key.of);
        return literals.length === 1
          ? (index.get(literals[0] as string) ?? [])
          : literals.flatMap((name) => index.get(name) ?? []);
      }
    : (all: readonly I[]) => all;
  if (!key.required) return lookup;
  return (all, context) => {
    const found = lookup(all, context);
    if (literals) return found.length > 0 ? found : undefined;
    return keyTest && !found.some((item) => keyTest(item, context) === true) ? undefined : found;
  };
}

function decide<I>(
  kind: ItemKind<I>,
  candidates: readonly I[],
  /** The candidates were looked up by name: when none matches, they are the near misses. */
  near: boolean,
  tests: readonly ItemTest<I>[],
  count: (n: number) => Tri,
  summary: string,
  context: PreparedContext,
): Outcome {
  const matched: I[] = [];
  let undecided = 0;
  for (const item of candidates) {
    let value: Tri = true;
    for (const test of tests) {
      value = and(value, test(item, context));
      if (value === false) break;
    }
    if (value === true) matched.push(item);
    else if (value === null) undecided++;
  }
  const value = countValue(count, matched.length, undecided);
  return {
    value,
    explain: () => {
      const [one, many] = kind.noun;
      const what = `${matched.length === 1 ? one : many} matching ${summary}`;
      let message = `${matched.length === 0 ? "no" : matched.length} ${what}`;
      if (undecided > 0) {
        message += `; ${undecided} more could not be decided (a field they need was not collected)`;
      }
      const shown = matched.length === 0 && near ? candidates : matched;
      if (shown !== matched && shown.length > 0) message += ` (shown: those with that name)`;
      return {
        message,
        items: shown.slice(0, POLICY_LIMITS.evidenceItems).map(kind.evidence),
        total: shown.length,
      };
    },
  };
}

/** The count's value when `undecided` more items may or may not match. */
function countValue(count: (n: number) => Tri, definite: number, undecided: number): Tri {
  const first = count(definite);
  for (let n = definite + 1; n <= definite + undecided; n++) {
    if (count(n) !== first) return null;
  }
  return first;
}

/** The condition's fields in one short line, for messages. */
export function summarize(fields: Readonly<Record<string, unknown>>): string {
  const text = JSON.stringify(fields);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
