import type { Kysely } from "kysely";
import type { Dialect } from "./dialect.ts";
import { posOfTime } from "./positions.ts";
import type { PruneResult } from "./records.ts";
import type { Database } from "./schema.ts";

/**
 * Deletes executions collected before `beforeMs`, host by host, one transaction each. The
 * latest execution of every host is always kept, so a host that stopped reporting keeps
 * its last known state. Spans that only covered deleted executions go too; every kept
 * execution rebuilds exactly as before (spans never change membership of kept ones).
 */
export async function pruneExecutions(
  db: Kysely<Database>,
  dialect: Dialect,
  beforeMs: number,
): Promise<PruneResult> {
  const cutoff = posOfTime(beforeMs);
  const result: PruneResult = {
    hosts: 0,
    executions: 0,
    processSpans: 0,
    sessionSpans: 0,
    inventorySpans: 0,
    facts: 0,
    legacyRequests: 0,
  };
  const hosts = await db
    .selectFrom("executions")
    .select("host_id")
    .distinct()
    .where("pos", "<", cutoff)
    .execute();
  for (const { host_id: hostId } of hosts) {
    await dialect.transaction(async (trx) => {
      await dialect.lockRow(trx, "hosts", hostId);
      const host = await trx
        .selectFrom("hosts")
        .select(["latest_execution_id", "facts_id"])
        .where("id", "=", hostId)
        .executeTakeFirst();
      if (!host) return;
      let del = trx
        .deleteFrom("executions")
        .where("host_id", "=", hostId)
        .where("pos", "<", cutoff);
      if (host.latest_execution_id !== null) del = del.where("id", "!=", host.latest_execution_id);
      const deleted = Number((await del.executeTakeFirst()).numDeletedRows);
      if (deleted === 0) return;
      result.hosts++;
      result.executions += deleted;
      // The bodies an older system's agent sent go with the executions made of them.
      const bodies = await trx
        .deleteFrom("legacy_requests")
        .where("host_id", "=", hostId)
        .where(
          "report_id",
          "not in",
          trx.selectFrom("executions").select("report_id").where("host_id", "=", hostId),
        )
        .executeTakeFirst();
      result.legacyRequests += Number(bodies.numDeletedRows);

      const first = await trx
        .selectFrom("executions")
        .select(["id", "pos"])
        .where("host_id", "=", hostId)
        .orderBy("pos", "asc")
        .limit(1)
        .executeTakeFirst();
      const minPos = first?.pos ?? Number.MAX_SAFE_INTEGER;
      const counters = {
        process_spans: "processSpans",
        session_spans: "sessionSpans",
        inventory_spans: "inventorySpans",
      } as const;
      for (const [table, counter] of Object.entries(counters) as [
        keyof typeof counters,
        (typeof counters)[keyof typeof counters],
      ][]) {
        const r = await trx
          .deleteFrom(table)
          .where("host_id", "=", hostId)
          .where("last_pos", "<", minPos)
          .executeTakeFirst();
        result[counter] += Number(r.numDeletedRows);
      }
      // Policy results of deleted executions only go too.
      await trx
        .deleteFrom("policy_runs")
        .where("host_id", "=", hostId)
        .where("last_pos", "<", minPos)
        .execute();
      // A lifetime (or a run of results) that began in a deleted execution now begins at the
      // oldest kept one, so every span starts at an execution that exists (late reports are
      // placed among them).
      for (const table of [...Object.keys(counters), "policy_runs"] as (
        | keyof typeof counters
        | "policy_runs"
      )[]) {
        await trx
          .updateTable(table)
          .set({ first_pos: minPos })
          .where("host_id", "=", hostId)
          .where("first_pos", "<", minPos)
          .where("last_pos", ">=", minPos)
          .execute();
      }
      if (first) {
        // The oldest kept execution has no predecessor any more.
        await trx
          .updateTable("executions")
          .set({
            processes_started: null,
            processes_ended: null,
            sessions_opened: null,
            sessions_closed: null,
            facts_changed: null,
            inventory_changed: null,
          })
          .where("id", "=", first.id)
          .execute();
      }
      const used = trx.selectFrom("executions").select("facts_id").where("host_id", "=", hostId);
      let factsDel = trx
        .deleteFrom("host_facts")
        .where("host_id", "=", hostId)
        .where("id", "not in", used);
      if (host.facts_id !== null) factsDel = factsDel.where("id", "!=", host.facts_id);
      result.facts += Number((await factsDel.executeTakeFirst()).numDeletedRows);
      const count = await trx
        .selectFrom("executions")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("host_id", "=", hostId)
        .executeTakeFirstOrThrow();
      await trx
        .updateTable("hosts")
        .set({ first_pos: first?.pos ?? null, executions: Number(count.n) })
        .where("id", "=", hostId)
        .execute();
    });
  }
  return result;
}
