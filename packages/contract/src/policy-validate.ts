import type { TSchema } from "typebox";
import Value from "typebox/value";
import {
  CONDITION_KINDS,
  CONDITION_SCHEMAS,
  type ConditionKind,
  GROUP_KEYS,
  POLICY_LIMITS,
  type Policy,
  PolicyHeaderSchema,
  PolicySchema,
} from "./policy.ts";
import type { Problem, Validation } from "./validate.ts";

/**
 * Checks a decoded policy document against PolicySchema, with one problem per wrong field
 * and messages a person can act on. The condition tree is walked here rather than left to
 * the schema's union, whose errors would list every kind a condition is not.
 */
export function validatePolicy(value: unknown): Validation<Policy> {
  const problems: Problem[] = [];
  if (!isObject(value)) {
    return { ok: false, problems: [{ path: "/", message: "must be an object (a policy)" }] };
  }
  const { check, ...header } = value;
  problems.push(...fieldProblems(PolicyHeaderSchema, header, "", "a policy"));
  if (check === undefined) problems.push({ path: "/check", message: "is required" });
  else walkGroup(check, "/check", 1, { problems, conditions: 0 });
  if (problems.length > 0) return { ok: false, problems: problems.slice(0, 20) };
  // The walk and the schema agree by construction; the schema has the last word.
  if (!Value.Check(PolicySchema, value)) {
    return { ok: false, problems: [{ path: "/", message: "does not match the policy schema" }] };
  }
  return { ok: true, value: value as Policy };
}

type Walk = { problems: Problem[]; conditions: number };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function walkGroup(value: unknown, path: string, depth: number, walk: Walk): void {
  if (!isObject(value) || Object.keys(value).length === 0) {
    walk.problems.push({ path, message: "must be a group: an object with all, any or none" });
    return;
  }
  if (depth > POLICY_LIMITS.depth) {
    walk.problems.push({ path, message: `nests groups deeper than ${POLICY_LIMITS.depth}` });
    return;
  }
  for (const [key, list] of Object.entries(value)) {
    const at = `${path}/${key}`;
    if (!(GROUP_KEYS as readonly string[]).includes(key)) {
      const hint = (CONDITION_KINDS as string[]).includes(key)
        ? `; ${key} is a condition: put it in a list under all, any or none`
        : "";
      walk.problems.push({ path: at, message: `is not a group key (all, any, none)${hint}` });
    } else if (!Array.isArray(list) || list.length === 0) {
      walk.problems.push({ path: at, message: "must be a list of one or more conditions" });
    } else {
      list.forEach((item, i) => {
        walkCondition(item, `${at}/${i}`, depth, walk);
      });
    }
  }
}

function walkCondition(value: unknown, path: string, depth: number, walk: Walk): void {
  if (++walk.conditions > POLICY_LIMITS.conditions) {
    if (walk.conditions === POLICY_LIMITS.conditions + 1) {
      walk.problems.push({ path, message: `more than ${POLICY_LIMITS.conditions} conditions` });
    }
    return;
  }
  const keys = isObject(value) ? Object.keys(value) : [];
  if (!isObject(value) || keys.length === 0) {
    walk.problems.push({ path, message: "must be a condition ({kind: fields}) or a group" });
    return;
  }
  if (keys.every((k) => (GROUP_KEYS as readonly string[]).includes(k))) {
    walkGroup(value, path, depth + 1, walk);
    return;
  }
  if (keys.length > 1) {
    walk.problems.push({
      path,
      message: `holds ${keys.join(", ")}: one condition per list item`,
    });
    return;
  }
  const kind = keys[0] as string;
  if (!(CONDITION_KINDS as string[]).includes(kind)) {
    walk.problems.push({
      path: `${path}/${kind}`,
      message: `is not a condition kind (one of: ${CONDITION_KINDS.join(", ")})`,
    });
    return;
  }
  const schema = CONDITION_SCHEMAS[kind as ConditionKind];
  walk.problems.push(
    ...fieldProblems(schema, value[kind], `${path}/${kind}`, `a ${kind} condition`),
  );
}

type SchemaError = { instancePath: string; keyword: string; params: unknown; message: string };

