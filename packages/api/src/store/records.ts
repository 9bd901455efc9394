import type { ChangeCounts, CollectorError, Execution, Token } from "@compliance/contract";
import type { Selectable } from "kysely";
import type { ExecutionsTable } from "./schema.ts";

// The store's own records: what crosses its boundary besides the contract's shapes. They
// hold no database handle and no row type; each has one mapper from its row, here.

/** Which execution of a host a read is about. */
export type ExecutionSelector =
  | { reportId: string }
  /** The execution in effect at this time (ms): the latest collected at or before it. */
  | { at: number }
  | { latest: true }
  /** The execution just before this one. */
  | { before: ExecutionRecord };

/** collected_at bounds in ms, inclusive. */
export interface TimeRange {
  from?: number | undefined;
  to?: number | undefined;
}

export interface Page {
  limit: number;
  offset: number;
  sort?: string | undefined;
}

/** An execution, with what the store needs to read its lists back. */
export interface ExecutionRecord {
  id: number;
  hostId: number;
  reportId: string;
  pos: number;
  collectedAt: string;
  receivedAt: number;
  processCount: number;
  sessionCount: number;
  sessionsKnown: boolean;
  cpuUsage: number;
  memoryAvailable: number;
  factsId: number;
  /** Against the previous execution of the host; null for its first. */
  changes: ChangeCounts | null;
  /** What the agent said of itself beyond its version, and what it could not collect. */
  agentExtra: {
    rss_bytes?: number;
    cpu_seconds?: number;
    dropped_reports?: number;
    /** Reports the agent set aside after the API refused them, as it last told. */
    set_aside?: { count: number; last_status?: number; last_error?: string };
  };
  /** null when the report had no `errors` field (an empty list is kept as sent). */
  errors: CollectorError[] | null;
  /** The encoded per-execution values (metrics-codec.ts). */
  metrics: Uint8Array;
  /** Bits of the inventory sections it holds (inventory-kinds.ts). */
  sections: number;
  /** Deflated JSON {kind: order} of lists not sent in canonical order. */
  inventoryOrders: Uint8Array | null;
  /** Inventory lifetimes started or ended against the previous execution. */
  inventoryChanged: number | null;
}

export function executionRecordOf(row: Selectable<ExecutionsTable>): ExecutionRecord {
  const extra = row.extra
    ? (JSON.parse(row.extra) as {
        agent?: ExecutionRecord["agentExtra"];
        errors?: CollectorError[];
      })
    : {};
  return {
    id: row.id,
    hostId: row.host_id,
    reportId: row.report_id,
    pos: row.pos,
    collectedAt: row.collected_at,
    receivedAt: row.received_at,
    processCount: row.process_count,
    sessionCount: row.session_count,
    sessionsKnown: row.sessions_known === 1,
    cpuUsage: row.cpu_usage,
    memoryAvailable: row.memory_available,
    factsId: row.facts_id,
    changes:
      row.processes_started === null
        ? null
        : {
            processes_started: row.processes_started,
            processes_ended: row.processes_ended ?? 0,
            sessions_opened: row.sessions_opened ?? 0,
            sessions_closed: row.sessions_closed ?? 0,
            facts_changed: row.facts_changed ?? 0,
            // Said only of executions that hold an inventory (older agents send none).
            ...(row.inventory_changed !== null && (row.sections !== 0 || row.inventory_changed > 0)
              ? { inventory_changed: row.inventory_changed }
              : {}),
          },
    agentExtra: extra.agent ?? {},
    errors: extra.errors ?? null,
    metrics: row.metrics,
    sections: row.sections,
    inventoryOrders: row.inventory_orders,
    inventoryChanged: row.inventory_changed,
  };
}

/**
 * What an execution's errors say was not collected, as the API's `*_known` flags: a value
 * not collected is unknown, never 0.
 */
export function knownFlags(errors: readonly CollectorError[] | null | undefined) {
  const missing = (collector: string) => errors?.some((e) => e.collector === collector) ?? false;
  return {
    cpu_usage_known: !missing("cpu"),
    memory_known: !missing("memory"),
    processes_known: !missing("processes"),
  };
}

/** The API's shape of an execution. */
export function toExecution(e: ExecutionRecord): Execution {
  return {
    report_id: e.reportId,
    host_id: e.hostId,
    collected_at: e.collectedAt,
    received_at: new Date(e.receivedAt).toISOString(),
    process_count: e.processCount,
    session_count: e.sessionCount,
    sessions_known: e.sessionsKnown,
    cpu_usage_percent: e.cpuUsage,
    memory_available_bytes: e.memoryAvailable,
    ...knownFlags(e.errors),
    changes: e.changes,
    errors: e.errors ?? [],
  };
}

/** An API token, without its secret: the contract's shape. */
export type TokenRecord = Token;

/** The host a node key belongs to: the only host it may write. */
export interface NodeIdentity {
  id: number;
  identifier: string;
  source: string;
}

export interface PruneResult {
  hosts: number;
  executions: number;
  processSpans: number;
  sessionSpans: number;
  inventorySpans: number;
  facts: number;
  /** Bodies older systems' agents sent, kept beside the executions made of them. */
  legacyRequests: number;
}
