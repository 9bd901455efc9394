import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

/** Hosts in all, those that reported since `since`, and those that never reported. */
export interface HostCounts {
  total: number;
  online: number;
  neverReported: number;
}

/** One aggregate over the hosts table (no history is read): cheap enough for every scrape. */
export async function countHosts(db: Kysely<Database>, since: number): Promise<HostCounts> {
  const row = await db
    .selectFrom("hosts")
    .select((eb) => [
      eb.fn.countAll<number>().as("total"),
      eb.fn
        .sum<number>(eb.case().when("last_received_at", ">=", since).then(1).else(0).end())
        .as("online"),
      eb.fn
        .sum<number>(eb.case().when("latest_execution_id", "is", null).then(1).else(0).end())
        .as("never"),
    ])
    .executeTakeFirstOrThrow();
  return {
    total: Number(row.total),
    online: Number(row.online ?? 0),
    neverReported: Number(row.never ?? 0),
  };
}
