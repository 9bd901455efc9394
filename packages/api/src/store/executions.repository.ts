import type { Execution, ExecutionSortKey, PageOf } from "@compliance/contract";
import type { Kysely } from "kysely";
import { parseSort } from "./hosts.repository.ts";
import { POS_PER_MS, posOfTime } from "./positions.ts";
import {
  type ExecutionRecord,
  type ExecutionSelector,
  executionRecordOf,
  type Page,
  type TimeRange,
  toExecution,
} from "./records.ts";
import type { Database } from "./schema.ts";

const EXECUTION_SORTS = {
  collected_at: "pos",
  received_at: "received_at",
  process_count: "process_count",
} as const satisfies Record<ExecutionSortKey, string>;

/** Where a walk over executions stopped: they are walked by (host, position). */
export interface ExecutionCursor {
  hostId: number;
  pos: number;
}

export interface ExecutionRef extends ExecutionCursor {
  reportId: string;
}

/** Which executions a walk covers. */
export interface ExecutionFilter extends TimeRange {
  hostId?: number | undefined;
}

/** Reads of executions: finding one, a host's timeline, walks and the change feed's scan. */
export class ExecutionsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The execution of hostId the selector picks, or null when it has none that matches. */
  async find(hostId: number, selector: ExecutionSelector): Promise<ExecutionRecord | null> {
    let q = this.db.selectFrom("executions").selectAll().where("host_id", "=", hostId);
    if ("reportId" in selector) {
      q = q.where("report_id", "=", selector.reportId);
    } else if ("at" in selector) {
      q = q.where("pos", "<", posOfTime(selector.at + 1)).orderBy("pos", "desc");
    } else if ("before" in selector) {
      q = q.where("pos", "<", selector.before.pos).orderBy("pos", "desc");
    } else {
      const latest = this.db
        .selectFrom("hosts")
        .select("latest_execution_id")
        .where("id", "=", hostId);
      q = q.where("id", "=", latest);
    }
    const row = await q.limit(1).executeTakeFirst();
    return row ? executionRecordOf(row) : null;
  }

  async byReportId(reportId: string): Promise<ExecutionRecord | null> {
    const row = await this.db
      .selectFrom("executions")
      .selectAll()
      .where("report_id", "=", reportId)
      .executeTakeFirst();
    return row ? executionRecordOf(row) : null;
  }

  async byIds(ids: number[]): Promise<ExecutionRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom("executions")
      .selectAll()
      .where("id", "in", ids)
      .orderBy("id")
      .execute();
    return rows.map(executionRecordOf);
  }

  /** The host's executions (its timeline), newest first unless sorted otherwise. */
  async list(hostId: number, range: TimeRange, page: Page): Promise<PageOf<Execution>> {
    let q = this.db.selectFrom("executions").where("host_id", "=", hostId);
    if (range.from !== undefined) q = q.where("pos", ">=", posOfTime(range.from));
    if (range.to !== undefined) q = q.where("pos", "<", posOfTime(range.to + 1));
    const total = await q
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    const { column, desc } = parseSort(
      page.sort ?? "-collected_at",
      EXECUTION_SORTS,
      "collected_at",
    );
    const rows = await q
      .selectAll()
      .orderBy(column, desc ? "desc" : "asc")
      .orderBy("pos", desc ? "desc" : "asc")
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return {
      items: rows.map((r) => toExecution(executionRecordOf(r))),
      total: Number(total.n),
      limit: page.limit,
      offset: page.offset,
    };
  }

  /**
   * The executions stored after `since` (an execution id) that changed something against
   * their predecessor (or are a host's first), in the order stored; up to `limit`, scanning
   * at most `scan` rows. Executions received after `settledBefore` (ms) are not handed out
   * yet, so a slower concurrent transaction cannot commit behind the cursor.
   */
  async changedAfter(
    since: number,
    limit: number,
    settledBefore: number,
    scan = 5000,
  ): Promise<{ ids: number[]; next: number; more: boolean }> {
    const scanned = await this.db
      .selectFrom("executions")
      .select([
        "id",
        "received_at",
        "processes_started",
        "processes_ended",
        "sessions_opened",
        "sessions_closed",
        "facts_changed",
        "inventory_changed",
      ])
      .where("id", ">", since)
      .orderBy("id")
      .limit(scan)
      .execute();
    const ids: number[] = [];
    let next = since;
    for (const r of scanned) {
      if (r.received_at > settledBefore) return { ids, next, more: false };
      const changed =
        r.processes_started === null ||
        r.processes_started +
          (r.processes_ended ?? 0) +
          (r.sessions_opened ?? 0) +
          (r.sessions_closed ?? 0) +
          (r.facts_changed ?? 0) +
          (r.inventory_changed ?? 0) >
          0;
      if (changed) {
        if (ids.length === limit) return { ids, next, more: true };
        ids.push(r.id);
      }
      next = r.id;
    }
    return { ids, next, more: scanned.length === scan && next === scanned.at(-1)?.id };
  }

  private filtered(filter: ExecutionFilter) {
    let q = this.db.selectFrom("executions");
    if (filter.hostId !== undefined) q = q.where("host_id", "=", filter.hostId);
    if (filter.from !== undefined) q = q.where("pos", ">=", posOfTime(filter.from));
    if (filter.to !== undefined) q = q.where("pos", "<", posOfTime(filter.to) + POS_PER_MS);
    return q;
  }

  async count(filter: ExecutionFilter): Promise<number> {
    const row = await this.filtered(filter)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * The next executions after `after`, by host and then collected_at: a keyset page, so a
   * long walk costs the same per page and never holds more than one page.
   */
  async after(
    filter: ExecutionFilter,
    after: ExecutionCursor | null,
    limit: number,
  ): Promise<ExecutionRef[]> {
    let q = this.filtered(filter);
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb("host_id", ">", after.hostId),
          eb.and([eb("host_id", "=", after.hostId), eb("pos", ">", after.pos)]),
        ]),
      );
    }
    const rows = await q
      .select(["host_id", "pos", "report_id"])
      .orderBy("host_id")
      .orderBy("pos")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ hostId: r.host_id, pos: r.pos, reportId: r.report_id }));
  }
}
