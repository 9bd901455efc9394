import { createHash } from "node:crypto";
import type { Report, ReportProcess, ReportSession } from "@compliance/contract";
import { type Kysely, type Selectable, sql, type Transaction } from "kysely";
import { conflict } from "../errors.ts";
import type { Engine } from "./database.ts";
import { GroupCommit } from "./group-commit.ts";
import { compareProcesses, compareSessionKeys, processKey, sessionKey } from "./identity.ts";
import { decodeMetrics, encodeMetrics, orderOf } from "./metrics-codec.ts";
import type { Database, ExecutionsTable, ProcessSpansTable, SessionSpansTable } from "./schema.ts";
import { OPEN } from "./schema.ts";
import { type LoadedSpan, planSpans, type SpanPlan } from "./span-planner.ts";

/** What an execution stores besides its lists, as the agent sent it. */
export interface Facts {
  host: { hostname: string; primary_ip?: string; ip_addresses: string[] };
  os: Report["os"];
  cpu: { model: string; vendor: string; cores: number };
  memory: { total_bytes: number };
  agent: { version: string };
}

interface Extra {
  agent?: { rss_bytes?: number; cpu_seconds?: number; dropped_reports?: number };
  errors?: Report["errors"];
}

export interface StoredExecution {
  id: number;
  hostId: number;
  reportId: string;
  pos: number;
  collectedAt: string;
  receivedAt: number;
}

export type ExecutionRow = Selectable<ExecutionsTable>;
type ProcessSpanRow = Selectable<ProcessSpansTable>;
type SessionSpanRow = Selectable<SessionSpansTable>;

export interface IngestOptions {
  /**
   * Store only if the host's latest execution is still this one (null: the host has none
   * yet); otherwise throw LatestChangedError and write nothing. For writers that build a
   * report from the latest one (read, change, write) on several API processes at once.
   */
  expectLatestReportId?: string | null;
}

/** The host's latest execution changed since the caller read it: read again and retry. */
export class LatestChangedError extends Error {
  constructor() {
    super("the host's latest execution changed meanwhile");
    this.name = "LatestChangedError";
  }
}

export interface IngestOutcome {
  execution: StoredExecution;
  /** True when this report_id was already stored: nothing was written. */
  duplicate: boolean;
}

/** Positions: collected_at in milliseconds × 1000, plus a tie-breaker for equal times. */
export const POS_PER_MS = 1000;
export const posOfTime = (ms: number) => ms * POS_PER_MS;

type Db = Kysely<Database> | Transaction<Database>;

interface ProcessSpan extends LoadedSpan {
  baseCpu: number;
  baseRss: number;
  row: ProcessSpanRow;
}
interface SessionSpan extends LoadedSpan {
  row: SessionSpanRow;
}

const CHUNK = 500;

/** Span columns and their PostgreSQL types, for unnest inserts. */
const SPAN_COLUMNS: Record<"process_spans" | "session_spans", [string, string][]> = {
  process_spans: [
    ["host_id", "bigint"],
    ["first_pos", "bigint"],
    ["last_pos", "bigint"],
    ["pid", "integer"],
    ["ppid", "integer"],
    ["name", "text"],
    ["user_name", "text"],
    ["started_at", "text"],
    ["cmdline", "text"],
    ["base_cpu", "float8"],
    ["base_rss", "bigint"],
  ],
  session_spans: [
    ["host_id", "bigint"],
    ["first_pos", "bigint"],
    ["last_pos", "bigint"],
    ["user_name", "text"],
    ["terminal", "text"],
    ["remote_host", "text"],
    ["started_at", "text"],
    ["pid", "integer"],
  ],
};

/** What ingest needs from a plan: the change counts. */
type PlanSummary = Pick<SpanPlan<LoadedSpan>, "changes" | "nextChanges">;
const UNCHANGED: PlanSummary = { changes: { started: 0, ended: 0 }, nextChanges: null };

