import { Compile } from "typebox/compile";
import { Format } from "typebox/format";
import { isDateTime } from "./date-time.ts";
import { DELTA_LISTS } from "./delta.ts";
import { type Report, ReportSchema } from "./report.ts";

// Every schema compiled after this (the API's routes, the report check below) checks
// date-times with the same rules, the agents' usual shape read without regular expressions.
Format.Set("date-time", isDateTime);

/** One thing wrong with a document: where (a JSON pointer into it) and what. */
export interface Problem {
  path: string;
  message: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

// Compiled on first use: agents that only import the contract's types and limits do not pay for it.
let reportCheck: ReturnType<typeof Compile<typeof ReportSchema>> | undefined;

/**
 * Checks a decoded JSON value against the report contract: the schema first, then the
 * rules a schema cannot say (unique pids, unique sessions, times that parse).
 */
export function validateReport(value: unknown): Validation<Report> {
  reportCheck ??= Compile(ReportSchema);
  if (!reportCheck.Check(value)) {
    return { ok: false, problems: schemaProblems(reportCheck.Errors(value)) };
  }
  const problems = reportRules(value);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}

/** The lists a delta changes item by item, and the most items each may hold. */
const LIST_LIMITS = Object.entries(ReportSchema.properties)
  .filter(([name]) => (DELTA_LISTS as readonly string[]).includes(name))
  .map(([name, schema]) => [name, (schema as unknown as { maxItems: number }).maxItems] as const);

/**
 * validateReport for a report made by applying a delta to `base`, a report that passed it:
 * the items the two share (the same objects: applyDelta keeps the base's items it did not
 * change) are not checked against the schema again, every other part is, and the rules
 * (unique items, no NUL) hold over the whole report. On a problem, the whole report is
 * checked again so that each problem names its place exactly.
 */
export function validateAppliedReport(report: Report, base: Report): Validation<Report> {
  reportCheck ??= Compile(ReportSchema);
  const shadow: Record<string, unknown> = { ...report };
  for (const [name, maxItems] of LIST_LIMITS) {
    const list = (report as unknown as Record<string, unknown>)[name];
    const before = (base as unknown as Record<string, unknown>)[name];
    if (!Array.isArray(list) || !Array.isArray(before)) continue;
    if (list.length > maxItems) return validateReport(report);
    if (list === before) {
      shadow[name] = [];
      continue;
    }
    const kept = new Set<unknown>(before);
    shadow[name] = list.filter((item) => !kept.has(item));
  }
  if (!reportCheck.Check(shadow)) return validateReport(report);
  const problems = reportRules(report);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: report };
}

/** Values parsed from a JSON text that holds no NUL escape (see markNulFree). */
const nulFree = new WeakSet<object>();

/**
 * Records that `value` was just parsed from a JSON text with no `\u0000` escape outside an
 * escaped backslash: a NUL can reach a parsed string or key only that way (a raw NUL byte
 * is not valid JSON), so none of its strings or keys holds one, and the walks of
 * reportRules and nulProblems skip it. Only the parser of that text may vouch for it.
 */
export function markNulFree(value: object): void {
  nulFree.add(value);
}

/** Whether `value` was marked by markNulFree. */
export function isNulFree(value: object): boolean {
  return nulFree.has(value);
}

/**
 * The rules beyond the schema; the input already matches ReportSchema (whose date-time
 * format is stricter than Date.parse, so times need no second look).
 */
