import {
  type Compliance,
  type HostPolicies,
  type HostPolicyStatus,
  type PageOf,
  type Policy,
  type PolicyDetail,
  type PolicyHistory,
  type PolicyHost,
  type PolicyInfo,
  type PolicyStatus,
  type PolicyTest,
  type Report,
  type StatusCounts,
  validatePolicy,
} from "@compliance/contract";
import { badRequest, notFound } from "../errors.ts";
import { policyHash } from "../policies/hash.ts";
import {
  type CompiledPolicy,
  compilePolicy,
  evaluate,
  formatProblem,
  parsePolicies,
  prepareContext,
} from "../policies/index.ts";
import { readsPreviousExecution } from "../policies/needs.ts";
import type {
  ExecutionSelector,
  Page,
  PolicyRecord,
  PolicyVerdict,
  Store,
} from "../store/store.ts";
import { type Actor, type AuditService, SYSTEM_ACTOR } from "./audit.service.ts";
import type { HistoryService } from "./history.service.ts";

/** How long this process trusts its copy of the policies (others may change them). */
const CACHE_MS = 5000;

/** Evaluates a report given the time of the execution before it; see `evaluator`. */
export type PolicyEvaluator = ((report: Report, previousMs: number | null) => PolicyVerdict[]) & {
  /** Evaluates ahead what reads this report alone; the call above then reuses it. */
  prepare(report: Report): void;
};
/** Points of a policy's compliance-over-time answer. */
const HISTORY_POINTS = 48;

/** A policy ready to evaluate: its record and its compiled form. */
export interface ActivePolicy {
  record: PolicyRecord;
  compiled: CompiledPolicy;
  /** It reads the execution before the one evaluated (freshness). */
  readsPrevious: boolean;
}

type Origin = "api" | "directory" | "starter";

/** A PUT whose document is another policy than its path (nothing is stored then). */
const idMismatch = (id: string) =>
  badRequest("invalid_policy", `body/id must be ${id}, the policy of the path, and one policy`, [
    { path: "body/id", message: `must be ${id}` },
  ]);

const emptyCounts = (): StatusCounts => ({
  pass: 0,
  fail: 0,
  unknown: 0,
  not_applicable: 0,
  unevaluated: 0,
});

/**
 * Compliance policies: stored and versioned, evaluated on every execution as it is stored
 * (the evaluator handed to ingest), over the past by a background job when a version is
 * new, and read back as statuses over time.
 */
export class PoliciesService {
  private cache: { at: number; active: ActivePolicy[] } | null = null;
  /** Told how long each evaluation took, before and inside the ingest transaction (metrics). */
  onEvaluated: ((phase: "prepare" | "transaction", ms: number) => void) | null = null;

  constructor(
    private readonly store: Store,
    private readonly history: HistoryService,
    private readonly now: () => number,
    /** The agents' reporting interval, for freshness conditions. */
    private readonly intervalMs: number,
    private readonly audit: AuditService,
  ) {}

  /** The enabled policies, compiled; refreshed from the store every few seconds. */
  async active(): Promise<ActivePolicy[]> {
    if (this.cache && this.now() - this.cache.at < CACHE_MS) return this.cache.active;
    const records = await this.store.listPolicies();
    const active = records
      .filter((r) => r.enabled)
      .map((record) => ({
        record,
        compiled: compilePolicy(record.document),
        readsPrevious: readsPreviousExecution(record.document),
      }));
    this.cache = { at: this.now(), active };
    return active;
  }

  private invalidate(): void {
    this.cache = null;
  }

