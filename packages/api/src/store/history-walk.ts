import type { Report, ReportProcess, ReportSession } from "@compliance/contract";
import { compareText } from "@compliance/contract";
import type { Kysely } from "kysely";
import type { Facts } from "./facts.ts";
import { compareSessionKeys } from "./identity.ts";
import { INVENTORY_KIND_BY_NAME, type InventoryKindName, SETTINGS_BIT } from "./inventory-kinds.ts";
import { decodeMetrics } from "./metrics-codec.ts";
import { executionRecordOf } from "./records.ts";
import type { Database } from "./schema.ts";
import { processOfRow, SESSION_SPANS, sessionOfRow } from "./span-kinds.ts";

/** What a walk over a host's history must rebuild of each execution. */
export interface HistoryNeeds {
  processes: boolean;
  /** Each process's CPU % and RSS (decoding every execution's metrics column). */
  metrics: boolean;
  sessions: boolean;
  inventory: readonly InventoryKindName[];
}

/** One execution of the walk: the report is built only when asked for. */
export interface WalkStep {
  pos: number;
  collectedAt: string;
  /** Whether anything the walk rebuilds differs from the previous step. */
  changed: boolean;
  report(): Report;
}

interface Span {
  id: number;
  first_pos: number;
  last_pos: number;
}

/**
 * The lifetimes of one table, swept in position order: those that contain the current
 * position are `active`. Each step adds the ones that begin and drops the ones that ended,
 * so a walk costs the number of lifetimes, not executions × items.
 */
class Sweep<S extends Span> {
  readonly active = new Map<number, S>();
  private readonly byFirst: S[];
  private readonly byLast: S[];
  private nextFirst = 0;
  private nextLast = 0;

  constructor(spans: S[]) {
    this.byFirst = [...spans].sort((a, b) => a.first_pos - b.first_pos);
    this.byLast = [...spans].sort((a, b) => a.last_pos - b.last_pos);
  }

  /** Moves to `pos`; true when the active set changed. */
  moveTo(pos: number): boolean {
    let changed = false;
    while (this.nextFirst < this.byFirst.length && this.byFirst[this.nextFirst]!.first_pos <= pos) {
      const s = this.byFirst[this.nextFirst++]!;
      if (s.last_pos >= pos) {
        this.active.set(s.id, s);
        changed = true;
      }
    }
    while (this.nextLast < this.byLast.length && this.byLast[this.nextLast]!.last_pos < pos) {
      if (this.active.delete(this.byLast[this.nextLast++]!.id)) changed = true;
    }
    return changed;
  }
}

/**
 * Walks every execution of a host in order, rebuilding what `needs` asks for, for code that
 * must look at the whole history (a new policy evaluated over the past). Reads the host's
 * history once; nothing is read per execution.
 */
export async function* walkHistory(
  db: Kysely<Database>,
  hostId: number,
  needs: HistoryNeeds,
): AsyncGenerator<WalkStep> {
  const [host, executions, facts, processes, sessions, inventory] = await Promise.all([
    db.selectFrom("hosts").select("identifier").where("id", "=", hostId).executeTakeFirstOrThrow(),
    db.selectFrom("executions").selectAll().where("host_id", "=", hostId).orderBy("pos").execute(),
    db.selectFrom("host_facts").select(["id", "body"]).where("host_id", "=", hostId).execute(),
    needs.processes
      ? db.selectFrom("process_spans").selectAll().where("host_id", "=", hostId).execute()
      : [],
    needs.sessions
      ? db.selectFrom("session_spans").selectAll().where("host_id", "=", hostId).execute()
      : [],
    needs.inventory.length > 0
      ? db
          .selectFrom("inventory_spans")
          .selectAll()
          .where("host_id", "=", hostId)
          .where("kind", "in", needs.inventory)
          .execute()
      : [],
  ]);
  const factsById = new Map(facts.map((f) => [f.id, JSON.parse(f.body) as Facts]));
  const sweeps = {
    processes: new Sweep(processes),
    sessions: new Sweep(sessions),
    inventory: new Sweep(inventory),
  };
  let previous: { factsId: number; extra: string | null; sections: number } | null = null;
  for (const row of executions) {
    const e = executionRecordOf(row);
    let changed =
      previous === null ||
      previous.factsId !== e.factsId ||
      previous.extra !== row.extra ||
      previous.sections !== e.sections ||
      needs.metrics;
    for (const sweep of Object.values(sweeps)) if (sweep.moveTo(e.pos)) changed = true;
    previous = { factsId: e.factsId, extra: row.extra, sections: e.sections };
    const report = (): Report => {
      const f = factsById.get(e.factsId)!;
      const built: Report = {
        schema_version: 1,
        report_id: e.reportId,
        collected_at: e.collectedAt,
        agent: { version: f.agent.version, ...e.agentExtra },
        host: { identifier: host.identifier, ...f.host },
        os: f.os,
        cpu: { ...f.cpu, usage_percent: e.cpuUsage },
        memory: { total_bytes: f.memory.total_bytes, available_bytes: e.memoryAvailable },
        processes: needs.processes ? processesAt(sweeps.processes, e, needs.metrics) : [],
        sessions: needs.sessions ? sessionsAt(sweeps.sessions) : [],
      };
      if (e.errors !== null) built.errors = e.errors;
      inventoryAt(built, sweeps.inventory, e.sections);
      return built;
    };
    yield { pos: e.pos, collectedAt: e.collectedAt, changed, report };
  }
}

type ProcessRow = Parameters<typeof processOfRow>[0];
type SessionRow = Parameters<typeof sessionOfRow>[0];
type InventoryRow = Span & { kind: string; body: string };

function processesAt(
  sweep: Sweep<ProcessRow>,
  e: ReturnType<typeof executionRecordOf>,
  metrics: boolean,
): ReportProcess[] {
  const rows = [...sweep.active.values()].sort((a, b) => a.pid - b.pid);
  if (!metrics) return rows.map((r) => processOfRow(r, r.base_cpu, r.base_rss));
  const m = decodeMetrics(
    e.metrics,
    rows.map((r) => ({ baseCpu: r.base_cpu, baseRss: r.base_rss })),
  );
  return rows.map((r, i) => processOfRow(r, m.cpu[i]!, m.rss[i]!));
}

function sessionsAt(sweep: Sweep<SessionRow>): ReportSession[] {
  return [...sweep.active.values()]
    .map((row) => ({ key: SESSION_SPANS.keyOfRow(row), s: sessionOfRow(row) }))
    .sort((a, b) => compareSessionKeys(a.key, b.key))
    .map((x) => x.s);
}

/** The inventory sections the execution holds, in canonical order (order sent is not kept). */
function inventoryAt(report: Report, sweep: Sweep<InventoryRow>, sections: number): void {
  if (sections & SETTINGS_BIT) report.settings = {};
  const byKind = new Map<string, string[]>();
  for (const row of sweep.active.values()) {
    const list = byKind.get(row.kind) ?? [];
    list.push(row.body);
    byKind.set(row.kind, list);
  }
  for (const kind of INVENTORY_KIND_BY_NAME.values()) {
    if ((sections & kind.bit) === 0) continue;
    const bodies = (byKind.get(kind.kind) ?? []).sort(compareText);
    kind.putInto(
      report,
      bodies.map((b) => JSON.parse(b) as object),
    );
  }
}
