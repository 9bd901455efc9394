import type { ConditionGroup, GroupKey, Policy, PolicyResult, Reason } from "@compliance/contract";
import {
  CONDITION_KINDS,
  type ConditionKind,
  GROUP_KEYS,
  POLICY_LIMITS,
} from "@compliance/contract";
import { CONDITIONS } from "./conditions/index.ts";
import type { ConditionRegistry } from "./conditions/types.ts";
import { type EvaluationContext, type PreparedContext, prepareContext } from "./context.ts";
import { PolicyCompileError } from "./errors.ts";
import { policyHash } from "./hash.ts";
import { and, not, or, type Tri } from "./tri.ts";

/** A node of the check tree: its value, and the reasons for it, built only when asked. */
type NodeOutcome = { value: Tri; reasons: () => Reason[] };
type CompiledNode = (context: PreparedContext) => NodeOutcome;

/** A policy compiled once (every matcher, pattern, range and comparator) for many reports. */
export type CompiledPolicy = {
  readonly policy: Policy;
  /** The policy's version: see policyHash. */
  readonly hash: string;
  readonly check: CompiledNode;
};

/**
 * Compiles a validated policy. Throws PolicyCompileError, with a JSON pointer to the
 * field, for what the schema cannot see (a regular expression the engine refuses, ...).
 */
export function compilePolicy(
  policy: Policy,
  registry: ConditionRegistry = CONDITIONS,
): CompiledPolicy {
  const check = compileGroup(policy.check, "/check", registry);
  return Object.freeze({ policy, hash: policyHash(policy), check });
}

function compileGroup(
  group: ConditionGroup,
  path: string,
  registry: ConditionRegistry,
): CompiledNode {
  const parts = GROUP_KEYS.flatMap((op) => {
    const list = group[op];
    return list ? [compileList(op, list, `${path}/${op}`, registry)] : [];
  });
  if (parts.length === 0) throw new PolicyCompileError(path, "must have all, any or none");
  if (parts.length === 1) return parts[0] as CompiledNode;
  return combine("all", parts);
}

function compileList(
  op: GroupKey,
  list: readonly unknown[],
  path: string,
  registry: ConditionRegistry,
): CompiledNode {
  return combine(
    op,
    list.map((item, i) => compileCondition(item, `${path}/${i}`, registry)),
  );
}

function compileCondition(item: unknown, path: string, registry: ConditionRegistry): CompiledNode {
  const entries = Object.entries(item as Record<string, unknown>);
  if (entries.every(([k]) => (GROUP_KEYS as readonly string[]).includes(k))) {
    return compileGroup(item as ConditionGroup, path, registry);
  }
  const [kind, fields] = entries[0] as [string, unknown];
  if (entries.length !== 1 || !(CONDITION_KINDS as string[]).includes(kind)) {
    throw new PolicyCompileError(path, "must be one condition or a group");
  }
  const definition = registry[kind as ConditionKind] as {
    compile: (fields: unknown, path: string) => ReturnType<ConditionRegistry["process"]["compile"]>;
  };
  const condition = definition.compile(fields, `${path}/${kind}`);
  const where = path.slice(1);
  return (context) => {
    const outcome = condition(context);
    return {
      value: outcome.value,
      reasons: () => {
        const e = outcome.explain();
        return [
          {
            condition: where,
            kind,
            message: e.message.slice(0, 1024),
            items: e.items,
            total: e.total,
          },
        ];
      },
    };
  };
}

/**
 * Kleene combination of a group's children. The reasons of a group are those of the
 * children that gave it its value: the false ones of a failing `all`, the true ones of a
 * failing `none`, the unknown ones of an unknown group.
 */
function combine(op: GroupKey, children: readonly CompiledNode[]): CompiledNode {
  return (context) => {
    const outcomes = children.map((child) => child(context));
    let some: Tri = false;
    let every: Tri = true;
    for (const o of outcomes) {
      some = or(some, o.value);
      every = and(every, o.value);
    }
    const value = op === "all" ? every : op === "any" ? some : not(some);
    const decisive = op === "none" ? not(value) : value;
    return {
      value,
      reasons: () => outcomes.filter((o) => o.value === decisive).flatMap((o) => o.reasons()),
    };
  };
}

/**
 * Evaluates one policy on one execution. Pure: the same policy and context give the same
 * result. `enabled` is not looked at here (see evaluateAll). Pass a PreparedContext
 * (prepareContext) to evaluate many policies against one report with shared indexes.
 */
export function evaluate(
  policy: CompiledPolicy,
  context: EvaluationContext | PreparedContext,
): PolicyResult {
  const prepared = prepareContext(context);
  const outOfScope = scopeReason(policy.policy, prepared);
  if (outOfScope) return { status: "not_applicable", reasons: [outOfScope] };
  const outcome = policy.check(prepared);
  if (outcome.value === true) return { status: "pass", reasons: [] };
  const reasons = outcome.reasons().slice(0, POLICY_LIMITS.reasons);
  return { status: outcome.value === false ? "fail" : "unknown", reasons };
}

/** Every enabled policy on one execution, the report prepared once; results by policy id. */
export function evaluateAll(
  policies: readonly CompiledPolicy[],
  context: EvaluationContext | PreparedContext,
): Map<string, PolicyResult> {
  const prepared = prepareContext(context);
  const results = new Map<string, PolicyResult>();
  for (const policy of policies) {
    if (policy.policy.enabled === false) continue;
    results.set(policy.policy.id, evaluate(policy, prepared));
  }
  return results;
}

function scopeReason(policy: Policy, context: PreparedContext): Reason | undefined {
  const platform = context.report.os.platform;
  if (policy.platforms && !policy.platforms.includes(platform)) {
    return {
      condition: "platforms",
      kind: "platform",
      message: `the host runs ${platform || "an unknown platform"}; the policy is for ${policy.platforms.join(", ")}`,
      items: [],
      total: 0,
    };
  }
  const tags = context.context.tags ?? [];
  const excluded = policy.except_tags?.filter((t) => tags.includes(t)) ?? [];
  if (excluded.length > 0) {
    return {
      condition: "except_tags",
      kind: "tags",
      message: `the host is tagged ${excluded.join(", ")}`,
      items: [],
      total: 0,
    };
  }
  return undefined;
}
