import { compareText } from "@compliance/contract";
import { type Kysely, sql } from "kysely";
import { StoreError } from "./errors.ts";
import type { InventoryKind } from "./inventory-kinds.ts";
import { isGlob, matchesGlob } from "./like.ts";
import { OPEN, posOfTime } from "./positions.ts";
import type { Database } from "./schema.ts";

/** What an inventory search looks for: a name (exact or a glob) and/or a number. */
export interface InventoryMatch {
  name?: string | undefined;
  number?: number | undefined;
}

/** One host's matching items, in the execution searched. */
export interface InventoryHit {
  hostId: number;
  hostname: string;
  reportId: string;
  collectedAt: string;
  /** The items as sent, in canonical order. */
  items: object[];
}

/** Rows one search reads at most; a broader one is refused rather than answered partly. */
export const SEARCH_ROW_LIMIT = 200_000;

/**
 * Fleet-wide searches of the inventory: which hosts hold an item (a package by name, a
 * socket by port), now or at a past time. Every matching host is returned; the caller
 * filters further (versions are compared in the application) and pages.
 */
export class InventorySearchRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async hits(
    kind: InventoryKind,
    match: InventoryMatch,
    at: number | null,
  ): Promise<InventoryHit[]> {
    let q = this.db
      .selectFrom("inventory_spans as s")
      .innerJoin("hosts as h", "h.id", "s.host_id")
      .where("s.kind", "=", kind.kind);
    if (match.name !== undefined) {
      const term = match.name;
      q = q.where(isGlob(term) ? matchesGlob("s.name", term) : sql<boolean>`s.name = ${term}`);
    }
    if (match.number !== undefined) q = q.where("s.number", "=", match.number);
    const rows =
      at === null
        ? // Now: the lifetimes still open are exactly what each host's latest execution holds.
          await q
            .innerJoin("executions as e", "e.id", "h.latest_execution_id")
            .where("s.last_pos", "=", OPEN)
            .select(["s.host_id", "h.hostname", "e.report_id", "e.collected_at", "s.body"])
            .limit(SEARCH_ROW_LIMIT + 1)
            .execute()
        : await q
            .innerJoin(
              this.db
                .selectFrom("executions")
                .select(["host_id", sql<number>`max(pos)`.as("pos")])
                .where("pos", "<", posOfTime(at + 1))
                .groupBy("host_id")
                .as("eff"),
              "eff.host_id",
              "s.host_id",
            )
            .innerJoin("executions as e", (j) =>
              j.onRef("e.host_id", "=", "eff.host_id").onRef("e.pos", "=", "eff.pos"),
            )
            .whereRef("s.first_pos", "<=", "eff.pos")
            .whereRef("s.last_pos", ">=", "eff.pos")
            .select(["s.host_id", "h.hostname", "e.report_id", "e.collected_at", "s.body"])
            .limit(SEARCH_ROW_LIMIT + 1)
            .execute();
    if (rows.length > SEARCH_ROW_LIMIT) {
      throw new StoreError(
        "search_too_broad",
        `the search matches more than ${SEARCH_ROW_LIMIT} items; narrow it`,
      );
    }
    const byHost = new Map<number, InventoryHit & { bodies: string[] }>();
    for (const r of rows) {
      let hit = byHost.get(r.host_id);
      if (!hit) {
        hit = {
          hostId: r.host_id,
          hostname: r.hostname,
          reportId: r.report_id,
          collectedAt: r.collected_at,
          items: [],
          bodies: [],
        };
        byHost.set(r.host_id, hit);
      }
      hit.bodies.push(r.body);
    }
    return [...byHost.values()]
      .map(({ bodies, ...hit }) => ({
        ...hit,
        items: bodies.sort(compareText).map((b) => JSON.parse(b) as object),
      }))
      .sort((a, b) => compareText(a.hostname, b.hostname) || a.hostId - b.hostId);
  }
}
