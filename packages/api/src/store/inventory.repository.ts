import {
  INVENTORY_COLUMNS,
  type InventoryRow,
  type InventoryTable,
  type PageOf,
} from "@compliance/contract";
import { type Kysely, type SelectQueryBuilder, sql } from "kysely";
import { posOfTime } from "./positions.ts";
import type { Page } from "./records.ts";
import type { Database } from "./schema.ts";

/**
 * The inventory tables the older systems reported on (seed 004's five reports), computed
 * from the history: users per server and execution; OS and processor per server;
 * processes per execution; process count and user count per server and execution.
 */

export interface InventoryFilter {
  hostId?: number | undefined;
  reportId?: string | undefined;
  /** collected_at bounds in ms, inclusive. */
  from?: number | undefined;
  to?: number | undefined;
}

export type Row = InventoryRow;

/** Joins the spans (alias `a`) that contain execution `e`: its processes or sessions. */
// biome-ignore lint/suspicious/noExplicitAny: a join builder over either span table.
const containedIn = (j: any, a: "s" | "p" | "i") =>
  j
    .onRef(`${a}.host_id`, "=", "e.host_id")
    .onRef(`${a}.first_pos`, "<=", "e.pos")
    .onRef(`${a}.last_pos`, ">=", "e.pos");

/** The columns every per-execution table starts with. */
const EXECUTION_COLUMNS = [
  "e.host_id",
  "h.hostname",
  "h.primary_ip as ip",
  "e.report_id",
  "e.collected_at",
] as const;

export class InventoryRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async table(table: InventoryTable, filter: InventoryFilter, page: Page): Promise<PageOf<Row>> {
    switch (table) {
      case "platforms":
        return this.platforms(filter, page);
      case "process-counts":
        return this.paged(
          this.executions(filter).select([...EXECUTION_COLUMNS, "e.process_count"]),
          page,
          ["e.pos desc", "e.id desc"],
        );
      case "user-counts":
        return this.paged(
          this.executions(filter)
            .leftJoin("session_spans as s", (j) => containedIn(j, "s"))
            .select([
              ...EXECUTION_COLUMNS,
              "e.session_count",
              sql<number>`count(distinct s.user_name)`.as("user_count"),
            ])
            .groupBy([
              "e.id",
              "e.host_id",
              "h.hostname",
              "h.primary_ip",
              "e.report_id",
              "e.collected_at",
              "e.session_count",
              "e.pos",
            ]),
          page,
          ["e.pos desc", "e.id desc"],
        );
      case "users":
        return this.paged(
          this.executions(filter)
            .innerJoin("session_spans as s", (j) => containedIn(j, "s"))
            .select([...EXECUTION_COLUMNS, "s.user_name as user", "e.pos", "e.id"])
            .distinct(),
          page,
          ["pos desc", "id desc", "user asc"],
          ["pos", "id"],
        );
      case "packages":
      case "listening":
        return this.itemsPerExecution(table, filter, page);
      case "processes":
        return this.paged(
          this.executions(filter)
            .innerJoin("process_spans as p", (j) => containedIn(j, "p"))
            .select([...EXECUTION_COLUMNS, "p.pid", "p.ppid", "p.name", "p.user_name as user"]),
          page,
          ["e.pos desc", "e.id desc", "p.pid asc"],
        );
    }
  }

  /**
   * Installed packages or listening sockets per execution: the lifetimes of that kind that
   * contain each execution, one row per item, its columns read from the item as sent.
   */
  private async itemsPerExecution(
    table: "packages" | "listening",
    filter: InventoryFilter,
    page: Page,
  ): Promise<PageOf<Row>> {
    const kind = table === "packages" ? "package" : "listening";
    const result = await this.paged(
      this.executions(filter)
        .innerJoin("inventory_spans as i", (j) => containedIn(j, "i").on("i.kind", "=", kind))
        .select([...EXECUTION_COLUMNS, "i.body", "i.name", "i.number", "e.pos", "e.id"]),
      page,
      ["pos desc", "id desc", "name asc", "number asc", "body asc"],
      ["pos", "id", "name", "number"],
    );
    const columns = INVENTORY_COLUMNS[table];
    for (const row of result.items) {
      const item = JSON.parse(row.body as string) as Record<string, string | number>;
      delete row.body;
      for (const c of columns) if (!(c in row)) row[c] = item[c] ?? null;
    }
    return result;
  }

  private executions(filter: InventoryFilter) {
    let q = this.db.selectFrom("executions as e").innerJoin("hosts as h", "h.id", "e.host_id");
    if (filter.hostId !== undefined) q = q.where("e.host_id", "=", filter.hostId);
    if (filter.reportId !== undefined) q = q.where("e.report_id", "=", filter.reportId);
    if (filter.from !== undefined) q = q.where("e.pos", ">=", posOfTime(filter.from));
    if (filter.to !== undefined) q = q.where("e.pos", "<", posOfTime(filter.to + 1));
    return q;
  }

  private async platforms(filter: InventoryFilter, page: Page): Promise<PageOf<Row>> {
    let q = this.db.selectFrom("hosts").where("latest_execution_id", "is not", null);
    if (filter.hostId !== undefined) q = q.where("id", "=", filter.hostId);
    const total = await q
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    const rows = await q
      .select([
        "id as host_id",
        "hostname",
        "primary_ip as ip",
        "os_name",
        "os_version",
        "kernel",
        "arch",
        "cpu_model",
        "cpu_vendor",
        "cpu_cores",
      ])
      .orderBy("hostname")
      .orderBy("id")
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return { items: rows, total: Number(total.n), limit: page.limit, offset: page.offset };
  }

  /** Counts the rows of a query, then reads one page of it in a stable order. */
  private async paged(
    // biome-ignore lint/suspicious/noExplicitAny: the queries above differ in their joins; the rows are plain.
    query: SelectQueryBuilder<any, any, any>,
    page: Page,
    order: string[],
    hidden: string[] = [],
  ): Promise<PageOf<Row>> {
    const total = await this.db
      .selectFrom(query.as("q"))
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    let q = query;
    if (hidden.length > 0) q = this.db.selectFrom(query.as("q")).selectAll() as never;
    for (const o of order) {
      const [column, direction] = o.split(" ");
      q = q.orderBy(sql.ref(column!), direction === "desc" ? "desc" : "asc");
    }
    const rows = (await q.limit(page.limit).offset(page.offset).execute()) as Row[];
    for (const r of rows) for (const h of hidden) delete r[h];
    return { items: rows, total: Number(total.n), limit: page.limit, offset: page.offset };
  }
}
