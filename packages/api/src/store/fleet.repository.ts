import type { FleetSummary } from "@compliance/contract";
import type { Kysely, Selectable } from "kysely";
import type { HostsRepository } from "./hosts.repository.ts";
import type { Database, HostsTable } from "./schema.ts";

/** Questions about the whole fleet at once. */
export class FleetRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly hosts: HostsRepository,
    private readonly onlineWindowMs: number,
    private readonly now: () => number,
  ) {}

  async summary(): Promise<FleetSummary> {
    const since = this.now() - this.onlineWindowMs;
    const totals = await this.db
      .selectFrom("hosts")
      .select((eb) => [
        eb.fn.countAll<number>().as("total"),
        eb.fn
          .sum<number>(eb.case().when("last_received_at", ">=", since).then(1).else(0).end())
          .as("online"),
        eb.fn
          .sum<number>(eb.case().when("latest_execution_id", "is", null).then(1).else(0).end())
          .as("never"),
        eb.fn.sum<number>("process_count").as("processes"),
        eb.fn.sum<number>("session_count").as("sessions"),
        eb.fn.sum<number>("executions").as("executions"),
      ])
      .executeTakeFirstOrThrow();
    const os = await this.db
      .selectFrom("hosts")
      .select(["os_name", "os_version", (eb) => eb.fn.countAll<number>().as("n")])
      .where("latest_execution_id", "is not", null)
      .groupBy(["os_name", "os_version"])
      .orderBy("n", "desc")
      .limit(50)
      .execute();
    const cpu = await this.db
      .selectFrom("hosts")
      .select(["cpu_model", (eb) => eb.fn.countAll<number>().as("n")])
      .where("latest_execution_id", "is not", null)
      .groupBy("cpu_model")
      .orderBy("n", "desc")
      .limit(50)
      .execute();
    const recent = (await this.db
      .selectFrom("hosts")
      .selectAll()
      .where("changed_pos", "is not", null)
      .orderBy("changed_pos", "desc")
      .limit(10)
      .execute()) as Selectable<HostsTable>[];
    const total = Number(totals.total);
    const online = Number(totals.online ?? 0);
    const never = Number(totals.never ?? 0);
    return {
      hosts: { total, online, offline: total - online - never, never_reported: never },
      os: os.map((r) => ({ name: r.os_name, version: r.os_version, hosts: Number(r.n) })),
      cpu: cpu.map((r) => ({ model: r.cpu_model, hosts: Number(r.n) })),
      processes: Number(totals.processes ?? 0),
      sessions: Number(totals.sessions ?? 0),
      executions: Number(totals.executions ?? 0),
      recently_changed: await this.hosts.toHosts(recent),
    };
  }
}
