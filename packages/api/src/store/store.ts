import type {
  Change,
  Diff,
  Execution,
  ExecutionSortKey,
  Host,
  PageOf,
  Report,
  ReportProcess,
  ReportSession,
  TokenRole,
} from "@compliance/contract";
import { sql } from "kysely";
import { type DatabaseHandle, type Engine, migrateToLatest, openDatabase } from "./database.ts";
import { diffExecutions } from "./diff.ts";
import { FleetRepository } from "./fleet.repository.ts";
import {
  type ExecutionRow,
  type Facts,
  HistoryRepository,
  type IngestOptions,
  type IngestOutcome,
  POS_PER_MS,
  posOfTime,
} from "./history.repository.ts";
import {
  type HostFilter,
  HostsRepository,
  type ListOptions,
  parseSort,
} from "./hosts.repository.ts";
import { InventoryRepository } from "./inventory.repository.ts";
import { type PruneResult, pruneExecutions } from "./retention.ts";
import { type TokenRecord, TokensRepository } from "./tokens.repository.ts";

export interface StoreOptions {
  /** DATABASE_URL: sqlite:<path>, postgres://…, mysql://… */
  url: string;
  poolSize?: number;
  /** SQLite's synchronous setting (see database.ts). */
  sqliteSynchronous?: "FULL" | "NORMAL";
  /** A host is online when it reported within this many ms. */
  onlineWindowMs?: number;
  now?: () => number;
}

/** Which execution of a host a read is about: a report id, the one in effect at a time, or the latest. */
export type ExecutionSelector = { reportId: string } | { at: number } | { latest: true };

export interface ExecutionRange {
  /** collected_at bounds in ms, inclusive. */
  from?: number;
  to?: number;
}

export interface Snapshot<T> {
  reportId: string;
  collectedAt: string;
  items: T[];
}

const EXECUTION_SORTS = {
  collected_at: "pos",
  received_at: "received_at",
  process_count: "process_count",
} as const satisfies Record<ExecutionSortKey, string>;

/**
 * Everything the API keeps, behind one interface. All SQL lives in the repositories under
 * this folder; the same code runs on SQLite, PostgreSQL and MySQL/MariaDB.
 */
export class Store {
  readonly engine: Engine;
  readonly where: string;
  readonly hosts: HostsRepository;
  readonly tokens: TokensRepository;
  readonly history: HistoryRepository;
  readonly fleet: FleetRepository;
  readonly inventory: InventoryRepository;
  private readonly handle: DatabaseHandle;
  private readonly now: () => number;

  constructor(options: StoreOptions) {
    const now = options.now ?? Date.now;
    this.handle = openDatabase(options.url, {
      poolSize: options.poolSize,
      sqliteSynchronous: options.sqliteSynchronous,
    });
    this.engine = this.handle.engine;
    this.where = this.handle.where;
    const db = this.handle.db;
    const reader = this.handle.reader;
    const onlineWindowMs = options.onlineWindowMs ?? 11 * 60_000;
    this.hosts = new HostsRepository(db, reader, this.engine, onlineWindowMs, now);
    this.fleet = new FleetRepository(reader, this.hosts, onlineWindowMs, now);
    this.tokens = new TokensRepository(db, reader, this.engine, now);
    this.history = new HistoryRepository(db, this.engine);
    this.inventory = new InventoryRepository(reader);
    this.now = now;
  }

  /** The writer: writes, and reads that must see its own work. */
  get db() {
    return this.handle.db;
  }

  /** For reads (on SQLite a connection of its own that never waits for the writer). */
  get reader() {
    return this.handle.reader;
  }

