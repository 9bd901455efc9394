import {
  describeRequest,
  type FuzzCase,
  generateCase,
  type Operation,
  operationsOf,
} from "./fuzz-cases.ts";
import type { FuzzTarget, HttpResponse } from "./fuzz-target.ts";
import { seededRng, uuidFrom } from "./fuzz-values.ts";
import { makeReport } from "./reports.ts";

/**
 * Runs fuzz cases against a target and judges every answer: never a 5xx, every 4xx a JSON
 * body with an error message, always an answer. Failures are grouped by (operation,
 * status, message) with one example request each, so a failing run reads in a screen.
 */

export { describeRequest, type FuzzCase, type Operation, operationsOf } from "./fuzz-cases.ts";
export { type FuzzTarget, startFuzzTarget } from "./fuzz-target.ts";

export interface FuzzOptions {
  seed: number;
  cases: number;
  /** Requests in flight at once (1: one after another, the most reproducible). */
  concurrency?: number;
  /** The most items a "long array" case sends (the validator's cost grows with it). */
  longArray?: number;
}

export interface FailureGroup {
  operation: string;
  status: number;
  message: string;
  count: number;
  example: FuzzCase;
  answer: string;
}

export interface FuzzSummary {
  seed: number;
  cases: number;
  ms: number;
  byClass: { "2xx": number; "3xx": number; "4xx": number; "5xx": number; none: number };
  /** Cases and 2xx answers per operation: an operation never answering 2xx is never reached. */
  coverage: Map<string, { cases: number; ok: number }>;
  failures: FailureGroup[];
}

/** The error message of an answer, if it carries one the way the API promises. */
function errorMessage(op: Operation, body: unknown): string | null {
  if (!body || typeof body !== "object") return null;
  const b = body as {
    error?: { message?: unknown; code?: unknown };
    message?: unknown;
    detail?: unknown;
  };
  if (b.error && typeof b.error === "object") {
    const { message, code } = b.error;
    if (typeof message === "string" && message !== "" && typeof code === "string") return message;
  }
  // The older systems' answers keep their own shapes (packages/api/COMPAT.md).
  if (op.security === "legacy" && typeof b.message === "string" && b.message !== "")
    return b.message;
  return null;
}

/** What is wrong with an answer, or null: the status it counts as and the message. */
export function judge(op: Operation, res: HttpResponse): { message: string } | null {
  let parsed: unknown;
  const type = String(res.headers["content-type"] ?? "");
  if (res.status < 400) return null;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    parsed = undefined;
  }
  const message = errorMessage(op, parsed);
  if (res.status >= 500) {
    const said = message ?? (res.body.slice(0, 2000) || "(empty body)");
    return { message: said };
  }
  if (!/application\/json/.test(type)) {
    return {
      message: `4xx without a JSON content type (${type || "none"}): ${res.body.slice(0, 2000) || "(empty body)"}`,
    };
  }
  if (parsed === undefined) return { message: `4xx body is not JSON: ${res.body.slice(0, 2000)}` };
  if (message === null)
    return { message: `4xx without {error:{code,message}}: ${res.body.slice(0, 2000)}` };
  return null;
}

/** A message with its request-specific parts (quoted URLs, ids, long numbers) blanked. */
function normalize(message: string): string {
  return message
    .replace(/\s+/g, " ")
    .replace(/'[^']*'/g, "'…'")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<uuid>")
    .replace(/\d{4,}/g, "<n>")
    .slice(0, 200);
}

const classOf = (status: number) =>
  status >= 500
    ? "5xx"
    : status >= 400
      ? "4xx"
      : status >= 300
        ? "3xx"
        : status >= 200
          ? "2xx"
          : "none";

/** Runs `cases` cases of `seed` against the target; resolves once every one has answered. */
export async function runFuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzSummary> {
  const ops = operationsOf(target.doc);
  const summary: FuzzSummary = {
    seed: options.seed,
    cases: options.cases,
    ms: 0,
    byClass: { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0, none: 0 },
    coverage: new Map(ops.map((op) => [op.key, { cases: 0, ok: 0 }])),
    failures: [],
  };
  const groups = new Map<string, FailureGroup>();
  const fail = (c: FuzzCase, status: number, message: string, answer: string) => {
    const short = normalize(message);
    const key = `${c.op.key}\u0000${status}\u0000${short}`;
    const g = groups.get(key);
    if (g) g.count++;
    else
      groups.set(key, {
        operation: c.op.key,
        status,
        message: short,
        count: 1,
        example: c,
        answer,
      });
  };
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < options.cases) {
      const c = generateCase(target, ops, options.seed, next++, options.longArray);
      const cov = summary.coverage.get(c.op.key)!;
      cov.cases++;
      try {
        const res = await target.send(c.request);
        summary.byClass[classOf(res.status)]++;
        if (res.status < 300) cov.ok++;
        const problem = judge(c.op, res);
        if (problem) fail(c, res.status, problem.message, res.body.slice(0, 300));
      } catch (e) {
        summary.byClass.none++;
        fail(c, 0, `no answer: ${(e as Error).message}`, "");
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 1 }, worker));
  summary.ms = performance.now() - t0;
  summary.failures = [...groups.values()].sort(
    (a, b) => a.operation.localeCompare(b.operation) || a.status - b.status,
  );
  return summary;
}

