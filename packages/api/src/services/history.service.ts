import type {
  Diff,
  Execution,
  Host,
  PageOf,
  ProcessPage,
  Report,
  ReportProcess,
  ReportSession,
  SessionPage,
} from "@compliance/contract";
import { notFound } from "../errors.ts";
import type { ExecutionRecord, ExecutionSelector, Page, Store, TimeRange } from "../store/store.ts";
import { diffExecutions } from "./diff.ts";
import { type ListQuery, listOf } from "./lists.ts";

const matchesProcess = (q: string) => (p: ReportProcess) =>
  p.name.toLowerCase().includes(q) ||
  p.user.toLowerCase().includes(q) ||
  String(p.pid) === q ||
  (p.cmdline?.toLowerCase().includes(q) ?? false);

const matchesSession = (q: string) => (s: ReportSession) =>
  s.user.toLowerCase().includes(q) ||
  s.terminal.toLowerCase().includes(q) ||
  (s.remote_host?.toLowerCase().includes(q) ?? false);

/**
 * A host's history: which execution a read is about, what ran and who was logged in then,
 * the timeline, diffs and stored reports. The one place that decides "which execution".
 */
export class HistoryService {
  constructor(private readonly store: Store) {}

  async host(hostId: number): Promise<Host> {
    const host = await this.store.getHost(hostId);
    if (!host) throw notFound(`host ${hostId}`);
    return host;
  }

  /** The execution a read is about; 404 naming what was looked for. */
  async execution(hostId: number, selector: ExecutionSelector): Promise<ExecutionRecord> {
    await this.host(hostId);
    const execution = await this.store.findExecution(hostId, selector);
    if (execution) return execution;
    if ("reportId" in selector) throw notFound(`report ${selector.reportId} of host ${hostId}`);
    if ("at" in selector) {
      const at = new Date(selector.at).toISOString();
      throw notFound(`an execution of host ${hostId} at or before ${at}`);
    }
    throw notFound(`an execution of host ${hostId}`);
  }

  async timeline(hostId: number, range: TimeRange, page: Page): Promise<PageOf<Execution>> {
    await this.host(hostId);
    return this.store.listExecutions(hostId, range, page);
  }

  async processes(
    hostId: number,
    selector: ExecutionSelector,
    query: ListQuery,
  ): Promise<ProcessPage> {
    const execution = await this.execution(hostId, selector);
    const items = await this.store.processesOf(execution);
    return {
      report_id: execution.reportId,
      collected_at: execution.collectedAt,
      ...listOf(items, query, matchesProcess),
    };
  }

  async sessions(
    hostId: number,
    selector: ExecutionSelector,
    query: ListQuery,
  ): Promise<SessionPage> {
    const execution = await this.execution(hostId, selector);
    const items = await this.store.sessionsOf(execution);
    const error = execution.errors?.find((e) => e.collector === "sessions");
    return {
      report_id: execution.reportId,
      collected_at: execution.collectedAt,
      known: error === undefined,
      ...(error ? { reason: error.message } : {}),
      ...listOf(items, query, matchesSession),
    };
  }

  /**
   * What changed between two executions of a host: `to` defaults to the latest, `from` to
   * the execution before `to` (or `to` itself for a host's first).
   */
  async diff(hostId: number, ids: { from?: string; to?: string }): Promise<Diff> {
    const to = await this.execution(hostId, ids.to ? { reportId: ids.to } : { latest: true });
    const from = ids.from
      ? await this.execution(hostId, { reportId: ids.from })
      : ((await this.store.findExecution(hostId, { before: to })) ?? to);
    return this.between(from, to);
  }

  /** The diff of two executions of one host. */
  async between(from: ExecutionRecord, to: ExecutionRecord): Promise<Diff> {
    const side = async (e: ExecutionRecord) => {
      const [processes, sessions, facts] = await Promise.all([
        this.store.processesOf(e),
        this.store.sessionsOf(e),
        this.store.factsOf(e),
      ]);
      return { processes, sessions, facts, sessionsKnown: e.sessionsKnown };
    };
    const [a, b] = await Promise.all([side(from), side(to)]);
    return {
      host_id: to.hostId,
      from: { report_id: from.reportId, collected_at: from.collectedAt },
      to: { report_id: to.reportId, collected_at: to.collectedAt },
      ...diffExecutions(a, b),
    };
  }

  /** A stored report, rebuilt: equal to the one its agent sent. */
  async report(reportId: string): Promise<{ hostId: number; report: Report }> {
    const execution = await this.store.executionByReportId(reportId);
    if (!execution) throw notFound(`report ${reportId}`);
    return { hostId: execution.hostId, report: await this.store.reportOf(execution) };
  }
}
