import type {
  Change,
  CpuPoint,
  Diff,
  FleetSummary,
  InventoryRow,
  InventoryTable,
  PageOf,
  ProcessSearchHit,
  SessionSearchHit,
} from "@compliance/contract";
import type { ExecutionRecord, InventoryFilter, Page, Store, TimeRange } from "../store/store.ts";
import type { HistoryService } from "./history.service.ts";

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
    for (const e of await this.store.executionsByIds(ids)) {
      if (!hostnames.has(e.hostId)) {
        hostnames.set(e.hostId, (await this.store.getHost(e.hostId))?.hostname ?? "");
      }
      items.push(await this.changeOf(e, hostnames.get(e.hostId)!));
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
