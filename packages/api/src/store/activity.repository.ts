import type { ActivityItem, ActivityKind, PageOf } from "@compliance/contract";
import { type Kysely, type SqlBool, sql } from "kysely";
import { isGlob, matchesGlob } from "./like.ts";
import { isoOfPos, OPEN, posOfTime } from "./positions.ts";
import type { Page } from "./records.ts";
import type { Database } from "./schema.ts";

/** What the activity of a window is asked for. Times are epoch ms. */
export interface ActivityFilter {
  from: number;
  to: number;
  hostId?: number | undefined;
  kind?: ActivityKind | undefined;
  /** A glob on the user of processes and sessions; other kinds are left out. */
  user?: string | undefined;
  /** A glob on the name. */
  name?: string | undefined;
  /** A glob on where sessions came from; other kinds are left out. */
  remote?: string | undefined;
  /** Only lifetimes that started or ended within the window. */
  changed?: boolean | undefined;
}

type SpanTable = "process_spans" | "session_spans" | "inventory_spans";

/** The columns every kind shares, as this file reads them. */
interface SpanBase {
  id: number;
  host_id: number;
  hostname: string;
  first_pos: number;
  last_pos: number;
  gone_pos: number | null;
}

const INVENTORY_KINDS = ["package", "listening", "account", "service", "sysctl", "sshd", "file"];

const glob = (column: string, pattern: string) =>
  isGlob(pattern) ? matchesGlob(column, pattern) : sql<SqlBool>`${sql.ref(column)} = ${pattern}`;

/**
 * Lifetimes within a window: every span of a process, session or inventory item that was
 * present in an execution collected within it (so it started, ended or lasted through it).
 * A span's range is that of the executions that had it; `gone_pos` is the first execution
 * of its host without it, the bound of when it really ended.
 */
export class ActivityRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async window(filter: ActivityFilter, page: Page): Promise<PageOf<ActivityItem>> {
    const tables = this.tablesOf(filter);
    // Each kind is read sorted, enough rows for the page; they merge into one order here.
    const want = page.offset + page.limit;
    const parts = await Promise.all(
      tables.map(async (table) => {
        const [total, rows] = await Promise.all([
          this.count(table, filter),
          this.rows(table, filter, want),
        ]);
        return { total, rows: rows.map((r) => this.itemOf(table, r, filter)) };
      }),
    );
    const merged = parts
      .flatMap((p) => p.rows)
      .sort((a, b) => b.order - a.order || b.tie - a.tie)
      .slice(page.offset, want)
      .map((x) => x.item);
    return {
      items: merged,
      total: parts.reduce((n, p) => n + p.total, 0),
      limit: page.limit,
      offset: page.offset,
    };
  }

  private tablesOf(filter: ActivityFilter): SpanTable[] {
    const { kind, user } = filter;
    if (filter.remote !== undefined)
      return kind === undefined || kind === "session" ? ["session_spans"] : [];
    if (kind === "process") return ["process_spans"];
    if (kind === "session") return ["session_spans"];
    if (kind !== undefined) return user === undefined ? ["inventory_spans"] : [];
    return user === undefined
      ? ["process_spans", "session_spans", "inventory_spans"]
      : ["process_spans", "session_spans"];
  }

  /** The spans of `table` in the window, with their host's name, unsorted. */
  private matching(table: SpanTable, filter: ActivityFilter) {
    const fromPos = posOfTime(filter.from);
    const toPos = posOfTime(filter.to + 1);
    let q = this.db
      .selectFrom(`${table} as s` as "process_spans as s")
      .innerJoin("hosts as h", "h.id", "s.host_id")
      .where("s.first_pos", "<", toPos)
      .where("s.last_pos", ">=", fromPos);
    if (filter.hostId !== undefined) q = q.where("s.host_id", "=", filter.hostId);
    if (filter.user !== undefined) q = q.where(glob("s.user_name", filter.user));
    if (filter.remote !== undefined) q = q.where(glob("s.remote_host", filter.remote));
    const nameColumn = table === "session_spans" ? "s.user_name" : "s.name";
    if (filter.name !== undefined) q = q.where(glob(nameColumn, filter.name));
    if (table === "inventory_spans") {
      const kinds = filter.kind !== undefined ? [filter.kind] : INVENTORY_KINDS;
      q = q.where(sql.ref("s.kind"), "in", kinds);
    }
    if (filter.changed) {
      q = q.where((eb) =>
        eb.or([
          eb("s.first_pos", ">=", fromPos),
          eb.and([eb("s.last_pos", "<", toPos), eb("s.last_pos", "!=", OPEN)]),
        ]),
      );
    }
    return q;
  }

  private async count(table: SpanTable, filter: ActivityFilter): Promise<number> {
    const row = await this.matching(table, filter)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  private async rows(table: SpanTable, filter: ActivityFilter, limit: number) {
    const rows = await this.matching(table, filter)
      .selectAll("s")
      .select("h.hostname")
      .select((eb) =>
        eb
          .selectFrom("executions as e")
          .select((x) => x.fn.min<number>("e.pos").as("p"))
          .whereRef("e.host_id", "=", "s.host_id")
          .whereRef("e.pos", ">", "s.last_pos")
          .as("gone_pos"),
      )
      .orderBy("s.first_pos", "desc")
      .orderBy("s.id", "desc")
      .limit(limit)
      .execute();
    return rows as unknown as (SpanBase & Record<string, unknown>)[];
  }

  private itemOf(
    table: SpanTable,
    row: SpanBase & Record<string, unknown>,
    filter: ActivityFilter,
  ): { order: number; tie: number; item: ActivityItem } {
    const first = Number(row.first_pos);
    const last = Number(row.last_pos);
    const open = last === OPEN;
    const gone = row.gone_pos === null || row.gone_pos === undefined ? null : Number(row.gone_pos);
    const base = {
      host_id: Number(row.host_id),
      hostname: row.hostname,
      first_seen_at: isoOfPos(first),
      last_seen_at: open ? null : isoOfPos(last),
      gone_at: open || gone === null ? null : isoOfPos(gone),
      started: first >= posOfTime(filter.from),
      ended: !open && last < posOfTime(filter.to + 1),
    };
    const text = (v: unknown) => (typeof v === "string" ? v : undefined);
    const int = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));
    const item: ActivityItem = (() => {
      if (table === "process_spans") {
        return {
          kind: "process",
          ...base,
          name: String(row.name),
          user: String(row.user_name),
          pid: Number(row.pid),
          ppid: Number(row.ppid),
          cmdline: text(row.cmdline),
          started_at: text(row.started_at),
        } as ActivityItem;
      }
      if (table === "session_spans") {
        return {
          kind: "session",
          ...base,
          name: String(row.user_name),
          user: String(row.user_name),
          terminal: String(row.terminal),
          remote_host: text(row.remote_host),
          started_at: text(row.started_at),
          pid: int(row.pid),
        } as ActivityItem;
      }
      return {
        kind: row.kind as ActivityKind,
        ...base,
        name: String(row.name),
        version: text(row.version),
        number: int(row.number),
      };
    })();
    for (const key of Object.keys(item) as (keyof ActivityItem)[]) {
      if (item[key] === undefined) delete item[key];
    }
    return { order: first, tie: Number(row.id), item };
  }
}