/** One hash of an execution's identities, in canonical order. */
function hashKeys(items: { key: string }[]): string {
  return createHash("sha256")
    .update(items.map((item) => item.key).join("\n"))
    .digest("hex");
}

export function factsOf(report: Report): Facts {
  const host: Facts["host"] = {
    hostname: report.host.hostname,
    ip_addresses: report.host.ip_addresses,
  };
  if (report.host.primary_ip !== undefined) host.primary_ip = report.host.primary_ip;
  return {
    host,
    os: report.os,
    cpu: { model: report.cpu.model, vendor: report.cpu.vendor, cores: report.cpu.cores },
    memory: { total_bytes: report.memory.total_bytes },
    agent: { version: report.agent.version },
  };
}

/** False when the agent said it could not read sessions: then the empty list means unknown. */
export function sessionsKnownIn(report: { errors?: Report["errors"] }): boolean {
  return !report.errors?.some((e) => e.collector === "sessions");
}

function extraOf(report: Report): Extra | null {
  const extra: Extra = {};
  const { version: _version, ...agent } = report.agent;
  if (Object.keys(agent).length > 0) extra.agent = agent;
  if (report.errors !== undefined) extra.errors = report.errors;
  return Object.keys(extra).length > 0 ? extra : null;
}

/** The facts that differ between two executions, by dotted field name. */
export function factChanges(
  before: Facts,
  after: Facts,
): { field: string; before: unknown; after: unknown }[] {
  const fields: [string, (f: Facts) => unknown][] = [
    ["host.hostname", (f) => f.host.hostname],
    ["host.primary_ip", (f) => f.host.primary_ip ?? null],
    ["host.ip_addresses", (f) => f.host.ip_addresses],
    ["os.platform", (f) => f.os.platform],
    ["os.name", (f) => f.os.name],
    ["os.version", (f) => f.os.version],
    ["os.kernel", (f) => f.os.kernel],
    ["os.arch", (f) => f.os.arch],
    ["cpu.model", (f) => f.cpu.model],
    ["cpu.vendor", (f) => f.cpu.vendor],
    ["cpu.cores", (f) => f.cpu.cores],
    ["memory.total_bytes", (f) => f.memory.total_bytes],
    ["agent.version", (f) => f.agent.version],
  ];
  const out: { field: string; before: unknown; after: unknown }[] = [];
  for (const [field, get] of fields) {
    const a = get(before);
    const b = get(after);
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ field, before: a, after: b });
  }
  return out;
}

function spanRowToProcess(row: ProcessSpanRow, cpu: number, rss: number): ReportProcess {
  const p: ReportProcess = {
    pid: row.pid,
    ppid: row.ppid,
    name: row.name,
    user: row.user_name,
    cpu_percent: cpu,
    rss_bytes: rss,
  };
  if (row.started_at !== null) p.started_at = row.started_at;
  if (row.cmdline !== null) p.cmdline = row.cmdline;
  return p;
}

export function spanRowToSession(row: SessionSpanRow): ReportSession {
  const s: ReportSession = { user: row.user_name, terminal: row.terminal };
  if (row.remote_host !== null) s.remote_host = row.remote_host;
  if (row.started_at !== null) s.started_at = row.started_at;
  if (row.pid !== null) s.pid = row.pid;
  return s;
}

const sessionKeyOfRow = (row: SessionSpanRow) => sessionKey({ ...row, user: row.user_name });
const processKeyOfRow = (row: ProcessSpanRow) => processKey({ ...row, user: row.user_name });

/**
 * Stores executions at the cost of their changes and rebuilds any of them exactly.
 * See the store's README for the design.
 */
