import type { AuditAction, AuditEntry, PageOf } from "@compliance/contract";
import type { Generated, Kysely, Selectable } from "kysely";
import type { Engine } from "./database.ts";
import type { Database } from "./schema.ts";

/** The audit_log table (migration 0008). */
export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string;
  actor_name: string | null;
  action: string;
  target: string | null;
  details: string;
}

type AuditDatabase = Database & { audit_log: AuditLogTable };

/** One action to record. */
export interface AuditRecord {
  at: number;
  actor: string;
  actorName: string | null;
  action: AuditAction;
  target: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  action?: AuditAction | undefined;
  /** The actor, or the name of the token that acted. */
  actor?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
}

function entryOf(row: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: row.id,
    at: new Date(row.at).toISOString(),
    actor: row.actor,
    actor_name: row.actor_name,
    action: row.action as AuditAction,
    target: row.target,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

/** The audit trail: rows are only added, and read newest first. */
export class AuditRepository {
  private readonly db: Kysely<AuditDatabase>;
  private readonly reader: Kysely<AuditDatabase>;

  constructor(
    db: Kysely<Database>,
    reader: Kysely<Database>,
    private readonly engine: Engine,
  ) {
    this.db = db.withTables<{ audit_log: AuditLogTable }>();
    this.reader = reader.withTables<{ audit_log: AuditLogTable }>();
  }

  async append(record: AuditRecord): Promise<number> {
    const insert = this.db.insertInto("audit_log").values({
      at: record.at,
      actor: record.actor.slice(0, 64),
      actor_name: record.actorName === null ? null : record.actorName.slice(0, 255),
      action: record.action,
      target: record.target === null ? null : record.target.slice(0, 255),
      details: JSON.stringify(record.details),
    });
    if (this.engine === "postgres") {
      return Number((await insert.returning("id").executeTakeFirstOrThrow()).id);
    }
    return Number((await insert.executeTakeFirstOrThrow()).insertId);
  }

  async list(
    filter: AuditFilter,
    page: { limit: number; offset: number },
  ): Promise<PageOf<AuditEntry>> {
    let q = this.reader.selectFrom("audit_log");
    if (filter.action !== undefined) q = q.where("action", "=", filter.action);
    if (filter.actor !== undefined) {
      const actor = filter.actor;
      q = q.where((eb) => eb.or([eb("actor", "=", actor), eb("actor_name", "=", actor)]));
    }
    if (filter.from !== undefined) q = q.where("at", ">=", filter.from);
    if (filter.to !== undefined) q = q.where("at", "<=", filter.to);
    const [rows, count] = await Promise.all([
      q
        .selectAll()
        .orderBy("at", "desc")
        .orderBy("id", "desc")
        .limit(page.limit)
        .offset(page.offset)
        .execute(),
      q.select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(entryOf), total: Number(count.n), ...page };
  }
}
