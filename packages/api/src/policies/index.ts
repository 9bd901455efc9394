export { CONDITIONS } from "./conditions/index.ts";
export type {
  CompiledCondition,
  ConditionDefinition,
  ConditionRegistry,
  Explanation,
  Outcome,
} from "./conditions/types.ts";
export { type EvaluationContext, PreparedContext, prepareContext } from "./context.ts";
export { PolicyCompileError } from "./errors.ts";
export { type CompiledPolicy, compilePolicy, evaluate, evaluateAll } from "./evaluate.ts";
export { canonicalJson, policyHash } from "./hash.ts";
export {
  type FileProblem,
  type LoadResult,
  loadPolicyDirectory,
  loadStarterPolicies,
  starterPolicyDir,
} from "./load.ts";
export { formatProblem, type ParseResult, type PolicyProblem, parsePolicies } from "./parse.ts";
export type { Tri } from "./tri.ts";
