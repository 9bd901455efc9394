import type { Kysely } from "kysely";
import { posOfTime } from "./positions.ts";
import type { Database } from "./schema.ts";

/** A measured CPU use of a legacy host (seed 003's `/cpus` rows). */
export interface CpuSample {
  reportId: string;
  identifier: string;
  primaryIp: string | null;
  collectedAt: string;
  usagePercent: number;
}

/**
 * The reads the older systems' routes need beyond the rest of the store. Read-only: history
 * is written by ingest alone.
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
  async cpuSamples(
    source: string,
    page: { limit: number; offset: number },
  ): Promise<{
    items: CpuSample[];
    total: number;
  }> {
    // `extra` is the JSON the store keeps of a report's errors; no LIKE wildcards inside.
    const cpuUnknown = '%"collector":"cpu"%';
    const q = this.db
      .selectFrom("executions as e")
      .innerJoin("hosts as h", "h.id", "e.host_id")
      .where("h.source", "=", source)
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
}
