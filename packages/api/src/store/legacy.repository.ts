import type { Kysely, Selectable } from "kysely";
import { posOfTime } from "./positions.ts";
import type { Database, LegacyRequestsTable } from "./schema.ts";

/** A measured CPU use of a legacy host (seed 003's `/cpus` rows). */
export interface CpuSample {
  reportId: string;
  identifier: string;
  primaryIp: string | null;
  collectedAt: string;
  usagePercent: number;
}

/** A body an older system's agent sent, as received. */
export interface LegacyRequest {
  id: number;
  hostId: number;
  seed: string;
  kind: string;
  reportId: string;
  ip: string;
  receivedAt: number;
  /** Rows the seed's read route lists from it. */
  itemCount: number;
  body: string;
}

/**
 * The reads the older systems' routes need beyond the rest of the store, and the bodies
 * their agents sent. History is written by ingest alone; the bodies are kept beside it.
 */
export class LegacyRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly writer: Kysely<Database> = db,
  ) {}

  /**
   * Keeps a body as received, once per report_id: a resend that made no new execution
   * keeps the first. Concurrent callers with one report_id end with one row.
   */
  async saveRequest(request: Omit<LegacyRequest, "id">): Promise<void> {
    const exists = await this.writer
      .selectFrom("legacy_requests")
      .select("id")
      .where("report_id", "=", request.reportId)
      .executeTakeFirst();
    if (exists) return;
    try {
      await this.writer
        .insertInto("legacy_requests")
        .values({
          host_id: request.hostId,
          seed: request.seed,
          kind: request.kind,
          report_id: request.reportId,
          ip: request.ip,
          received_at: request.receivedAt,
          item_count: request.itemCount,
          body: request.body,
        })
        .execute();
    } catch (e) {
      // Another process stored the same report's body first: the row is there.
      const again = await this.writer
        .selectFrom("legacy_requests")
        .select("id")
        .where("report_id", "=", request.reportId)
        .executeTakeFirst();
      if (!again) throw e;
    }
  }

  /** The body a report was made of, if it came from an older system's agent. */
  async requestOf(reportId: string): Promise<LegacyRequest | null> {
    const row = await this.db
      .selectFrom("legacy_requests")
      .selectAll()
      .where("report_id", "=", reportId)
      .executeTakeFirst();
    return row ? requestOfRow(row) : null;
  }

  /**
   * The ids and row counts of the bodies of one kind, oldest first: of one host, or of
   * every host when hostId is null. Cheap (no bodies), so a page of rows can be planned.
   */
  async requestCounts(
    kind: string,
    hostId: number | null,
  ): Promise<{ id: number; itemCount: number }[]> {
    let q = this.db
      .selectFrom("legacy_requests")
      .select(["id", "item_count"])
      .where("kind", "=", kind);
    if (hostId !== null) q = q.where("host_id", "=", hostId);
    const rows = await q.orderBy("id").execute();
    return rows.map((r) => ({ id: Number(r.id), itemCount: Number(r.item_count) }));
  }

  /** Bodies by id, oldest first. */
  async requestsByIds(ids: number[]): Promise<LegacyRequest[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom("legacy_requests")
      .selectAll()
      .where("id", "in", ids)
      .orderBy("id")
      .execute();
    return rows.map(requestOfRow);
  }

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

function requestOfRow(r: Selectable<LegacyRequestsTable>): LegacyRequest {
  return {
    id: Number(r.id),
    hostId: Number(r.host_id),
    seed: r.seed,
    kind: r.kind,
    reportId: r.report_id,
    ip: r.ip,
    receivedAt: Number(r.received_at),
    itemCount: Number(r.item_count),
    body: r.body,
  };
}
