import { type Host, type PageOf, type Report, validateReport } from "@compliance/contract";
import { LEGACY_SOURCE, legacyIdentifier } from "../compat/legacy-report.ts";
import { conflict, invalidReport } from "../errors.ts";
import type { CpuSample, IngestOptions, LegacyRequest, Store } from "../store/store.ts";
import type { IngestService } from "./ingest.service.ts";

export interface LegacyStored {
  hostId: number;
  reportId: string;
  /** The report_id was stored before: nothing new was written. */
  duplicate: boolean;
}

/**
 * The older systems' reports: stored through the one write path (the ingest service) and
 * read back. A legacy host is keyed by its primary IP (`legacy:ip:<ip>`, source `legacy`)
 * and never merges into a host that enrolled with a key.
 */
export class LegacyService {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly data: Store,
    private readonly ingest: IngestService,
    private readonly clock: () => number,
  ) {}

  get now(): number {
    return this.clock();
  }

  /**
   * Validates a mapped report against the contract, creates its host if new, stores it.
   * With `expectLatestReportId`, stores only if the host's latest execution is still that
   * one (see Store.ingest); otherwise a 409 latest_changed.
   */
  async store(report: Report, options: IngestOptions = {}): Promise<LegacyStored> {
    const checked = validateReport(report);
    if (!checked.ok) {
      // The mapper checks the seed's own fields first; what reaches here is named in the report.
      throw invalidReport("the report made from this body", checked.problems);
    }
    const hostId = await this.hostFor(report.host.identifier, report.host.hostname);
    const outcome = await this.ingest.save(hostId, report, options);
    return { hostId, reportId: outcome.execution.reportId, duplicate: outcome.duplicate };
  }

  /** The legacy host with this identifier, created (without a key) when new. */
  async hostFor(identifier: string, hostname: string): Promise<number> {
    const existing = await this.data.hostByIdentifier(identifier);
    if (existing) {
      if (existing.hasKey || existing.source !== LEGACY_SOURCE) {
        throw conflict(
          "host_identifier_taken",
          `${identifier} belongs to a host that enrolled with a key; legacy reports never merge into it`,
        );
      }
      return existing.id;
    }
    return this.data.keylessHost(identifier, hostname, LEGACY_SOURCE);
  }

  /** The legacy host of an address, if it exists. */
  async hostOf(ip: string): Promise<number | null> {
    const host = await this.data.hostByIdentifier(legacyIdentifier(ip));
    return host && host.source === LEGACY_SOURCE ? host.id : null;
  }

  /** The latest report of a legacy host, rebuilt from history. */
  async latest(hostId: number): Promise<Report | null> {
    const execution = await this.data.findExecution(hostId, { latest: true });
    return execution ? await this.data.reportOf(execution) : null;
  }

  /** The report of the execution in effect at ms (the latest collected at or before it). */
  async at(hostId: number, ms: number): Promise<Report | null> {
    const execution = await this.data.findExecution(hostId, { at: ms });
    return execution ? await this.data.reportOf(execution) : null;
  }

  /** Keeps a body as its agent sent it, beside the execution made of it (once per report). */
  saveRequest(request: Omit<LegacyRequest, "id">): Promise<void> {
    return this.data.saveLegacyRequest(request);
  }

  /** The body a report was made of, when a seed's agent sent it. */
  requestOf(reportId: string): Promise<LegacyRequest | null> {
    return this.data.legacyRequestOf(reportId);
  }

  /**
   * One page of the rows a seed's read route lists from the bodies of one kind (of a host,
   * or of all), oldest first: `rowsOf` reads a body's rows. Only the bodies the page needs
   * are read.
   */
  async requestRows<T>(
    kind: string,
    hostId: number | null,
    page: { offset: number; limit: number },
    rowsOf: (request: LegacyRequest) => T[],
  ): Promise<{ items: T[]; total: number }> {
    const counts = await this.data.legacyRequestCounts(kind, hostId);
    const total = counts.reduce((n, c) => n + c.itemCount, 0);
    const end = page.offset + page.limit;
    const ids: number[] = [];
    let at = 0;
    let skip = 0;
    for (const c of counts) {
      if (at + c.itemCount > page.offset && at < end) {
        if (ids.length === 0) skip = page.offset - at;
        ids.push(c.id);
      }
      at += c.itemCount;
      if (at >= end) break;
    }
    const requests = await this.data.legacyRequestsByIds(ids);
    const items = requests.flatMap(rowsOf).slice(skip, skip + page.limit);
    return { items, total };
  }

  /** The latest report of the legacy host of `ip` collected within the second starting at ms. */
  async inSecond(ip: string, ms: number): Promise<Report | null> {
    const hostId = await this.hostOf(ip);
    if (hostId === null) return null;
    const reportId = await this.data.reportIdInSecond(hostId, ms);
    return reportId ? await this.report(reportId) : null;
  }

  /** The legacy hosts, in the order they first reported. */
  hosts(page: { limit: number; offset: number }): Promise<PageOf<Host>> {
    return this.data.listHosts({ source: LEGACY_SOURCE }, { ...page, sort: "id" });
  }

  async report(reportId: string): Promise<Report | null> {
    const execution = await this.data.executionByReportId(reportId);
    return execution ? await this.data.reportOf(execution) : null;
  }

  /** CPU uses the legacy agents measured, newest first (seed 003's /cpus). */
  cpuSamples(page: {
    limit: number;
    offset: number;
  }): Promise<{ items: CpuSample[]; total: number }> {
    return this.data.cpuSamples(LEGACY_SOURCE, page);
  }

  /**
   * Runs fn alone for this key in this process: a read-modify-write of one host (seed 003's
   * parts) must not interleave with another of the same host.
   */
  async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.queues.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = before.then(() => mine);
    this.queues.set(key, tail);
    await before;
    try {
      return await fn();
    } finally {
      release();
      if (this.queues.get(key) === tail) this.queues.delete(key);
    }
  }
}
