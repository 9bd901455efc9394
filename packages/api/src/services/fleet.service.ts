import type {
  Change,
  CpuPoint,
  Diff,
  FleetSummary,
  InventoryRow,
  InventoryTable,
  ListeningSearchHit,
  PackageSearchHit,
  PageOf,
  ProcessSearchHit,
  ReportListening,
  ReportPackage,
  SessionSearchHit,
} from "@compliance/contract";
import { invalidField } from "../errors.ts";
import type {
  ExecutionRecord,
  InventoryFilter,
  InventoryHit,
  Page,
  Store,
  TimeRange,
} from "../store/store.ts";
import { type Comparator, parseComparator, schemeOfSource, versionPredicate } from "../versions.ts";
import type { HistoryService } from "./history.service.ts";

/** The host part of a search hit. */
const hitOf = (h: InventoryHit) => ({
  host_id: h.hostId,
  hostname: h.hostname,
  report_id: h.reportId,
  collected_at: h.collectedAt,
});

function pageOfHits<H, T>(hits: H[], page: Page, shape: (hit: H) => T): PageOf<T> {
  return {
    items: hits.slice(page.offset, page.offset + page.limit).map(shape),
    total: hits.length,
    limit: page.limit,
    offset: page.offset,
  };
}

/** A version comparator of the query string; a 400 naming it when it does not parse. */
function comparatorOf(text: string): Comparator {
  const comparator = parseComparator(text);
  if (!comparator) {
    throw invalidField(
      "querystring/version",
      "must be lt:, le:, eq:, ne:, ge: or gt: and a version",
    );
  }
  return comparator;
}

/** How long a stored execution waits before the change feed hands it out. */
export const FEED_SETTLE_MS = 2000;

/** Fleet-wide questions: the overview, searches across hosts, tables, the change feed. */
export class FleetService {
  constructor(
    private readonly store: Store,
    private readonly history: HistoryService,
    private readonly now: () => number,
  ) {}

  summary(): Promise<FleetSummary> {
    return this.store.fleetSummary();
  }

  /** Hosts running a process named `name` (exact, or a glob), now or at time `at`. */
  searchProcesses(name: string, at: number | null, page: Page): Promise<PageOf<ProcessSearchHit>> {
    return this.store.searchProcesses(name, at, page);
  }

  /** Sessions of users matching `user`: open now, or open within the range. */
  searchSessions(
    user: string,
    range: TimeRange & { openOnly: boolean },
    page: Page,
  ): Promise<PageOf<SessionSearchHit>> {
    return this.store.searchSessions(user, range, page);
  }

  /**
   * Hosts with a package named `name` (exact or a glob) installed, now or at `at`; with
   * `version` (`lt:3.0.13`), only the packages whose version compares so, the way their
   * package manager orders versions.
   */
  async searchPackages(
    name: string,
    version: string | undefined,
    at: number | null,
    page: Page,
  ): Promise<PageOf<PackageSearchHit>> {
    const comparator = version === undefined ? null : comparatorOf(version);
    const hits = await this.store.searchInventory("package", { name }, at);
    const matching = hits
      .map((h) => ({
        ...h,
        items: (h.items as ReportPackage[]).filter(
          (p) =>
            comparator === null ||
            versionPredicate(comparator, schemeOfSource(p.source))(p.version),
        ),
      }))
      .filter((h) => h.items.length > 0);
    return pageOfHits(matching, page, (h) => ({ ...hitOf(h), packages: h.items }));
  }

  /** Hosts with a socket listening on `port` (and `protocol`), now or at `at`. */
  async searchListening(
    port: number,
    protocol: string | undefined,
    at: number | null,
    page: Page,
  ): Promise<PageOf<ListeningSearchHit>> {
    const hits = await this.store.searchInventory("listening", { number: port }, at);
    const matching = hits
      .map((h) => ({
        ...h,
        items: (h.items as ReportListening[]).filter(
          (l) => protocol === undefined || l.protocol === protocol,
        ),
      }))
      .filter((h) => h.items.length > 0);
    return pageOfHits(matching, page, (h) => ({ ...hitOf(h), listening: h.items }));
  }

  cpuSeries(
    filter: TimeRange & { hostId?: number | undefined },
    page: Page,
  ): Promise<PageOf<CpuPoint>> {
    return this.store.cpuSeries(filter, page);
  }

  inventory(
    table: InventoryTable,
    filter: InventoryFilter,
    page: Page,
  ): Promise<PageOf<InventoryRow>> {
    return this.store.inventoryTable(table, filter, page);
  }

  /**
   * What changed fleet-wide after cursor `since` (an execution id; 0 for everything), in
   * the order the API stored it. Executions received less than FEED_SETTLE_MS ago wait, so
   * a slower concurrent transaction on another replica cannot commit behind the cursor.
   */
  async changes(
    since: number,
    limit: number,
  ): Promise<{ items: Change[]; next_cursor: string; has_more: boolean }> {
    const { ids, next, more } = await this.store.changedExecutionsAfter(
      since,
      limit,
      this.now() - FEED_SETTLE_MS,
    );
    const items: Change[] = [];
    const hostnames = new Map<number, string>();
    const events = await this.store.policyEventsOf(ids);
    for (const e of await this.store.executionsByIds(ids)) {
      if (!hostnames.has(e.hostId)) {
        hostnames.set(e.hostId, (await this.store.getHost(e.hostId))?.hostname ?? "");
      }
      const change = await this.changeOf(e, hostnames.get(e.hostId)!);
      const policies = events
        .filter((p) => p.execution_id === e.id)
        .map((p) => ({
          policy_id: p.policy_id,
          version: p.version,
          before: p.before,
          after: p.after,
        }));
      items.push(policies.length > 0 ? { ...change, policies } : change);
    }
    return { items, next_cursor: String(next), has_more: more };
  }

  private async changeOf(e: ExecutionRecord, hostname: string): Promise<Change> {
    const before = await this.store.findExecution(e.hostId, { before: e });
    const diff = before ? await this.history.between(before, e) : await this.firstOf(e);
    return {
      cursor: String(e.id),
      host_id: e.hostId,
      hostname,
      report_id: e.reportId,
      collected_at: e.collectedAt,
      received_at: new Date(e.receivedAt).toISOString(),
      first: before === null,
      processes: diff.processes,
      sessions: diff.sessions,
      facts: diff.facts,
    };
  }

  /** A host's first execution: everything in it is new. */
  private async firstOf(
    e: ExecutionRecord,
  ): Promise<Pick<Diff, "processes" | "sessions" | "facts">> {
    const [processes, sessions] = await Promise.all([
      this.store.processesOf(e),
      this.store.sessionsOf(e),
    ]);
    return {
      processes: { started: processes, ended: [], changed: [] },
      sessions: { known: e.sessionsKnown, opened: sessions, closed: [] },
      facts: [],
    };
  }
}
