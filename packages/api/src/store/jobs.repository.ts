import type { Kysely, Selectable } from "kysely";
import type { Dialect } from "./dialect.ts";
import type { Database, JobsTable } from "./schema.ts";

export type JobRecord = Selectable<JobsTable>;

/**
 * Background jobs, shared by every API process: a queued job is claimed by one of them
 * (a conditional update decides), its progress and heartbeat are stored as it goes, and a
 * job whose process stopped beating is claimed again.
 */
export class JobsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async create(kind: string, subject: string, now: number): Promise<number> {
    return this.dialect.insertReturningId(this.db, "jobs", {
      kind,
      subject,
      status: "queued",
      total: 0,
      done: 0,
      error: null,
      created_at: now,
      started_at: null,
      finished_at: null,
      heartbeat_at: null,
    });
  }

  async get(id: number): Promise<JobRecord | null> {
    return (
      (await this.db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst()) ?? null
    );
  }

  async list(limit: number): Promise<JobRecord[]> {
    return this.db.selectFrom("jobs").selectAll().orderBy("id", "desc").limit(limit).execute();
  }

  /**
   * Claims the oldest job that is queued, or running without a heartbeat since
   * `staleBefore`; null when there is none. Exactly one process wins a job.
   */
  async claim(now: number, staleBefore: number): Promise<JobRecord | null> {
    const candidates = await this.db
      .selectFrom("jobs")
      .selectAll()
      .where((eb) =>
        eb.or([
          eb("status", "=", "queued"),
          eb.and([eb("status", "=", "running"), eb("heartbeat_at", "<", staleBefore)]),
        ]),
      )
      .orderBy("id")
      .limit(5)
      .execute();
    for (const job of candidates) {
      const r = await this.db
        .updateTable("jobs")
        .set({ status: "running", started_at: job.started_at ?? now, heartbeat_at: now })
        .where("id", "=", job.id)
        .where("status", "=", job.status)
        .where((eb) =>
          job.heartbeat_at === null
            ? eb("heartbeat_at", "is", null)
            : eb("heartbeat_at", "=", job.heartbeat_at),
        )
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) return { ...job, status: "running", heartbeat_at: now };
    }
    return null;
  }

  async progress(id: number, done: number, total: number, now: number): Promise<void> {
    await this.db
      .updateTable("jobs")
      .set({ done, total, heartbeat_at: now })
      .where("id", "=", id)
      .execute();
  }

  async finish(id: number, now: number, error: string | null): Promise<void> {
    await this.db
      .updateTable("jobs")
      .set({ status: error ? "failed" : "done", error, finished_at: now, heartbeat_at: now })
      .where("id", "=", id)
      .execute();
  }
}
