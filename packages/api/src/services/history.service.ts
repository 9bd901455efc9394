import type {
  CollectorError,
  Diff,
  Execution,
  Host,
  PageOf,
  ProcessPage,
  Report,
  ReportAccount,
  ReportListening,
  ReportPackage,
  ReportProcess,
  ReportService,
  ReportSession,
  SessionPage,
  SettingsSnapshot,
} from "@compliance/contract";
import { notFound } from "../errors.ts";
import type {
  ExecutionRecord,
  ExecutionSelector,
  InventoryKindName,
  Page,
  Store,
  TimeRange,
} from "../store/store.ts";
import { compareVersions, schemeOfSource } from "../versions.ts";
import { diffExecutions } from "./diff.ts";
import { inventoryDiff } from "./inventory-diff.ts";
import { type Comparators, type ListQuery, listOf } from "./lists.ts";

const matchesProcess = (q: string) => (p: ReportProcess) =>
  p.name.toLowerCase().includes(q) ||
  p.user.toLowerCase().includes(q) ||
  String(p.pid) === q ||
  (p.cmdline?.toLowerCase().includes(q) ?? false);

const matchesSession = (q: string) => (s: ReportSession) =>
  s.user.toLowerCase().includes(q) ||
  s.terminal.toLowerCase().includes(q) ||
  (s.remote_host?.toLowerCase().includes(q) ?? false);

const includes = (value: string | number | undefined, q: string) =>
  value !== undefined && String(value).toLowerCase().includes(q);

/** The list sections of the inventory: their kind, collector and what `q` matches. */
const SECTIONS = {
  packages: {
    kind: "package",
    collector: "packages",
    matches: (q: string) => (p: ReportPackage) => includes(p.name, q) || includes(p.version, q),
    // Versions sort the way the package's manager orders them (epochs, tildes, releases).
    comparators: {
      version: (a: ReportPackage, b: ReportPackage) =>
        compareVersions(a.version, b.version, schemeOfSource(a.source)),
    },
  },
  listening: {
    kind: "listening",
    collector: "listening",
    matches: (q: string) => (l: ReportListening) =>
      includes(l.protocol, q) ||
      includes(l.address, q) ||
      String(l.port) === q ||
      includes(l.process, q),
  },
  accounts: {
    kind: "account",
    collector: "accounts",
    matches: (q: string) => (a: ReportAccount) =>
      includes(a.name, q) || includes(a.home, q) || includes(a.shell, q),
  },
  services: {
    kind: "service",
    collector: "services",
    matches: (q: string) => (v: ReportService) => includes(v.name, q) || includes(v.state, q),
  },
} as const;

type Section = keyof typeof SECTIONS;
type ItemOf<S extends Section> = NonNullable<Report[S]>[number];

/** Why the agent said it could not collect `collector`, if it said so. */
const reasonOf = (e: ExecutionRecord, collector: string): CollectorError | undefined =>
  e.errors?.find((x) => x.collector === collector);

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
    const error = execution.errors?.find((e) => e.collector === "processes");
    return {
      report_id: execution.reportId,
      collected_at: execution.collectedAt,
      known: error === undefined,
      ...(error ? { reason: error.message } : {}),
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

  /** One inventory list of an execution; `known: false` when it was not collected there. */
  async section<S extends Section>(
    hostId: number,
    selector: ExecutionSelector,
    section: S,
    query: ListQuery,
  ) {
    const spec = SECTIONS[section];
    const execution = await this.execution(hostId, selector);
    const sections = await this.store.inventoryOf(execution, [spec.kind as InventoryKindName]);
    const items = (sections[section] ?? []) as ItemOf<S>[];
    const reason = reasonOf(execution, spec.collector);
    return {
      report_id: execution.reportId,
      collected_at: execution.collectedAt,
      known: sections[section] !== undefined,
      ...(reason ? { reason: reason.message } : {}),
      ...listOf(
        items,
        query,
        spec.matches as (q: string) => (item: ItemOf<S>) => boolean,
        ("comparators" in spec ? spec.comparators : {}) as Comparators<ItemOf<S>>,
      ),
    };
  }

  /** Kernel parameters, sshd options and file modes of an execution; null: not collected. */
  async settings(hostId: number, selector: ExecutionSelector): Promise<SettingsSnapshot> {
    const execution = await this.execution(hostId, selector);
    const { settings } = await this.store.inventoryOf(execution, ["sysctl", "sshd", "file"]);
    return {
      report_id: execution.reportId,
      collected_at: execution.collectedAt,
      known: settings !== undefined,
      sysctl: settings?.sysctl ?? null,
      sshd: settings?.sshd ?? null,
      files: settings?.files ?? null,
      reasons: (execution.errors ?? []).filter((e) =>
        ["sysctl", "sshd", "files"].includes(e.collector),
      ),
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
      const [processes, sessions, facts, inventory] = await Promise.all([
        this.store.processesOf(e),
        this.store.sessionsOf(e),
        this.store.factsOf(e),
        this.store.inventoryOf(e),
      ]);
      return { processes, sessions, facts, sessionsKnown: e.sessionsKnown, inventory };
    };
    const [a, b] = await Promise.all([side(from), side(to)]);
    return {
      host_id: to.hostId,
      from: { report_id: from.reportId, collected_at: from.collectedAt },
      to: { report_id: to.reportId, collected_at: to.collectedAt },
      ...diffExecutions(a, b),
      ...inventoryDiff(a.inventory, b.inventory),
    };
  }

  /** A stored report, rebuilt: equal to the one its agent sent. */
  async report(reportId: string): Promise<{ hostId: number; report: Report }> {
    const execution = await this.store.executionByReportId(reportId);
    if (!execution) throw notFound(`report ${reportId}`);
    return { hostId: execution.hostId, report: await this.store.reportOf(execution) };
  }
}