  /**
   * A pure evaluator of these policies, for ingest to run inside its transaction. Most
   * policies read the report alone: `prepare` evaluates those before the transaction, so
   * that inside it (holding the host's lock, or SQLite's one writer) only the ones that
   * read the previous execution (freshness) remain to evaluate.
   */
  evaluator(active: readonly ActivePolicy[]): PolicyEvaluator {
    const intervalMs = this.intervalMs;
    const early = new WeakMap<Report, (PolicyStatus | undefined)[]>();
    const timed = <T>(phase: "prepare" | "transaction", work: () => T): T => {
      const observe = this.onEvaluated;
      if (!observe) return work();
      const start = performance.now();
      try {
        return work();
      } finally {
        observe(phase, performance.now() - start);
      }
    };
    const evaluateAt = (report: Report, previousMs: number | null): PolicyVerdict[] =>
      active.length === 0 ? [] : timed("transaction", () => verdicts(report, previousMs));
    const verdicts = (report: Report, previousMs: number | null): PolicyVerdict[] => {
      const known = early.get(report);
      const context = prepareContext({
        report,
        previousCollectedAt: previousMs === null ? undefined : new Date(previousMs).toISOString(),
        intervalMs,
      });
      return active.map(({ record, compiled }, i) => ({
        policyId: record.id,
        version: record.version,
        status: known?.[i] ?? evaluate(compiled, context).status,
      }));
    };
    return Object.assign(evaluateAt, {
      prepare(report: Report): void {
        if (active.every((a) => a.readsPrevious)) return;
        timed("prepare", () => {
          const context = prepareContext({ report, intervalMs });
          early.set(
            report,
            active.map(({ compiled, readsPrevious }) =>
              readsPrevious ? undefined : evaluate(compiled, context).status,
            ),
          );
        });
      },
    });
  }