export function reportRules(report: Report): Problem[] {
  const problems: Problem[] = [];
  // NUL cannot be stored in a PostgreSQL text and no real name or command line holds one.
  if (!nulFree.has(report)) findNul(report, "", problems);
  const pids = new Map<number, number>();
  report.processes.forEach((p, i) => {
    const first = pids.get(p.pid);
    if (first !== undefined) {
      problems.push({
        path: `/processes/${i}/pid`,
        message: `pid ${p.pid} appears twice (also at /processes/${first})`,
      });
    } else {
      pids.set(p.pid, i);
    }
  });
  const sessions = new Map<string, number>();
  report.sessions.forEach((s, i) => {
    const key = JSON.stringify([s.user, s.terminal, s.remote_host, s.started_at, s.pid]);
    const first = sessions.get(key);
    if (first !== undefined) {
      problems.push({
        path: `/sessions/${i}`,
        message: `the same session appears twice (also at /sessions/${first})`,
      });
    } else {
      sessions.set(key, i);
    }
  });
  uniqueIn(report.packages, "packages", (p) => [p.source, p.name, p.version, p.arch], problems);
  uniqueIn(report.listening, "listening", (l) => [l.protocol, l.address, l.port, l.pid], problems);
  uniqueIn(report.accounts, "accounts", (a) => [a.name], problems);
  uniqueIn(report.services, "services", (s) => [s.name], problems);
  uniqueIn(report.settings?.files, "settings/files", (f) => [f.path], problems);
  return problems.slice(0, 20);
}

/** Each item of an inventory list is one thing: the same identity twice is a mistake. */
function uniqueIn<T>(
  items: T[] | undefined,
  field: string,
  identity: (item: T) => unknown[],
  problems: Problem[],
): void {
  if (!items) return;
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const key = JSON.stringify(identity(item));
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({
        path: `/${field}/${i}`,
        message: `the same item appears twice (also at /${field}/${first})`,
      });
    } else {
      seen.set(key, i);
    }
  });
}

/**
 * Every string of a request part (its path parameters, query or body) that holds the NUL
 * character, by path (`querystring/q`, `body/host_identifier`): no database column takes
 * it (PostgreSQL refuses it in text) and no real name holds one. Keys count as well.
 */
export function nulProblems(value: unknown, part: string): Problem[] {
  if (value !== null && typeof value === "object" && nulFree.has(value)) return [];
  const problems: Problem[] = [];
  findNul(value, "", problems);
  if (value !== null && typeof value === "object" && problems.length < 20) {
    findNulInKeys(value, "", problems);
  }
  return problems.map((p) => ({
    path: `${part}${p.path === "/" ? "" : p.path}`,
    message: p.message,
  }));
}

function findNulInKeys(value: object, path: string, problems: Problem[]): void {
  for (const [k, v] of Object.entries(value)) {
    if (problems.length >= 20) return;
    if (k.includes("\u0000")) {
      problems.push({ path: `${path}/${k}`, message: "must not contain the NUL character" });
    }
    if (v !== null && typeof v === "object") findNulInKeys(v, `${path}/${k}`, problems);
  }
}

function findNul(value: unknown, path: string, problems: Problem[]): void {
  if (problems.length >= 20) return;
  if (typeof value === "string") {
    if (value.includes("\u0000"))
      problems.push({ path: path || "/", message: "must not contain the NUL character" });
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) findNul(value[i], `${path}/${i}`, problems);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) findNul(v, `${path}/${k}`, problems);
  }
}

interface SchemaError {
  instancePath: string;
  message: string;
  keyword: string;
  params: unknown;
}

/**
 * Turns validator errors into problems that name the field. Keeps the most specific
 * error per path and at most 20, so a report with 20,000 bad pids gets a short answer.
 */
export function schemaProblems(errors: readonly SchemaError[]): Problem[] {
  const byPath = new Map<string, Problem>();
  for (const e of errors) {
    if (e.keyword === "boolean") continue; // a duplicate of the additionalProperties error
    let path = e.instancePath;
    let message = e.message;
    if (e.keyword === "additionalProperties") {
      const extra = (e.params as { additionalProperties?: string[] }).additionalProperties ?? [];
      path = `${path}/${extra[0] ?? ""}`;
      message = "is not a field of this document";
    } else if (e.keyword === "required") {
      const missing = (e.params as { requiredProperties?: string[] }).requiredProperties ?? [];
      path = `${path}/${missing[0] ?? ""}`;
      message = "is required";
    }
    if (!byPath.has(path)) byPath.set(path, { path: path || "/", message });
    if (byPath.size >= 20) break;
  }
  return [...byPath.values()];
}