/**
 * The failures, one line per (operation, status, message) with an example request, under
 * one heading per (status, message) so a cause shared by many operations reads once.
 */
export function formatFailures(engine: string, summary: FuzzSummary): string {
  const lines = [
    `${summary.failures.length} kinds of failure on ${engine} in ${summary.cases} cases ` +
      `(FUZZ_SEED=${summary.seed} FUZZ_CASES=${summary.cases}):`,
  ];
  const byAnswer = new Map<string, FailureGroup[]>();
  for (const g of summary.failures) {
    const key = `${g.status || "no answer"} "${g.message}"`;
    byAnswer.set(key, [...(byAnswer.get(key) ?? []), g]);
  }
  for (const [answer, groups] of byAnswer) {
    const total = groups.reduce((n, g) => n + g.count, 0);
    lines.push(`  ${answer} — ${total} cases on ${groups.length} operations`);
    // One example per operation for the first few; the rest by name, on one line.
    for (const g of groups.slice(0, 5)) {
      lines.push(
        `    ${g.operation} ×${g.count}, e.g. case #${g.example.index}: ${describeRequest(g.example)}`,
      );
    }
    if (groups.length > 5) {
      const rest = groups.slice(5).map((g) => `${g.operation} ×${g.count}`);
      lines.push(`    and ${rest.join(", ")}`);
    }
  }
  return lines.join("\n");
}

/**
 * After a run: the API still answers /health, a valid report still ingests and reads back
 * exactly, a legacy report still lands. Returns what is wrong (empty when all is well).
 */
export async function integrityProblems(target: FuzzTarget, seed: number): Promise<string[]> {
  const problems: string[] = [];
  const rng = seededRng(seed);
  const admin = { authorization: `Bearer ${target.credentials.admin}` };
  const health = await target.send({ method: "GET", url: "/health", headers: {} });
  if (health.status !== 200) problems.push(`GET /health answered ${health.status}: ${health.body}`);
  const report = makeReport({
    identifier: target.pools.identifierA,
    report_id: uuidFrom(rng),
    collected_at: new Date().toISOString(),
  });
  const sent = await target.send({
    method: "POST",
    url: "/api/v1/reports",
    headers: {
      authorization: `Bearer ${target.credentials.agentA}`,
      "content-type": "application/json",
    },
    body: JSON.stringify(report),
  });
  if (sent.status !== 201) problems.push(`a valid report answered ${sent.status}: ${sent.body}`);
  const back = await target.send({
    method: "GET",
    url: `/api/v1/reports/${report.report_id}`,
    headers: admin,
  });
  if (back.status !== 200)
    problems.push(`reading the report back answered ${back.status}: ${back.body}`);
  else {
    const got = JSON.parse(back.body) as { report?: unknown } & Record<string, unknown>;
    const stored = (got.report ?? got) as { report_id?: string; processes?: unknown[] };
    if (
      stored.report_id !== report.report_id ||
      stored.processes?.length !== report.processes.length
    ) {
      problems.push(`the report read back differs: ${back.body.slice(0, 300)}`);
    }
  }
  const processes = await target.send({
    method: "GET",
    url: `/api/v1/hosts/${target.pools.hostA}/processes?report=${report.report_id}`,
    headers: admin,
  });
  if (
    processes.status !== 200 ||
    (JSON.parse(processes.body) as { total?: number }).total !== report.processes.length
  ) {
    problems.push(
      `host A's processes answered ${processes.status}: ${processes.body.slice(0, 300)}`,
    );
  }
  const ip = `10.250.${Math.floor(rng() * 250)}.${1 + Math.floor(rng() * 250)}`;
  const legacy = { "x-api-key": target.credentials.legacyKey, "content-type": "application/json" };
  const posted = await target.send({
    method: "POST",
    url: "/report",
    headers: legacy,
    body: JSON.stringify({ server_ip: ip, os_name: "Linux", cpu: "fuzz", os_username: "root" }),
  });
  if (posted.status !== 200)
    problems.push(`a valid legacy report answered ${posted.status}: ${posted.body}`);
  const read = await target.send({
    method: "GET",
    url: `/report?ip=${ip}`,
    headers: { "x-api-key": target.credentials.legacyKey },
  });
  if (read.status !== 200)
    problems.push(`reading the legacy report back answered ${read.status}: ${read.body}`);
  return problems;
}
