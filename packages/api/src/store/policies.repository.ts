import type { Policy, PolicyStatus } from "@compliance/contract";
import { type Kysely, sql } from "kysely";
import type { Dialect } from "./dialect.ts";
import { effectiveExecutions } from "./effective-executions.ts";
import { applyRunWrites } from "./policy-runs.ts";
import { OPEN } from "./positions.ts";
import { runsOf } from "./run-plan.ts";
import type { Database } from "./schema.ts";

/** A stored policy: its current document and version. */
export interface PolicyRecord {
  id: string;
  document: Policy;
  version: number;
  hash: string;
  enabled: boolean;
  origin: string;
  createdAt: number;
  updatedAt: number;
}

/** A host's status of a policy at one execution, and since which execution it holds. */
export interface StatusRow {
  policyId: string;
  version: number;
  hostId: number;
  status: PolicyStatus;
  /** Position of the first execution of the run. */
  since: number;
  /** Position of the execution the status is about. */
  pos: number;
}

/** Policies, their versions and their results (runs). */
export class PoliciesRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly reader: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async list(): Promise<PolicyRecord[]> {
    const rows = await this.current(this.reader).orderBy("p.id").execute();
    return rows.map(recordOf);
  }

  async get(id: string): Promise<PolicyRecord | null> {
    const row = await this.current(this.reader).where("p.id", "=", id).executeTakeFirst();
    return row ? recordOf(row) : null;
  }

  private current(db: Kysely<Database>) {
    return db
      .selectFrom("policies as p")
      .innerJoin("policy_versions as v", (j) =>
        j.onRef("v.policy_id", "=", "p.id").onRef("v.version", "=", "p.version"),
      )
      .select([
        "p.id",
        "p.enabled",
        "p.version",
        "p.origin",
        "p.created_at",
        "p.updated_at",
        "v.hash",
        "v.document",
      ]);
  }

  /**
   * Stores a policy document. A new document (by hash) is a new version; the same one only
   * updates `enabled` and the origin. Returns what holds now and whether the version changed.
   */
  async put(
    document: Policy,
    hash: string,
    origin: string,
    now: number,
  ): Promise<{ record: PolicyRecord; newVersion: boolean; enabledChanged: boolean }> {
    // Two API processes storing the same new policy at once (both load the starter pack at
    // start): one write wins, the other is refused (a duplicate key, or a deadlock on
    // MariaDB's gap locks) and tries again, now seeing it.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.putOnce(document, hash, origin, now);
      } catch (e) {
        if (attempt >= 5 || !this.dialect.isWriteConflict(e)) throw e;
        await new Promise((r) => setTimeout(r, 20 * attempt * (1 + Math.random())));
      }
    }
  }

  private putOnce(
    document: Policy,
    hash: string,
    origin: string,
    now: number,
  ): Promise<{ record: PolicyRecord; newVersion: boolean; enabledChanged: boolean }> {
    return this.dialect.transaction(async (trx) => {
      const existing = await this.dialect
        .forUpdate(
          trx
            .selectFrom("policies as p")
            .innerJoin("policy_versions as v", (j) =>
              j.onRef("v.policy_id", "=", "p.id").onRef("v.version", "=", "p.version"),
            )
            .select(["p.version", "p.enabled", "p.created_at", "v.hash"])
            .where("p.id", "=", document.id),
        )
        .executeTakeFirst();
      const enabled = document.enabled === false ? 0 : 1;
      const newVersion = existing?.hash !== hash;
      const version = existing ? existing.version + (newVersion ? 1 : 0) : 1;
      if (newVersion) {
        await trx
          .insertInto("policy_versions")
          .values({
            policy_id: document.id,
            version,
            hash,
            document: JSON.stringify(document),
            created_at: now,
          })
          .execute();
      }
      const columns = {
        name: document.name,
        severity: document.severity,
        enabled,
        version,
        origin,
        updated_at: now,
      };
      if (existing) {
        await trx.updateTable("policies").set(columns).where("id", "=", document.id).execute();
      } else {
        await trx
          .insertInto("policies")
          .values({ id: document.id, ...columns, created_at: now })
          .execute();
      }
      return {
        record: {
          id: document.id,
          document,
          version,
          hash,
          enabled: enabled === 1,
          origin,
          createdAt: existing?.created_at ?? now,
          updatedAt: now,
        },
        newVersion,
        enabledChanged: existing !== undefined && existing.enabled !== enabled,
      };
    });
  }

  /** Deletes a policy, its versions, results and events; false when there is none. */
  async delete(id: string): Promise<boolean> {
    return this.dialect.transaction(async (trx) => {
      for (const table of ["policy_runs", "policy_events", "policy_versions"] as const) {
        await trx.deleteFrom(table).where("policy_id", "=", id).execute();
      }
      const r = await trx.deleteFrom("policies").where("id", "=", id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  /**
   * Ends the open runs of a policy at each host's latest execution: a disabled policy says
   * nothing about executions stored after it was switched off.
   */
  async closeOpenRuns(policyId: string): Promise<void> {
    await sql`update policy_runs
      set last_pos = (select latest_pos from hosts where hosts.id = policy_runs.host_id)
      where policy_id = ${policyId} and last_pos = ${OPEN}`.execute(this.db);
  }

  /**
   * Replaces a host's runs of one policy version by those of its whole history, unless the
   * host's history moved on since it was read (its latest position or count of executions
   * differ): then nothing is written and the caller reads it again.
   */
  async replaceRuns(
    policyId: string,
    version: number,
    hostId: number,
    statuses: readonly { pos: number; status: string }[],
  ): Promise<boolean> {
    return this.dialect.write(async (trx) => {
      await this.dialect.lockRow(trx, "hosts", hostId);
      const host = await trx
        .selectFrom("hosts")
        .select(["latest_pos", "executions"])
        .where("id", "=", hostId)
        .executeTakeFirst();
      if (
        !host ||
        host.latest_pos !== (statuses.at(-1)?.pos ?? null) ||
        host.executions !== statuses.length
      ) {
        return false;
      }
      await trx
        .deleteFrom("policy_runs")
        .where("policy_id", "=", policyId)
        .where("version", "=", version)
        .where("host_id", "=", hostId)
        .execute();
      const insert = runsOf(statuses);
      await applyRunWrites(
        trx,
        this.dialect,
        hostId,
        { policyId, version },
        {
          setLast: [],
          setFirst: [],
          remove: [],
          insert,
          changedFrom: undefined,
        },
      );
      return true;
    }, hostId);
  }

  /**
   * Per host, the status of each policy version at the execution in effect at `at` (or the
   * latest), with the run's first execution. Filters narrow it; unevaluated hosts are absent.
   */
  async statuses(filter: {
    /** A time, now (null), or one execution of one host. */
    at: number | null | { hostId: number; pos: number };
    hostId?: number | undefined;
    policies?: readonly { id: string; version: number }[] | undefined;
    status?: PolicyStatus | undefined;
  }): Promise<StatusRow[]> {
    const at = filter.at;
    const effective =
      at !== null && typeof at === "object"
        ? this.reader
            .selectFrom("hosts")
            .select(["id as host_id", sql.lit(at.pos).as("pos")])
            .where("id", "=", at.hostId)
        : this.effective(at);
    let q = this.reader
      .selectFrom("policy_runs as r")
      .innerJoin(
        (effective as ReturnType<PoliciesRepository["effective"]>).as("eff"),
        "eff.host_id",
        "r.host_id",
      )
      .whereRef("r.first_pos", "<=", "eff.pos")
      .whereRef("r.last_pos", ">=", "eff.pos")
      .select(["r.policy_id", "r.version", "r.host_id", "r.status", "r.first_pos", "eff.pos"]);
    if (filter.hostId !== undefined) q = q.where("r.host_id", "=", filter.hostId);
    if (filter.status !== undefined) q = q.where("r.status", "=", filter.status);
    if (filter.policies) {
      const list = filter.policies;
      if (list.length === 0) return [];
      q = q.where((eb) =>
        eb.or(
          list.map((p) => eb.and([eb("r.policy_id", "=", p.id), eb("r.version", "=", p.version)])),
        ),
      );
    }
    const rows = await q.execute();
    return rows.map((r) => ({
      policyId: r.policy_id,
      version: r.version,
      hostId: r.host_id,
      status: r.status as PolicyStatus,
      since: r.first_pos,
      pos: r.pos,
    }));
  }

  /** Per host, the position of its execution in effect at `at` (or its latest). */
  effective(at: number | null) {
    return effectiveExecutions(this.reader, at);
  }
}

function recordOf(row: {
  id: string;
  enabled: number;
  version: number;
  origin: string;
  created_at: number;
  updated_at: number;
  hash: string;
  document: string;
}): PolicyRecord {
  return {
    id: row.id,
    document: JSON.parse(row.document) as Policy,
    version: row.version,
    hash: row.hash,
    enabled: row.enabled === 1,
    origin: row.origin,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