  migrate(): Promise<void> {
    return migrateToLatest(this.handle.db);
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  /** Throws when the database cannot answer. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.handle.db);
  }

  /** Deletes executions collected before beforeMs (keeping each host's latest). */
  prune(beforeMs: number): Promise<PruneResult> {
    return pruneExecutions(this.handle.db, this.engine, beforeMs);
  }

  // ---- tokens -----------------------------------------------------------------------

  createToken(name: string, role: TokenRole, tokenHash: string): Promise<number> {
    return this.tokens.create(name, role, tokenHash);
  }

  tokenByHash(tokenHash: string): Promise<TokenRecord | null> {
    return this.tokens.byHash(tokenHash);
  }

  // ---- ingest -----------------------------------------------------------------------

  ingest(
    hostId: number,
    report: Report,
    receivedAt: number,
    options?: IngestOptions,
  ): Promise<IngestOutcome> {
    return this.history.ingest(hostId, report, receivedAt, options);
  }

  // ---- reading ----------------------------------------------------------------------

  listHosts(filter: HostFilter, options: ListOptions): Promise<PageOf<Host>> {
    return this.hosts.list(filter, options);
  }

  getHost(id: number): Promise<Host | null> {
    return this.hosts.get(id);
  }

  /** The host's executions (its timeline), newest first unless sorted otherwise. */
  async listExecutions(
    hostId: number,
    range: ExecutionRange,
    options: ListOptions,
  ): Promise<PageOf<Execution>> {
    let q = this.reader.selectFrom("executions").where("host_id", "=", hostId);
    if (range.from !== undefined) q = q.where("pos", ">=", posOfTime(range.from));
    if (range.to !== undefined) q = q.where("pos", "<", posOfTime(range.to + 1));
    const total = await q
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    const { column, desc } = parseSort(
      options.sort ?? "-collected_at",
      EXECUTION_SORTS,
      "collected_at",
    );
    const rows = (await q
      .selectAll()
      .orderBy(column, desc ? "desc" : "asc")
      .orderBy("pos", desc ? "desc" : "asc")
      .limit(options.limit)
      .offset(options.offset)
      .execute()) as ExecutionRow[];
    return {
      items: rows.map((r) => this.toExecution(r)),
      total: Number(total.n),
      limit: options.limit,
      offset: options.offset,
    };
  }

  toExecution(r: ExecutionRow): Execution {
    const extra = this.history.extraOf(r);
    return {
      report_id: r.report_id,
      host_id: r.host_id,
      collected_at: r.collected_at,
      received_at: new Date(r.received_at).toISOString(),
      process_count: r.process_count,
      session_count: r.session_count,
      sessions_known: r.sessions_known === 1,
      cpu_usage_percent: r.cpu_usage,
      memory_available_bytes: r.memory_available,
      changes:
        r.processes_started === null
          ? null
          : {
              processes_started: r.processes_started,
              processes_ended: r.processes_ended ?? 0,
              sessions_opened: r.sessions_opened ?? 0,
              sessions_closed: r.sessions_closed ?? 0,
              facts_changed: r.facts_changed ?? 0,
            },
      errors: extra.errors ?? [],
    };
  }

  /** Finds the execution a read is about; null when the host has none that matches. */
  async findExecution(hostId: number, selector: ExecutionSelector): Promise<ExecutionRow | null> {
    if ("reportId" in selector) {
      const row = await this.history.executionRow(this.reader, { reportId: selector.reportId });
      return row && row.host_id === hostId ? row : null;
    }
    if ("at" in selector) return this.history.executionAt(this.reader, hostId, selector.at);
    const host = await this.reader
      .selectFrom("hosts")
      .select("latest_execution_id")
      .where("id", "=", hostId)
      .executeTakeFirst();
    if (!host?.latest_execution_id) return null;
    return this.history.executionRow(this.reader, { id: host.latest_execution_id });
  }

  async processes(execution: ExecutionRow): Promise<Snapshot<ReportProcess>> {
    return {
      reportId: execution.report_id,
      collectedAt: execution.collected_at,
      items: await this.history.processesOf(this.reader, execution),
    };
  }

  async sessions(
    execution: ExecutionRow,
  ): Promise<Snapshot<ReportSession> & { known: boolean; reason?: string }> {
    const items = await this.history.sessionsOf(this.reader, execution);
    const error = this.history.extraOf(execution).errors?.find((e) => e.collector === "sessions");
    return {
      reportId: execution.report_id,
      collectedAt: execution.collected_at,
      items,
      known: error === undefined,
      ...(error ? { reason: error.message } : {}),
    };
  }

  /** A stored report, rebuilt from history: equal to the one the agent sent. */
  async report(reportId: string): Promise<{ hostId: number; report: Report } | null> {
    const row = await this.history.executionRow(this.reader, { reportId });
    if (!row) return null;
    const host = await this.reader
      .selectFrom("hosts")
      .select("identifier")
      .where("id", "=", row.host_id)
      .executeTakeFirstOrThrow();
    return {
      hostId: row.host_id,
      report: await this.history.reportOf(this.reader, row, host.identifier),
    };
  }

  async facts(execution: ExecutionRow): Promise<Facts> {
    return this.history.loadFacts(this.reader, execution.facts_id);
  }

  async diff(hostId: number, from: ExecutionRow, to: ExecutionRow): Promise<Diff> {
    const side = async (e: ExecutionRow) => {
      const [processes, sessions, facts] = await Promise.all([
        this.history.processesOf(this.reader, e),
        this.history.sessionsOf(this.reader, e),
        this.history.loadFacts(this.reader, e.facts_id),
      ]);
      return { processes, sessions, facts, sessionsKnown: e.sessions_known === 1 };
    };
    const [a, b] = await Promise.all([side(from), side(to)]);
    return {
      host_id: hostId,
      from: { report_id: from.report_id, collected_at: from.collected_at },
      to: { report_id: to.report_id, collected_at: to.collected_at },
      ...diffExecutions(a, b),
    };
  }

  /**
   * What changed fleet-wide after `since` (an execution id; 0 for everything), in the
   * order the API stored it. Executions received less than `settleMs` ago are held back,
   * so a slower concurrent transaction on another replica cannot commit behind the cursor.
   */
  async changes(
    since: number,
    limit: number,
    settleMs: number,
  ): Promise<{ items: Change[]; next: number; more: boolean }> {
    const scanned = await this.reader
      .selectFrom("executions")
      .select([
        "id",
        "received_at",
        "processes_started",
        "processes_ended",
        "sessions_opened",
        "sessions_closed",
        "facts_changed",
      ])
      .where("id", ">", since)
      .orderBy("id")
      .limit(5000)
      .execute();
    const settled = this.now() - settleMs;
    const picked: number[] = [];
    let next = since;
    let more = false;
    for (const r of scanned) {
      if (r.received_at > settled) break;
      const changed =
        r.processes_started === null ||
        r.processes_started +
          (r.processes_ended ?? 0) +
          (r.sessions_opened ?? 0) +
          (r.sessions_closed ?? 0) +
          (r.facts_changed ?? 0) >
          0;
      if (changed) {
        if (picked.length === limit) {
          more = true;
          break;
        }
        picked.push(r.id);
      }
      next = r.id;
    }
    if (!more && scanned.length === 5000 && next === scanned.at(-1)?.id) more = true;
    const items: Change[] = [];
    for (const id of picked) {
      const e = (await this.history.executionRow(this.reader, { id }))!;
      const before = await this.history.executionBefore(this.reader, e.host_id, e.pos);
      const host = await this.reader
        .selectFrom("hosts")
        .select("hostname")
        .where("id", "=", e.host_id)
        .executeTakeFirst();
      const diff = before
        ? await this.diff(e.host_id, before, e)
        : {
            processes: {
              started: await this.history.processesOf(this.reader, e),
              ended: [],
              changed: [],
            },
            sessions: {
              known: e.sessions_known === 1,
              opened: await this.history.sessionsOf(this.reader, e),
              closed: [],
            },
            facts: [],
          };
      items.push({
        cursor: String(e.id),
        host_id: e.host_id,
        hostname: host?.hostname ?? "",
        report_id: e.report_id,
        collected_at: e.collected_at,
        received_at: new Date(e.received_at).toISOString(),
        first: before === null,
        processes: diff.processes,
        sessions: diff.sessions,
        facts: diff.facts,
      });
    }
    return { items, next, more };
  }
}

export { POS_PER_MS };
