import type {
  CpuPoint,
  FleetSummary,
  PageOf,
  ProcessSearchHit,
  SessionSearchHit,
} from "@compliance/contract";
import { type Kysely, type Selectable, sql } from "kysely";
import { effectiveExecutions } from "./effective-executions.ts";
import type { HostsRepository } from "./hosts.repository.ts";
import { isGlob, matchesGlob } from "./like.ts";
import { isoOfPos, OPEN, posOfTime } from "./positions.ts";
import type { Page } from "./records.ts";
import type { Database, HostsTable } from "./schema.ts";
import { sessionOfRow } from "./span-kinds.ts";

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
        eb.fn
          .sum<number>(
            eb
              .case()
              .when(
                eb.and([eb("latest_execution_id", "is not", null), eb("sessions_known", "=", 0)]),
              )
              .then(1)
              .else(0)
              .end(),
          )
          .as("sessions_unknown"),
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
      sessions_unknown: Number(totals.sessions_unknown ?? 0),
      executions: Number(totals.executions ?? 0),
      recently_changed: await this.hosts.toHosts(recent),
    };
  }

  /**
   * Hosts running a process whose name matches `pattern` (a glob, case-insensitive): now
   * (their latest execution) or at time `at` (the execution of each host in effect then).
   * Paged by host; each host lists its matching processes.
   */
  async hostsRunning(
    term: string,
    at: number | null,
    page: Page,
  ): Promise<PageOf<ProcessSearchHit>> {
    // An exact name uses the index on names; a glob scans, ignoring case.
    const byName = (column: string) =>
      isGlob(term) ? matchesGlob(column, term) : sql<boolean>`${sql.ref(column)} = ${term}`;
    let total: number;
    let hosts: { host_id: number; hostname: string; pos: number }[];
    if (at === null) {
      // Now: the hosts' current names answer without touching the spans.
      const matching = this.db
        .selectFrom("current_names as n")
        .innerJoin("hosts as h", "h.id", "n.host_id")
        .where("n.kind", "=", "p")
        .where(byName("n.name"))
        .where("h.latest_pos", "is not", null);
      total = Number(
        (
          await matching
            .select((eb) => eb.fn.count<number>("n.host_id").distinct().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
      hosts = await matching
        .select(["n.host_id", "h.hostname", sql<number>`h.latest_pos`.as("pos")])
        .distinct()
        .orderBy("h.hostname")
        .orderBy("n.host_id")
        .limit(page.limit)
        .offset(page.offset)
        .execute();
    } else {
      const matching = this.db
        .selectFrom("process_spans as s")
        .innerJoin(this.effectiveExecutions(at).as("eff"), "eff.host_id", "s.host_id")
        .where(byName("s.name"))
        .whereRef("s.first_pos", "<=", "eff.pos")
        .whereRef("s.last_pos", ">=", "eff.pos");
      total = Number(
        (
          await matching
            .select((eb) => eb.fn.count<number>("s.host_id").distinct().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
      hosts = await matching
        .innerJoin("hosts as h", "h.id", "s.host_id")
        .select(["s.host_id", "h.hostname", sql<number>`eff.pos`.as("pos")])
        .distinct()
        .orderBy("h.hostname")
        .orderBy("s.host_id")
        .limit(page.limit)
        .offset(page.offset)
        .execute();
    }
    if (hosts.length === 0) return { items: [], total, limit: page.limit, offset: page.offset };
    // The page's executions and matching processes, in two queries for the whole page.
    const ids = hosts.map((h) => h.host_id);
    const positions = hosts.map((h) => h.pos);
    const [executions, spans] = await Promise.all([
      this.db
        .selectFrom("executions")
        .select(["host_id", "pos", "report_id", "collected_at"])
        .where("host_id", "in", ids)
        .where("pos", "in", positions)
        .execute(),
      this.db
        .selectFrom("process_spans")
        .selectAll()
        .where("host_id", "in", ids)
        .where("last_pos", ">=", Math.min(...positions))
        .where("first_pos", "<=", Math.max(...positions))
        .where(byName("name"))
        .orderBy("pid")
        .execute(),
    ]);
    const items = hosts.map((h): ProcessSearchHit => {
      const execution = executions.find((e) => e.host_id === h.host_id && e.pos === h.pos)!;
      return {
        host_id: h.host_id,
        hostname: h.hostname,
        report_id: execution.report_id,
        collected_at: execution.collected_at,
        processes: spans
          .filter((s) => s.host_id === h.host_id && s.first_pos <= h.pos && s.last_pos >= h.pos)
          .map((s) => ({
            pid: s.pid,
            ppid: s.ppid,
            name: s.name,
            user: s.user_name,
            ...(s.started_at !== null ? { started_at: s.started_at } : {}),
            ...(s.cmdline !== null ? { cmdline: s.cmdline } : {}),
          })),
      };
    });
    return { items, total, limit: page.limit, offset: page.offset };
  }

  /** Per host, the position of its execution in effect at `at` (or its latest). */
  private effectiveExecutions(at: number | null) {
    return effectiveExecutions(this.db, at);
  }

  /**
   * Sessions of users matching `pattern` (a glob): open now (`open` true), or that were
   * open at any execution collected between from and to. One row per session lifetime.
   */
  async sessionsOf(
    pattern: string,
    range: { from?: number; to?: number; openOnly: boolean },
    page: Page,
  ): Promise<PageOf<SessionSearchHit>> {
    let q = this.db
      .selectFrom("session_spans as s")
      .innerJoin("hosts as h", "h.id", "s.host_id")
      .where(
        isGlob(pattern)
          ? matchesGlob("s.user_name", pattern)
          : sql<boolean>`s.user_name = ${pattern}`,
      );
    if (range.openOnly) q = q.where("s.last_pos", "=", OPEN);
    if (range.from !== undefined) q = q.where("s.last_pos", ">=", posOfTime(range.from));
    if (range.to !== undefined) q = q.where("s.first_pos", "<", posOfTime(range.to + 1));
    const total = await q
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    const rows = await q
      .selectAll("s")
      .select("h.hostname")
      .orderBy("s.first_pos", "desc")
      .orderBy("s.id")
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return {
      items: rows.map((r) => ({
        host_id: r.host_id,
        hostname: r.hostname,
        ...sessionOfRow(r),
        first_seen_at: isoOfPos(r.first_pos),
        last_seen_at: r.last_pos === OPEN ? null : isoOfPos(r.last_pos),
        open: r.last_pos === OPEN,
      })),
      total: Number(total.n),
      limit: page.limit,
      offset: page.offset,
    };
  }

  /** CPU use per execution over the fleet (or one host), newest first: what seed 003 called /cpus. */
  async cpuSeries(
    filter: { hostId?: number; from?: number; to?: number },
    page: Page,
  ): Promise<PageOf<CpuPoint>> {
    let q = this.db.selectFrom("executions as e").innerJoin("hosts as h", "h.id", "e.host_id");
    if (filter.hostId !== undefined) q = q.where("e.host_id", "=", filter.hostId);
    if (filter.from !== undefined) q = q.where("e.pos", ">=", posOfTime(filter.from));
    if (filter.to !== undefined) q = q.where("e.pos", "<", posOfTime(filter.to + 1));
    const total = await q
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    const desc = page.sort !== "collected_at";
    const rows = await q
      .select(["e.host_id", "h.hostname", "e.report_id", "e.collected_at", "e.cpu_usage"])
      .orderBy("e.pos", desc ? "desc" : "asc")
      .orderBy("e.id", desc ? "desc" : "asc")
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return {
      items: rows.map((r) => ({
        host_id: r.host_id,
        hostname: r.hostname,
        report_id: r.report_id,
        collected_at: r.collected_at,
        cpu_usage_percent: r.cpu_usage,
      })),
      total: Number(total.n),
      limit: page.limit,
      offset: page.offset,
    };
  }
}
