import type { Report } from "@compliance/contract";

/** What a policy is evaluated against: one execution of a host, and what surrounds it. */
export interface EvaluationContext {
  /** The execution: the report as the agent sent it. */
  report: Report;
  /** `collected_at` of the host's previous execution; absent for its first one. */
  previousCollectedAt?: string | undefined;
  /** The agent's reporting interval in milliseconds; freshness is unknown without it. */
  intervalMs?: number | undefined;
  /**
   * The time of evaluation at read time ("is this host still reporting?"). Absent when an
   * execution is evaluated as it arrives, or over history, where only the previous
   * execution counts.
   */
  now?: Date | undefined;
  /** The host's tags (for `except_tags`); absent means it has none. */
  tags?: readonly string[] | undefined;
}

/**
 * A context prepared for evaluating many policies against one report: which collectors
 * failed, and indexes by key (packages by name, ...) built once, on first use, and shared
 * by every condition and policy evaluated with it.
 */
export class PreparedContext {
  private readonly failures = new Map<string, string>();
  private readonly memos = new Map<string, unknown>();
  private cmdlines: boolean | undefined;

  constructor(readonly context: EvaluationContext) {
    for (const e of context.report.errors ?? []) this.failures.set(e.collector, e.message);
  }

  get report(): Report {
    return this.context.report;
  }

  /** Why the data of these collectors is unknown (one of them failed), or undefined. */
  failed(collectors: readonly string[]): string | undefined {
    for (const name of collectors) {
      const message = this.failures.get(name);
      if (message !== undefined) return `the ${name} collector failed: ${message}`;
    }
    return undefined;
  }

  /** A value derived from the report, built on first use and kept for this report. */
  memo<T>(name: string, build: () => T): T {
    if (this.memos.has(name)) return this.memos.get(name) as T;
    const value = build();
    this.memos.set(name, value);
    return value;
  }

  /** Items grouped by key, built once per report and name. */
  indexed<I>(name: string, items: readonly I[], key: (item: I) => string): Map<string, I[]> {
    return this.memo(`index:${name}`, () => {
      const index = new Map<string, I[]>();
      for (const item of items) {
        const k = key(item);
        const list = index.get(k);
        if (list) list.push(item);
        else index.set(k, [item]);
      }
      return index;
    });
  }

  /**
   * Whether the agent sent command lines at all. When it did, a process without one has
   * none (a kernel thread, a zombie); when it did not (switched off), every one is unknown.
   */
  hasCmdlines(): boolean {
    this.cmdlines ??= this.report.processes.some((p) => p.cmdline !== undefined);
    return this.cmdlines;
  }
}

/** Prepares a context once for many evaluations; a prepared one is returned as it is. */
export function prepareContext(context: EvaluationContext | PreparedContext): PreparedContext {
  return context instanceof PreparedContext ? context : new PreparedContext(context);
}