/** The problems of one object against its schema: one per field, at its deepest point. */
function fieldProblems(schema: TSchema, value: unknown, prefix: string, what: string): Problem[] {
  if (Value.Check(schema, value)) return [];
  const errors = (Value.Errors(schema, value) as SchemaError[]).filter(
    (e) => e.keyword !== "boolean",
  );
  const byField = new Map<string, SchemaError[]>();
  for (const e of errors) {
    const field = e.instancePath.split("/")[1] ?? "";
    byField.set(field, [...(byField.get(field) ?? []), e]);
  }
  const fields = fieldNames(schema);
  return [...byField.values()].flatMap((group) => problemOf(group, prefix, what, fields));
}

function fieldNames(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, unknown> }).properties;
  return properties ? Object.keys(properties) : [];
}

const depthOf = (path: string) => (path === "" ? 0 : path.split("/").length);

function problemOf(
  group: SchemaError[],
  prefix: string,
  what: string,
  fields: string[],
): Problem[] {
  const deepest = Math.max(...group.map((e) => depthOf(e.instancePath)));
  const here = group.filter((e) => depthOf(e.instancePath) === deepest);
  const path = here[0]?.instancePath ?? "";
  const at = `${prefix}${path}` || "/";
  const found: Problem[] = [];
  for (const e of here) {
    if (e.keyword === "additionalProperties") {
      const names = (e.params as { additionalProperties?: string[] }).additionalProperties ?? [];
      // At the top of the object a stray key is a misspelt field; deeper, a matcher operator.
      const message =
        path === ""
          ? `is not a field of ${what} (its fields: ${fields.join(", ")})`
          : "is not a matcher operator (not, all)";
      found.push(...names.map((name) => ({ path: `${prefix}${path}/${name}`, message })));
    } else if (e.keyword === "required") {
      const missing = (e.params as { requiredProperties?: string[] }).requiredProperties ?? [];
      found.push(
        ...missing.map((name) => ({ path: `${prefix}${path}/${name}`, message: "is required" })),
      );
    }
  }
  if (found.length === 0) return [{ path: at, message: messageOf(here) }];
  // Stray keys first; inside a matcher, the "required" of its alternatives is noise.
  const stray = found.filter((p) => p.message !== "is required");
  if (path !== "" && stray.length > 0) return stray;
  return [...stray, ...found.filter((p) => p.message === "is required")];
}

/** Messages for the patterns of the schema, which say more than the pattern itself. */
const PATTERN_MESSAGES: Readonly<Record<string, string>> = {
  "^((lt|le|eq|ge|gt|ne):)?\\s*-?[0-9]+(\\.[0-9]+)?\\s*(B|[kKMGTP]B|[KMGTP]iB)?$":
    "must be a number or a comparison such as gt:90 or ge:512MiB",
  "^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$": "must be an IP address or a CIDR range such as 10.0.0.0/8",
  "^0?[0-7]{3}$": "must be an octal mode such as 0640",
  "^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$":
    "must be a slug: lower-case letters, digits, dots, dashes and underscores",
  "^[a-z0-9]+$": "must be a platform name such as linux",
};

const MATCHER_TAIL = " (or a list of them, {not: ...} or {all: [...]})";

/** One message for the errors at one place, most specific first. */
function messageOf(here: SchemaError[]): string {
  const pattern = here.find((e) => e.keyword === "pattern");
  if (pattern) {
    const source = (pattern.params as { pattern?: string }).pattern ?? "";
    const message = PATTERN_MESSAGES[source] ?? pattern.message;
    return here.some((e) => e.keyword === "anyOf") ? message + MATCHER_TAIL : message;
  }
  const specific = here.find((e) => !["type", "anyOf", "const"].includes(e.keyword));
  if (specific) return specific.message;
  const consts = here.flatMap((e) =>
    e.keyword === "const" ? [String((e.params as { allowedValue?: unknown }).allowedValue)] : [],
  );
  if (consts.length > 0) return `must be one of ${consts.join(", ")}`;
  const types = here.flatMap((e) =>
    e.keyword === "type" ? [(e.params as { type?: string }).type ?? ""] : [],
  );
  const leaves = types.filter((t) => t !== "array" && t !== "object");
  const isMatcher = types.includes("array") && types.includes("object") && leaves.length > 0;
  if (isMatcher) return `must be ${leaves.map(article).join(" or ")}${MATCHER_TAIL}`;
  return `must be ${[...new Set(types)].map(article).join(" or ")}`;
}

function article(type: string): string {
  if (type === "array") return "a list";
  if (type === "integer") return "an integer";
  if (type === "object") return "an object";
  return `a ${type}`;
}