  /**
   * Stores a policy (validated and compiled first: a bad one is a 400 naming the field).
   * A new version, or switching it on, queues its evaluation over the stored history;
   * switching it off ends its open results.
   */
  async put(
    document: unknown,
    origin: Origin,
    expectedId?: string,
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<PolicyDetail> {
    const checked = validatePolicy(document);
    if (!checked.ok) {
      const first = checked.problems[0]!;
      throw badRequest(
        "invalid_policy",
        `body${first.path} ${first.message}`,
        checked.problems.map((p) => ({ path: `body${p.path}`, message: p.message })),
      );
    }
    if (expectedId !== undefined && checked.value.id !== expectedId) throw idMismatch(expectedId);
    try {
      compilePolicy(checked.value);
    } catch (e) {
      const path = (e as { path?: string }).path ?? "";
      throw badRequest("invalid_policy", `body${path} ${(e as Error).message}`, [
        { path: `body${path}`, message: (e as Error).message },
      ]);
    }
    return this.save(checked.value, origin, actor);
  }

  /** Stores every policy of a YAML or JSON text (a policy file); all or none. */
  async putText(
    text: string,
    origin: Origin,
    expectedId?: string,
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<PolicyDetail[]> {
    const parsed = parsePolicies(text);
    if (!parsed.ok) {
      const details = parsed.problems.map((p) => ({ path: p.path, message: formatProblem(p) }));
      throw badRequest("invalid_policy", details[0]!.message, details);
    }
    if (
      expectedId !== undefined &&
      (parsed.policies.length !== 1 || parsed.policies[0]!.policy.id !== expectedId)
    ) {
      throw idMismatch(expectedId);
    }
    const stored: PolicyDetail[] = [];
    for (const p of parsed.policies) stored.push(await this.save(p.policy, origin, actor));
    return stored;
  }

  private async save(policy: Policy, origin: Origin, actor: Actor): Promise<PolicyDetail> {
    const now = this.now();
    const { record, newVersion, enabledChanged } = await this.store.putPolicy(
      policy,
      policyHash(policy),
      origin,
      now,
    );
    this.invalidate();
    let jobId: number | null = null;
    if (record.enabled && (newVersion || enabledChanged)) {
      jobId = await this.store.createJob("evaluate-policy", `${record.id}@${record.version}`, now);
    }
    if (!record.enabled && enabledChanged) await this.store.closeOpenRuns(record.id);
    if (newVersion || enabledChanged) {
      await this.audit.record(actor, "policy.put", `policy:${record.id}`, {
        version: record.version,
        enabled: record.enabled,
        origin,
      });
    }
    return { ...(await this.info(record)), document: record.document, job_id: jobId };
  }

  async remove(id: string, actor: Actor = SYSTEM_ACTOR): Promise<void> {
    if (!(await this.store.deletePolicy(id))) throw notFound(`policy ${id}`);
    this.invalidate();
    await this.audit.record(actor, "policy.delete", `policy:${id}`);
  }

  /**
   * Makes the stored policies of an origin exactly `policies` (the directory is the source
   * of truth): stores each, and deletes those of that origin that are no longer there.
   */
  async sync(policies: readonly CompiledPolicy[], origin: Exclude<Origin, "api">): Promise<void> {
    const existing = await this.store.listPolicies();
    for (const p of policies) {
      const other = existing.find((r) => r.id === p.policy.id);
      // A starter policy an admin changed through the API stays theirs.
      if (origin === "starter" && other && other.origin !== "starter") continue;
      await this.save(p.policy, origin, SYSTEM_ACTOR);
    }
    const wanted = new Set(policies.map((p) => p.policy.id));
    for (const r of existing) {
      if (r.origin === origin && !wanted.has(r.id)) await this.remove(r.id);
    }
  }

  async list(): Promise<PolicyInfo[]> {
    const records = await this.store.listPolicies();
    const counts = await this.countsByPolicy(records, null);
    return records.map((r) => this.infoOf(r, counts.get(r.id) ?? emptyCounts()));
  }

  async get(id: string): Promise<PolicyDetail> {
    const record = await this.record(id);
    return { ...(await this.info(record)), document: record.document, job_id: null };
  }

  private async record(id: string): Promise<PolicyRecord> {
    const record = await this.store.getPolicy(id);
    if (!record) throw notFound(`policy ${id}`);
    return record;
  }

  private async info(record: PolicyRecord): Promise<PolicyInfo> {
    const counts = await this.countsByPolicy([record], null);
    return this.infoOf(record, counts.get(record.id) ?? emptyCounts());
  }

  private infoOf(record: PolicyRecord, counts: StatusCounts): PolicyInfo {
    return {
      id: record.id,
      name: record.document.name,
      severity: record.document.severity,
      enabled: record.enabled,
      version: record.version,
      origin: record.origin as Origin,
      created_at: new Date(record.createdAt).toISOString(),
      updated_at: new Date(record.updatedAt).toISOString(),
      tags: record.document.tags,
      counts,
    };
  }

  /** Per policy, hosts by status at `at` (or now); hosts without a result are unevaluated. */
  private async countsByPolicy(
    records: readonly PolicyRecord[],
    at: number | null,
  ): Promise<Map<string, StatusCounts>> {
    const enabled = records.filter((r) => r.enabled);
    const [rows, hosts] = await Promise.all([
      this.store.policyStatuses({
        at,
        policies: enabled.map((r) => ({ id: r.id, version: r.version })),
      }),
      this.hostsWithHistoryAt(at),
    ]);
    const counts = new Map(enabled.map((r) => [r.id, emptyCounts()]));
    for (const row of rows) {
      const c = counts.get(row.policyId);
      if (c && hosts.has(row.hostId)) c[row.status]++;
    }
    for (const c of counts.values()) {
      c.unevaluated = Math.max(0, hosts.size - c.pass - c.fail - c.unknown - c.not_applicable);
    }
    return counts;
  }

  /** The hosts that had an execution at `at` (or have one now). */
  private async hostsWithHistoryAt(at: number | null): Promise<Set<number>> {
    return new Set(await this.store.hostIdsWithHistory(at));
  }

  /**
   * Every enabled policy's status on a host at an execution, since when, and why (the
   * items that decided, evaluated on that execution's report).
   */
  async hostPolicies(hostId: number, selector: ExecutionSelector): Promise<HostPolicies> {
    const execution = await this.history.execution(hostId, selector);
    const [active, report, previous] = await Promise.all([
      this.active(),
      this.store.reportOf(execution),
      this.store.findExecution(hostId, { before: execution }),
    ]);
    const atExecution = await this.statusesAt(hostId, execution.pos, active);
    const context = prepareContext({
      report,
      previousCollectedAt: previous?.collectedAt,
      intervalMs: this.intervalMs,
    });
    const counts = emptyCounts();
    const items: HostPolicyStatus[] = active.map(({ record, compiled }) => {
      const stored = atExecution.get(record.id);
      const result = evaluate(compiled, context);
      const status = stored?.status ?? "unevaluated";
      counts[status]++;
      return {
        policy_id: record.id,
        name: record.document.name,
        severity: record.document.severity,
        version: record.version,
        status,
        since: stored ? new Date(Math.floor(stored.since / 1000)).toISOString() : null,
        reasons: result.reasons,
      };
    });
    return {
      host_id: hostId,
      report_id: execution.reportId,
      collected_at: execution.collectedAt,
      items,
      counts,
    };
  }

  /** The runs of a host containing position `pos`, by policy (current versions). */
  private async statusesAt(hostId: number, pos: number, active: readonly ActivePolicy[]) {
    const rows = await this.store.policyStatuses({
      at: { hostId, pos },
      policies: active.map((a) => ({ id: a.record.id, version: a.record.version })),
    });
    return new Map(rows.map((r) => [r.policyId, r]));
  }

  /** The hosts of a policy with their status at `at` (or now), by hostname, one page. */
  async policyHosts(
    id: string,
    filter: { status?: PolicyStatus | undefined; at: number | null },
    page: Page,
  ): Promise<PageOf<PolicyHost>> {
    const record = await this.record(id);
    const rows = await this.store.policyStatuses({
      at: filter.at,
      policies: [{ id: record.id, version: record.version }],
      status: filter.status,
    });
    const hostnames = await this.store.hostnames(rows.map((r) => r.hostId));
    const items = rows
      .map((r) => ({
        host_id: r.hostId,
        hostname: hostnames.get(r.hostId) ?? "",
        status: r.status,
        since: new Date(Math.floor(r.since / 1000)).toISOString(),
        collected_at: new Date(Math.floor(r.pos / 1000)).toISOString(),
      }))
      .sort((a, b) =>
        a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : a.host_id - b.host_id,
      );
    return {
      items: items.slice(page.offset, page.offset + page.limit),
      total: items.length,
      limit: page.limit,
      offset: page.offset,
    };
  }

  /** Hosts by status at evenly spaced times from `from` to `to`: compliance over time. */
  async policyHistory(id: string, from: number, to: number): Promise<PolicyHistory> {
    const record = await this.record(id);
    const points: PolicyHistory["points"] = [];
    const step = Math.max(1, Math.floor((to - from) / (HISTORY_POINTS - 1)));
    for (let at = from; at <= to; at += step) {
      const counts = (await this.countsByPolicy([record], at)).get(record.id) ?? emptyCounts();
      points.push({ at: new Date(at).toISOString(), ...counts });
    }
    return { policy_id: record.id, version: record.version, points };
  }

  /** The fleet's compliance at `at` (or now): by policy, by severity, compliant hosts. */
  async compliance(at: number | null): Promise<Compliance> {
    const records = (await this.store.listPolicies()).filter((r) => r.enabled);
    const [counts, hosts, rows] = await Promise.all([
      this.countsByPolicy(records, at),
      this.hostsWithHistoryAt(at),
      this.store.policyStatuses({
        at,
        policies: records.map((r) => ({ id: r.id, version: r.version })),
        status: "fail",
      }),
    ]);
    const failing = new Set(rows.filter((r) => hosts.has(r.hostId)).map((r) => r.hostId));
    const bySeverity: Record<string, StatusCounts> = {};
    for (const r of records) {
      const c = counts.get(r.id) ?? emptyCounts();
      const s = bySeverity[r.document.severity] ?? emptyCounts();
      bySeverity[r.document.severity] = s;
      for (const k of Object.keys(c) as (keyof StatusCounts)[]) s[k] += c[k];
    }
    return {
      at: at === null ? null : new Date(at).toISOString(),
      hosts: hosts.size,
      compliant_hosts: hosts.size - failing.size,
      by_severity: bySeverity,
      policies: records.map((r) => ({
        policy_id: r.id,
        name: r.document.name,
        severity: r.document.severity,
        counts: counts.get(r.id) ?? emptyCounts(),
      })),
    };
  }

  /**
   * A dry run: evaluates a policy document (not stored) on one host's execution, or on every
   * host's latest, and says what it would find.
   */
  async test(document: unknown, target: { hostId?: number; at?: number }): Promise<PolicyTest> {
    const checked = validatePolicy(document);
    if (!checked.ok) {
      const first = checked.problems[0]!;
      throw badRequest("invalid_policy", `policy${first.path} ${first.message}`);
    }
    const compiled = compilePolicy(checked.value);
    const hostIds =
      target.hostId !== undefined ? [target.hostId] : await this.store.hostIdsWithHistory(null);
    const selector: ExecutionSelector =
      target.at !== undefined ? { at: target.at } : { latest: true };
    const items: PolicyTest["items"] = [];
    for (const hostId of hostIds) {
      const execution = await this.store.findExecution(hostId, selector);
      if (!execution) continue;
      const [report, previous, host] = await Promise.all([
        this.store.reportOf(execution),
        this.store.findExecution(hostId, { before: execution }),
        this.store.getHost(hostId),
      ]);
      const result = evaluate(compiled, {
        report,
        previousCollectedAt: previous?.collectedAt,
        intervalMs: this.intervalMs,
      });
      items.push({
        host_id: hostId,
        hostname: host?.hostname ?? "",
        report_id: execution.reportId,
        collected_at: execution.collectedAt,
        ...result,
      });
    }
    return { items };
  }
}
