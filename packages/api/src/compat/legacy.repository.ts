import type { Kysely } from "kysely";
import { POS_PER_MS, posOfTime } from "../store/history.repository.ts";
import type { Database } from "../store/schema.ts";
import { LEGACY_SOURCE } from "./legacy-report.ts";

/** A measured CPU use of a legacy host (seed 003's `/cpus` rows). */
export interface CpuSample {
  reportId: string;
  identifier: string;
  primaryIp: string | null;
  collectedAt: string;
  usagePercent: number;
}

/** Which executions an export covers. collected_at bounds in ms, inclusive. */
export interface ExecutionFilter {
  hostId?: number;
  from?: number;
  to?: number;
}

/** Where a page of an export stopped: executions are walked by (host, position). */
export interface ExecutionCursor {
  hostId: number;
  pos: number;
}

export interface ExecutionRef extends ExecutionCursor {
  reportId: string;
}

/**
 * The few reads the compatibility layer and the export need beyond the store's own
 * interface. Read-only: history is written by store.ingest alone. Same SQL on every engine.
 */
export class LegacyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The report_id of the host's latest execution collected within the second starting at ms. */
  async reportIdInSecond(hostId: number, ms: number): Promise<string | null> {
    const row = await this.db
      .selectFrom("executions")
      .select("report_id")
      .where("host_id", "=", hostId)
      .where("pos", ">=", posOfTime(ms))
      .where("pos", "<", posOfTime(ms + 1000))
      .orderBy("pos", "desc")
      .limit(1)
      .executeTakeFirst();
    return row?.report_id ?? null;
  }

  /**
   * CPU uses measured by legacy agents, newest first: the executions of legacy hosts whose
   * `errors` do not list the cpu collector. Every seed but 003 (in its cpu call) leaves the
   * use unmeasured and says so there, so these are exactly seed 003's measurements.
   */
  async cpuSamples(page: { limit: number; offset: number }): Promise<{
    items: CpuSample[];
    total: number;
  }> {
    // `extra` is the JSON the store keeps of a report's errors; no LIKE wildcards inside.
    const cpuUnknown = '%"collector":"cpu"%';
    const q = this.db
      .selectFrom("executions as e")
      .innerJoin("hosts as h", "h.id", "e.host_id")
      .where("h.source", "=", LEGACY_SOURCE)
      .where((eb) => eb.or([eb("e.extra", "is", null), eb("e.extra", "not like", cpuUnknown)]));
    const total = await q
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    const rows = await q
      .select(["e.report_id", "e.collected_at", "e.cpu_usage", "h.identifier", "h.primary_ip"])
      .orderBy("e.pos", "desc")
      .orderBy("e.id", "desc")
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return {
      items: rows.map((r) => ({
        reportId: r.report_id,
        identifier: r.identifier,
        primaryIp: r.primary_ip,
        collectedAt: r.collected_at,
        usagePercent: r.cpu_usage,
      })),
      total: Number(total.n),
    };
  }

  private filtered(filter: ExecutionFilter) {
    let q = this.db.selectFrom("executions");
    if (filter.hostId !== undefined) q = q.where("host_id", "=", filter.hostId);
    if (filter.from !== undefined) q = q.where("pos", ">=", posOfTime(filter.from));
    if (filter.to !== undefined) q = q.where("pos", "<", posOfTime(filter.to) + POS_PER_MS);
    return q;
  }

  async countExecutions(filter: ExecutionFilter): Promise<number> {
    const row = await this.filtered(filter)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * The next executions after `after`, ordered by host and then by collected_at: a keyset
   * page, so a long walk costs the same per page and never holds more than one page.
   */
  async executionsAfter(
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
