import type { ConditionFields, ConditionKind, EvidenceItem } from "@compliance/contract";
import type { PreparedContext } from "../context.ts";
import type { Tri } from "../tri.ts";

/** Why a condition has its value: one line, and the items that made it so. */
export type Explanation = { message: string; items: EvidenceItem[]; total: number };

/** A condition's value on one report; the explanation is built only when it is asked for. */
export type Outcome = { value: Tri; explain: () => Explanation };

/** A condition compiled once (matchers, patterns, ranges) and run on many reports. */
export type CompiledCondition = (context: PreparedContext) => Outcome;

/** One condition kind: turns the fields of a condition into a compiled condition. */
export type ConditionDefinition<K extends ConditionKind> = {
  /** Throws PolicyCompileError naming the field (a JSON pointer under `path`). */
  compile(fields: ConditionFields<K>, path: string): CompiledCondition;
};

/** Every condition kind's implementation, by kind: the registry the evaluator reads. */
export type ConditionRegistry = { readonly [K in ConditionKind]: ConditionDefinition<K> };

export const unknownOutcome = (message: string): Outcome => ({
  value: null,
  explain: () => ({ message, items: [], total: 0 }),
});