export class HistoryRepository {
  private readonly groupCommit: GroupCommit | null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
  ) {
    this.groupCommit = engine === "sqlite" ? new GroupCommit(db) : null;
  }

  /**
   * One transaction per report: on PostgreSQL and MySQL its own (read committed, the host
   * row locked inside); on SQLite a savepoint within a group commit.
   */
  private inTransaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    if (this.groupCommit) return this.groupCommit.run(work);
    return this.db.transaction().setIsolationLevel("read committed").execute(work);
  }

  /**
   * Stores one report as an execution of hostId, in one transaction. A report_id already
   * stored for this host returns that execution and writes nothing; stored for another
   * host it is a conflict.
   */
  async ingest(
    hostId: number,
    report: Report,
    receivedAt: number,
    options: IngestOptions = {},
  ): Promise<IngestOutcome> {
    return this.inTransaction(async (trx) => {
      // One writer per host at a time, across API replicas: lock the host row first. What
      // is read after the lock (in a new statement, so a new snapshot on PostgreSQL and
      // MySQL) includes whatever the writer before us committed.
      if (this.engine !== "sqlite") {
        await trx.selectFrom("hosts").select("id").where("id", "=", hostId).forUpdate().execute();
      }
      // One round trip: the host, whether this report is stored already, the state row.
      const host = await trx
        .selectFrom("hosts")
        .leftJoin("host_state", "host_state.host_id", "hosts.id")
        .selectAll("hosts")
        .select([
          "host_state.process_hash as state_process_hash",
          "host_state.session_hash as state_session_hash",
          "host_state.bases as state_bases",
          "host_state.names_hash as state_names_hash",
          (eb) =>
            eb
              .selectFrom("executions")
              .select("id")
              .where("report_id", "=", report.report_id)
              .as("duplicate_id"),
        ])
        .where("hosts.id", "=", hostId)
        .executeTakeFirstOrThrow();

      const existing =
        host.duplicate_id === null ? null : await this.findByReportId(trx, report.report_id);
      if (existing) {
        if (existing.hostId !== hostId) {
          throw conflict("report_id_taken", "report_id is already stored for another host");
        }
        return { execution: existing, duplicate: true };
      }
      if (options.expectLatestReportId !== undefined) {
        const latest =
          host.latest_execution_id === null
            ? null
            : ((
                await trx
                  .selectFrom("executions")
                  .select("report_id")
                  .where("id", "=", host.latest_execution_id)
                  .executeTakeFirst()
              )?.report_id ?? null);
        if (latest !== options.expectLatestReportId) {
          throw new LatestChangedError();
        }
      }

      const ms = Date.parse(report.collected_at);
      const base = posOfTime(ms);
      let pos: number;
      let prev: { pos: number; facts_id: number; sessions_known: number } | null = null;
      let next: { id: number; pos: number; facts_id: number; sessions_known: number } | null = null;
      if (host.latest_pos === null || base > host.latest_pos) {
        pos = base;
        if (host.latest_pos !== null) {
          prev = {
            pos: host.latest_pos,
            facts_id: host.facts_id ?? 0,
            sessions_known: host.sessions_known,
          };
        }
      } else if (Math.floor(host.latest_pos / POS_PER_MS) === ms) {
        pos = host.latest_pos + 1;
        prev = {
          pos: host.latest_pos,
          facts_id: host.facts_id ?? 0,
          sessions_known: host.sessions_known,
        };
      } else {
        const same = await trx
          .selectFrom("executions")
          .select((eb) => eb.fn.max("pos").as("pos"))
          .where("host_id", "=", hostId)
          .where("pos", ">=", base)
          .where("pos", "<", base + POS_PER_MS)
          .executeTakeFirst();
        pos = same?.pos == null ? base : Number(same.pos) + 1;
        if (pos >= base + POS_PER_MS) {
          throw conflict(
            "too_many_reports",
            "too many reports of this host collected in the same millisecond",
          );
        }
        prev =
          (await trx
            .selectFrom("executions")
            .select(["pos", "facts_id", "sessions_known"])
            .where("host_id", "=", hostId)
            .where("pos", "<", pos)
            .orderBy("pos", "desc")
            .limit(1)
            .executeTakeFirst()) ?? null;
        next =
          (await trx
            .selectFrom("executions")
            .select(["id", "pos", "facts_id", "sessions_known"])
            .where("host_id", "=", hostId)
            .where("pos", ">", pos)
            .orderBy("pos", "asc")
            .limit(1)
            .executeTakeFirst()) ?? null;
      }
      const prevPos = prev?.pos ?? null;
      const nextPos = next?.pos ?? null;

      // Processes.
      const processes = [...report.processes].sort(compareProcesses);
      const processItems = processes.map((p) => ({ key: processKey(p), p }));
      const sessionItems = report.sessions
        .map((s) => ({ key: sessionKey(s), s }))
        .sort((a, b) => compareSessionKeys(a.key, b.key));
      const processHash = hashKeys(processItems);
      const sessionHash = hashKeys(sessionItems);
      // Appended after the latest execution with the same processes and sessions: nothing
      // to change in the spans, and the baselines come from the host's state row.
      const state =
        next === null && prev !== null && host.state_process_hash !== null
          ? {
              process_hash: host.state_process_hash,
              session_hash: host.state_session_hash!,
              bases: host.state_bases!,
            }
          : undefined;
      const sameProcesses = state?.process_hash === processHash;
      const sameSessions = state?.session_hash === sessionHash;

      let processPlan: PlanSummary;
      let bases: { baseCpu: number; baseRss: number }[];
      if (sameProcesses) {
        processPlan = UNCHANGED;
        bases = (JSON.parse(state!.bases) as [number, number][]).map(([baseCpu, baseRss]) => ({
          baseCpu,
          baseRss,
        }));
      } else {
        const loaded = (await this.loadSpans(trx, "process_spans", hostId, prevPos, nextPos)).map(
          (row): ProcessSpan => ({
            id: row.id,
            first: row.first_pos,
            last: row.last_pos,
            key: processKeyOfRow(row),
            baseCpu: row.base_cpu,
            baseRss: row.base_rss,
            row,
          }),
        );
        const plan = planSpans({ pos, prevPos, nextPos, loaded, items: processItems });
        const byId = new Map(loaded.map((sp) => [sp.id, sp]));
        bases = plan.spans.map((ref, i) => {
          if (ref.kind === "existing") return byId.get(ref.id)!;
          const p = processes[i]!;
          return { baseCpu: p.cpu_percent, baseRss: p.rss_bytes };
        });
        await this.applyPlan(trx, "process_spans", plan, (index, first, last) => {
          const p = processes[index]!;
          return {
            host_id: hostId,
            first_pos: first,
            last_pos: last,
            pid: p.pid,
            ppid: p.ppid,
            name: p.name,
            user_name: p.user,
            started_at: p.started_at ?? null,
            cmdline: p.cmdline ?? null,
            base_cpu: p.cpu_percent,
            base_rss: p.rss_bytes,
          };
        });
        processPlan = plan;
      }

      let sessionPlan: PlanSummary;
      if (sameSessions) {
        sessionPlan = UNCHANGED;
      } else {
        const loaded = (await this.loadSpans(trx, "session_spans", hostId, prevPos, nextPos)).map(
          (row): SessionSpan => ({
            id: row.id,
            first: row.first_pos,
            last: row.last_pos,
            key: sessionKeyOfRow(row),
            row,
          }),
        );
        const plan = planSpans({ pos, prevPos, nextPos, loaded, items: sessionItems });
        await this.applyPlan(trx, "session_spans", plan, (index, first, last) => {
          const se = sessionItems[index]!.s;
          return {
            host_id: hostId,
            first_pos: first,
            last_pos: last,
            user_name: se.user,
            terminal: se.terminal,
            remote_host: se.remote_host ?? null,
            started_at: se.started_at ?? null,
            pid: se.pid ?? null,
          };
        });
        sessionPlan = plan;
      }

      // Only a newest execution changes what is running now; out-of-order ones never do.
      if (next === null && !(sameProcesses && sameSessions)) {
        const names = [
          ...[...new Set(processes.map((p) => p.name))].map((name) => ({
            host_id: hostId,
            kind: "p",
            name,
          })),
          ...[...new Set(report.sessions.map((se) => se.user))].map((name) => ({
            host_id: hostId,
            kind: "u",
            name,
          })),
        ];
        const namesHash = hashKeys(names.map((n) => ({ key: `${n.kind}${n.name}` })));
        if (namesHash !== host.state_names_hash) {
          await trx.deleteFrom("current_names").where("host_id", "=", hostId).execute();
          for (let i = 0; i < names.length; i += CHUNK) {
            await trx
              .insertInto("current_names")
              .values(names.slice(i, i + CHUNK))
              .execute();
          }
        }
        const row = {
          host_id: hostId,
          process_hash: processHash,
          session_hash: sessionHash,
          bases: JSON.stringify(bases.map((b) => [b.baseCpu, b.baseRss])),
          names_hash: namesHash,
        };
        if (state) {
          await trx.updateTable("host_state").set(row).where("host_id", "=", hostId).execute();
        } else {
          await trx.deleteFrom("host_state").where("host_id", "=", hostId).execute();
          await trx.insertInto("host_state").values(row).execute();
        }
      }

      // Facts: one row per distinct set per host.
      const facts = factsOf(report);
      const factsBody = JSON.stringify(facts);
      const factsHash = createHash("sha256").update(factsBody).digest("hex");
      const factsId =
        host.facts_hash === factsHash && host.facts_id !== null
          ? host.facts_id
          : await this.factsId(trx, hostId, factsHash, factsBody);
      const factsDiff = async (otherId: number | undefined) => {
        if (otherId === undefined) return null;
        if (otherId === factsId) return 0;
        const other = await this.loadFacts(trx, otherId);
        return factChanges(other, facts).length;
      };
      const factsChanged = await factsDiff(prev?.facts_id);

      const metrics = encodeMetrics({
        values: processes.map((p, i) => ({
          cpu: p.cpu_percent,
          rss: p.rss_bytes,
          baseCpu: bases[i]!.baseCpu,
          baseRss: bases[i]!.baseRss,
        })),
        processOrder: orderOf(report.processes, compareProcesses),
        sessionOrder: orderOf(report.sessions.map(sessionKey), compareSessionKeys),
      });
      const extra = extraOf(report);
      const sessionsKnown = sessionsKnownIn(report) ? 1 : 0;
      // Sessions that could not be read are unknown, not closed: no session changes then.
      const sessionChanges = (
        other: { sessions_known: number } | null,
        counts: { started: number; ended: number } | null,
      ) =>
        other === null || counts === null
          ? null
          : other.sessions_known && sessionsKnown
            ? counts
            : { started: 0, ended: 0 };
      const sessionCounts = sessionChanges(prev, sessionPlan.changes);
      const nextSessionCounts = sessionChanges(next, sessionPlan.nextChanges);
      const row = {
        host_id: hostId,
        report_id: report.report_id,
        pos,
        collected_at: report.collected_at,
        received_at: receivedAt,
        facts_id: factsId,
        process_count: report.processes.length,
        session_count: report.sessions.length,
        sessions_known: sessionsKnown,
        cpu_usage: report.cpu.usage_percent,
        memory_available: report.memory.available_bytes,
        metrics,
        extra: extra ? JSON.stringify(extra) : null,
        processes_started: processPlan.changes?.started ?? null,
        processes_ended: processPlan.changes?.ended ?? null,
        sessions_opened: sessionCounts?.started ?? null,
        sessions_closed: sessionCounts?.ended ?? null,
        facts_changed: factsChanged,
      };
      const executionId = await this.insertReturningId(trx, "executions", row);

      if (next && processPlan.nextChanges && nextSessionCounts) {
        const nextFactsChanged = await factsDiff(next.facts_id);
        await trx
          .updateTable("executions")
          .set({
            processes_started: processPlan.nextChanges.started,
            processes_ended: processPlan.nextChanges.ended,
            sessions_opened: nextSessionCounts.started,
            sessions_closed: nextSessionCounts.ended,
            facts_changed: nextFactsChanged,
          })
          .where("id", "=", next.id)
          .execute();
      }

      const changed =
        (row.processes_started ?? 0) +
          (row.processes_ended ?? 0) +
          (row.sessions_opened ?? 0) +
          (row.sessions_closed ?? 0) +
          (row.facts_changed ?? 0) >
        0;
      if (next === null) {
        // Facts columns are written only when the facts changed: rewriting a column with
        // its own value still rewrites its index entries.
        const factsColumns =
          host.facts_id === factsId
            ? {}
            : {
                hostname: facts.host.hostname,
                primary_ip: facts.host.primary_ip ?? null,
                os_platform: facts.os.platform,
                os_name: facts.os.name,
                os_version: facts.os.version,
                kernel: facts.os.kernel,
                arch: facts.os.arch,
                cpu_model: facts.cpu.model,
                cpu_vendor: facts.cpu.vendor,
                cpu_cores: facts.cpu.cores,
                memory_total: facts.memory.total_bytes,
                agent_version: facts.agent.version,
                facts_id: factsId,
                facts_hash: factsHash,
              };
        await trx
          .updateTable("hosts")
          .set({
            ...factsColumns,
            latest_execution_id: executionId,
            latest_pos: pos,
            first_pos: host.first_pos ?? pos,
            changed_pos: changed || prev === null ? pos : host.changed_pos,
            last_received_at: receivedAt,
            executions: host.executions + 1,
            process_count: row.process_count,
            session_count: row.session_count,
            sessions_known: sessionsKnown,
            cpu_usage: row.cpu_usage,
            memory_available: row.memory_available,
          })
          .where("id", "=", hostId)
          .execute();
        if (host.facts_id !== factsId)
          await this.replaceAddresses(trx, hostId, facts.host.ip_addresses);
      } else {
        await trx
          .updateTable("hosts")
          .set({
            executions: host.executions + 1,
            first_pos: host.first_pos === null ? pos : Math.min(host.first_pos, pos),
            last_received_at: Math.max(host.last_received_at ?? 0, receivedAt),
          })
          .where("id", "=", hostId)
          .execute();
      }
      return {
        execution: {
          id: executionId,
          hostId,
          reportId: report.report_id,
          pos,
          collectedAt: report.collected_at,
          receivedAt,
        },
        duplicate: false,
      };
    });
  }

  async findByReportId(db: Db, reportId: string): Promise<StoredExecution | null> {
    const row = await db
      .selectFrom("executions")
      .select(["id", "host_id", "report_id", "pos", "collected_at", "received_at"])
      .where("report_id", "=", reportId)
      .executeTakeFirst();
    return row
      ? {
          id: row.id,
          hostId: row.host_id,
          reportId: row.report_id,
          pos: row.pos,
          collectedAt: row.collected_at,
          receivedAt: row.received_at,
        }
      : null;
  }

  private loadSpans(
    trx: Db,
    table: "process_spans",
    hostId: number,
    prevPos: number | null,
    nextPos: number | null,
  ): Promise<ProcessSpanRow[]>;
  private loadSpans(
    trx: Db,
    table: "session_spans",
    hostId: number,
    prevPos: number | null,
    nextPos: number | null,
  ): Promise<SessionSpanRow[]>;
  private async loadSpans(
    trx: Db,
    table: "process_spans" | "session_spans",
    hostId: number,
    prevPos: number | null,
    nextPos: number | null,
  ): Promise<unknown[]> {
    let q = trx.selectFrom(table).selectAll().where("host_id", "=", hostId);
    if (prevPos !== null) q = q.where("last_pos", ">=", prevPos);
    if (nextPos !== null) q = q.where("first_pos", "<=", nextPos);
    return q.execute();
  }

  private async applyPlan<S extends LoadedSpan & { row: object }, R extends object>(
    trx: Db,
    table: "process_spans" | "session_spans",
    plan: SpanPlan<S>,
    newRow: (index: number, first: number, last: number) => R,
  ): Promise<void> {
    for (const [column, changes] of [
      ["last_pos", plan.setLast.map((c) => [c.id, c.last] as const)],
      ["first_pos", plan.setFirst.map((c) => [c.id, c.first] as const)],
    ] as const) {
      const byValue = new Map<number, number[]>();
      for (const [id, value] of changes) {
        const ids = byValue.get(value) ?? [];
        ids.push(id);
        byValue.set(value, ids);
      }
      for (const [value, ids] of byValue) {
        for (let i = 0; i < ids.length; i += CHUNK) {
          await trx
            .updateTable(table)
            .set({ [column]: value })
            .where("id", "in", ids.slice(i, i + CHUNK))
            .execute();
        }
      }
    }
    const rows: object[] = plan.newFromItems.map((n) => newRow(n.index, n.first, n.last));
    for (const c of plan.copies) {
      const { id: _id, ...rest } = c.from.row as { id: number };
      rows.push({ ...rest, first_pos: c.first, last_pos: c.last });
    }
    await this.insertMany(trx, table, rows);
  }

  /**
   * Bulk inserts the way each engine likes them: on PostgreSQL one statement whatever the
   * count (one array parameter per column, unnest), elsewhere multi-row inserts in chunks
   * that stay under the parameter limit (SQLite 32,766, MySQL 65,535).
   */
  async insertMany(
    trx: Db,
    table: "process_spans" | "session_spans",
    rows: object[],
  ): Promise<void> {
    if (rows.length === 0) return;
    if (this.engine === "postgres") {
      const columns = SPAN_COLUMNS[table];
      const arrays = columns.map(([name]) =>
        rows.map((r) => (r as Record<string, unknown>)[name] ?? null),
      );
      await sql`insert into ${sql.table(table)} (${sql.join(columns.map(([name]) => sql.ref(name)))})
        select * from unnest(${sql.join(arrays.map((values, i) => sql`${values}::${sql.raw(columns[i]![1])}[]`))})`.execute(
        trx,
      );
      return;
    }
    for (let i = 0; i < rows.length; i += CHUNK) {
      await trx
        .insertInto(table)
        .values(rows.slice(i, i + CHUNK) as never)
        .execute();
    }
  }

  private async insertReturningId(
    trx: Db,
    table: "executions" | "host_facts",
    row: object,
  ): Promise<number> {
    if (this.engine === "postgres") {
      const r = await trx
        .insertInto(table)
        .values(row as never)
        .returning("id")
        .executeTakeFirstOrThrow();
      return Number(r.id);
    }
    const r = await trx
      .insertInto(table)
      .values(row as never)
      .executeTakeFirstOrThrow();
    return Number(r.insertId);
  }

  private async factsId(trx: Db, hostId: number, hash: string, body: string): Promise<number> {
    const found = await trx
      .selectFrom("host_facts")
      .select("id")
      .where("host_id", "=", hostId)
      .where("hash", "=", hash)
      .executeTakeFirst();
    if (found) return found.id;
    return this.insertReturningId(trx, "host_facts", { host_id: hostId, hash, body });
  }

  async loadFacts(db: Db, factsId: number): Promise<Facts> {
    const row = await db
      .selectFrom("host_facts")
      .select("body")
      .where("id", "=", factsId)
      .executeTakeFirstOrThrow();
    return JSON.parse(row.body) as Facts;
  }

  private async replaceAddresses(trx: Db, hostId: number, ips: string[]): Promise<void> {
    await trx.deleteFrom("host_addresses").where("host_id", "=", hostId).execute();
    const unique = [...new Set(ips)];
    if (unique.length > 0) {
      await trx
        .insertInto("host_addresses")
        .values(unique.map((ip) => ({ host_id: hostId, ip })))
        .execute();
    }
  }

  // ---- reading ------------------------------------------------------------------------

  async executionRow(
    db: Db,
    where: { id: number } | { reportId: string },
  ): Promise<ExecutionRow | null> {
    let q = db.selectFrom("executions").selectAll();
    q = "id" in where ? q.where("id", "=", where.id) : q.where("report_id", "=", where.reportId);
    return ((await q.executeTakeFirst()) as ExecutionRow | undefined) ?? null;
  }

  /** The execution of hostId in effect at time ms: the latest collected at or before it. */
  async executionAt(db: Db, hostId: number, ms: number): Promise<ExecutionRow | null> {
    const row = await db
      .selectFrom("executions")
      .selectAll()
      .where("host_id", "=", hostId)
      .where("pos", "<", posOfTime(ms + 1))
      .orderBy("pos", "desc")
      .limit(1)
      .executeTakeFirst();
    return (row as ExecutionRow | undefined) ?? null;
  }

  /** The execution of hostId just before position pos, if any. */
  async executionBefore(db: Db, hostId: number, pos: number): Promise<ExecutionRow | null> {
    const row = await db
      .selectFrom("executions")
      .selectAll()
      .where("host_id", "=", hostId)
      .where("pos", "<", pos)
      .orderBy("pos", "desc")
      .limit(1)
      .executeTakeFirst();
    return row ?? null;
  }

  /** The processes of an execution exactly as its agent sent them, in the order sent. */
  async processesOf(db: Db, execution: ExecutionRow): Promise<ReportProcess[]> {
    const spans = await db
      .selectFrom("process_spans")
      .selectAll()
      .where("host_id", "=", execution.host_id)
      .where("last_pos", ">=", execution.pos)
      .where("first_pos", "<=", execution.pos)
      .orderBy("pid")
      .execute();
    const m = decodeMetrics(
      execution.metrics,
      spans.map((s) => ({ baseCpu: s.base_cpu, baseRss: s.base_rss })),
    );
    const canonical = spans.map((s, i) => spanRowToProcess(s, m.cpu[i]!, m.rss[i]!));
    return m.processOrder ? m.processOrder.map((c) => canonical[c]!) : canonical;
  }

  /** The sessions of an execution exactly as sent, in the order sent. */
  async sessionsOf(db: Db, execution: ExecutionRow): Promise<ReportSession[]> {
    const spans = await db
      .selectFrom("session_spans")
      .selectAll()
      .where("host_id", "=", execution.host_id)
      .where("last_pos", ">=", execution.pos)
      .where("first_pos", "<=", execution.pos)
      .execute();
    const canonical = spans
      .map((row) => ({ key: sessionKeyOfRow(row), s: spanRowToSession(row) }))
      .sort((a, b) => compareSessionKeys(a.key, b.key))
      .map((x) => x.s);
    const m = decodeMetrics(
      execution.metrics,
      new Array(execution.process_count).fill({ baseCpu: 0, baseRss: 0 }),
    );
    return m.sessionOrder ? m.sessionOrder.map((c) => canonical[c]!) : canonical;
  }

  /** The whole report of an execution, equal to the one received. */
  async reportOf(db: Db, execution: ExecutionRow, identifier: string): Promise<Report> {
    const [facts, processes, sessions] = await Promise.all([
      this.loadFacts(db, execution.facts_id),
      this.processesOf(db, execution),
      this.sessionsOf(db, execution),
    ]);
    const extra: Extra = execution.extra ? JSON.parse(execution.extra) : {};
    const host: Report["host"] = {
      identifier,
      hostname: facts.host.hostname,
      ip_addresses: facts.host.ip_addresses,
    };
    if (facts.host.primary_ip !== undefined) host.primary_ip = facts.host.primary_ip;
    const report: Report = {
      schema_version: 1,
      report_id: execution.report_id,
      collected_at: execution.collected_at,
      agent: { version: facts.agent.version, ...extra.agent },
      host,
      os: facts.os,
      cpu: { ...facts.cpu, usage_percent: execution.cpu_usage },
      memory: {
        total_bytes: facts.memory.total_bytes,
        available_bytes: execution.memory_available,
      },
      processes,
      sessions,
    };
    if (extra.errors !== undefined) report.errors = extra.errors;
    return report;
  }

  extraOf(execution: ExecutionRow): Extra {
    return execution.extra ? (JSON.parse(execution.extra) as Extra) : {};
  }
}

export { OPEN };
