import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CompiledPolicy } from "./evaluate.ts";
import { type PolicyProblem, parsePolicies } from "./parse.ts";

/** A problem of one file of a policy directory. */
export type FileProblem = PolicyProblem & { file: string };

export type LoadResult =
  | { ok: true; policies: CompiledPolicy[] }
  | { ok: false; problems: FileProblem[] };

const POLICY_FILE = /\.(ya?ml|json)$/;

/**
 * Every policy of the YAML and JSON files of a directory (not its subdirectories), in file
 * name order. One bad file fails the whole load: a half-loaded set of policies would report
 * hosts compliant with rules it silently left out.
 */
export function loadPolicyDirectory(dir: string): LoadResult {
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && POLICY_FILE.test(e.name))
    .map((e) => e.name)
    .sort();
  const policies: CompiledPolicy[] = [];
  const problems: FileProblem[] = [];
  const ids = new Map<string, string>();
  for (const file of files) {
    const result = parsePolicies(readFileSync(join(dir, file), "utf8"));
    if (!result.ok) {
      problems.push(...result.problems.map((p) => ({ file, ...p })));
      continue;
    }
    for (const policy of result.policies) {
      const first = ids.get(policy.policy.id);
      if (first !== undefined) {
        const message = `${policy.policy.id} is already defined in ${first}`;
        problems.push({ file, path: "/id", message });
      } else {
        ids.set(policy.policy.id, file);
        policies.push(policy);
      }
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, policies };
}

/**
 * Where the starter pack shipped with the product is: packages/api/policies/starter, seen
 * from this file in the sources or from the bundle in dist/.
 */
export function starterPolicyDir(): string {
  const candidates = ["../../policies/starter", "../policies/starter"].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  return candidates.find((dir) => existsSync(dir)) ?? (candidates[0] as string);
}

/** The starter pack, parsed, validated and compiled. */
export function loadStarterPolicies(dir: string = starterPolicyDir()): CompiledPolicy[] {
  const result = loadPolicyDirectory(dir);
  if (!result.ok) {
    const first = result.problems[0] as FileProblem;
    throw new Error(`the starter policy ${first.file} is invalid: ${first.message}`);
  }
  return result.policies;
}
