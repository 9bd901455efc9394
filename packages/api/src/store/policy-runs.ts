import type { Transaction } from "kysely";
import type { Db, Dialect } from "./dialect.ts";
import type { Placement } from "./ingest-plan.ts";
import { planRun, type Run, type RunWrites } from "./run-plan.ts";
import type { Database } from "./schema.ts";

/** A policy's status on the report being stored, by the evaluator the caller passes. */
export interface PolicyVerdict {
  policyId: string;
  version: number;
  status: string;
}

/** The new execution, for the runs and events written with it. */
interface Stored {
  hostId: number;
  executionId: number;
  reportId: string;
  collectedAt: string;
  receivedAt: number;
}

/**
 * Stores the policies' statuses of a new execution as runs, in its transaction. Only a
 * status that differs from its neighbours' writes anything. A change of status on the
 * host's newest execution is also an event (webhooks, the change feed).
 */
export async function storeVerdicts(
  trx: Transaction<Database>,
  dialect: Dialect,
  placement: Placement,
  stored: Stored,
  verdicts: readonly PolicyVerdict[],
  options: { events: boolean } = { events: true },
): Promise<void> {
  if (verdicts.length === 0) return;
  const runs = await runsAround(trx, stored.hostId, placement);
  const events: object[] = [];
  for (const v of verdicts) {
    const writes = planRun({
      status: v.status,
      pos: placement.pos,
      prevPos: placement.prev?.pos ?? null,
      nextPos: placement.next?.pos ?? null,
      runs: runs.get(`${v.policyId}\u0000${v.version}`) ?? [],
    });
    await applyRunWrites(trx, dialect, stored.hostId, v, writes);
    if (options.events && placement.next === null && writes.changedFrom !== undefined) {
      events.push({
        policy_id: v.policyId,
        version: v.version,
        host_id: stored.hostId,
        execution_id: stored.executionId,
        report_id: stored.reportId,
        collected_at: stored.collectedAt,
        before: writes.changedFrom,
        after: v.status,
        at: stored.receivedAt,
      });
    }
  }
  await dialect.insertMany(trx, "policy_events", events);
}

/** The host's runs that can be affected: last >= P and first <= X, by policy and version. */
async function runsAround(
  trx: Db,
  hostId: number,
  placement: Placement,
): Promise<Map<string, Run[]>> {
  let q = trx
    .selectFrom("policy_runs")
    .select(["id", "policy_id", "version", "status", "first_pos", "last_pos"])
    .where("host_id", "=", hostId);
  if (placement.prev) q = q.where("last_pos", ">=", placement.prev.pos);
  if (placement.next) q = q.where("first_pos", "<=", placement.next.pos);
  const byPolicy = new Map<string, Run[]>();
  for (const r of await q.execute()) {
    const key = `${r.policy_id}\u0000${r.version}`;
    const list = byPolicy.get(key) ?? [];
    list.push({ id: r.id, status: r.status, first: r.first_pos, last: r.last_pos });
    byPolicy.set(key, list);
  }
  return byPolicy;
}

export async function applyRunWrites(
  trx: Db,
  dialect: Dialect,
  hostId: number,
  verdict: Omit<PolicyVerdict, "status">,
  writes: RunWrites,
): Promise<void> {
  for (const { id, last } of writes.setLast) {
    await trx.updateTable("policy_runs").set({ last_pos: last }).where("id", "=", id).execute();
  }
  for (const { id, first } of writes.setFirst) {
    await trx.updateTable("policy_runs").set({ first_pos: first }).where("id", "=", id).execute();
  }
  if (writes.remove.length > 0) {
    await trx.deleteFrom("policy_runs").where("id", "in", writes.remove).execute();
  }
  await dialect.insertMany(
    trx,
    "policy_runs",
    writes.insert.map((r) => ({
      policy_id: verdict.policyId,
      version: verdict.version,
      host_id: hostId,
      status: r.status,
      first_pos: r.first,
      last_pos: r.last,
    })),
  );
}
