import { type Kysely, type SelectQueryBuilder, sql } from "kysely";
import { posOfTime } from "./positions.ts";
import type { Database } from "./schema.ts";

/**
 * Per host, the position of its execution in effect at `at` (its latest when `at` is
 * null): the subquery that fleet-wide reads at a time (searches, policy statuses) join.
 */
export function effectiveExecutions(
  db: Kysely<Database>,
  at: number | null,
): SelectQueryBuilder<Database, "executions", { host_id: number; pos: number }> {
  if (at === null) {
    return db
      .selectFrom("hosts")
      .select(["id as host_id", sql<number>`latest_pos`.as("pos")])
      .where("latest_pos", "is not", null) as unknown as SelectQueryBuilder<
      Database,
      "executions",
      { host_id: number; pos: number }
    >;
  }
  return db
    .selectFrom("executions")
    .select(["host_id", sql<number>`max(pos)`.as("pos")])
    .where("pos", "<", posOfTime(at + 1))
    .groupBy("host_id");
}
