import type { ReportProcess, ReportSession } from "@compliance/contract";
import type { Selectable } from "kysely";
import { processKey, sessionKey } from "./identity.ts";
import type { ProcessSpansTable, SessionSpansTable } from "./schema.ts";

// How each kind of lifetime ("span") maps between a report's items and its table's rows.
// The ingest plan and the rebuild of reports share these, so a kind is described once.

export type ProcessSpanRow = Selectable<ProcessSpansTable>;
export type SessionSpanRow = Selectable<SessionSpansTable>;

/** The columns of a new span row, without its id and range. */
type Columns<R> = Omit<R, "id" | "host_id" | "first_pos" | "last_pos">;

export interface SpanKind<Item, Row> {
  table: "process_spans" | "session_spans" | "inventory_spans";
  /** For a table shared by several kinds: the value of its `kind` column. */
  kind?: string;
  /** Column types for PostgreSQL's one-statement bulk insert. */
  postgresTypes: readonly (readonly [string, string])[];
  /** What makes two items "the same one" across executions. */
  key(item: Item): string;
  keyOfRow(row: Row): string;
  /** The columns of a new span of the item, whose key (key(item)) the caller has. */
  columnsOf(item: Item, key: string): Columns<Row>;
}

const RANGE_TYPES = [
  ["host_id", "bigint"],
  ["first_pos", "bigint"],
  ["last_pos", "bigint"],
] as const;

export const PROCESS_SPANS: SpanKind<ReportProcess, ProcessSpanRow> = {
  table: "process_spans",
  postgresTypes: [
    ...RANGE_TYPES,
    ["pid", "integer"],
    ["ppid", "integer"],
    ["name", "text"],
    ["user_name", "text"],
    ["started_at", "text"],
    ["cmdline", "text"],
    ["base_cpu", "float8"],
    ["base_rss", "bigint"],
  ],
  key: processKey,
  keyOfRow: (row) => processKey({ ...row, user: row.user_name }),
  columnsOf: (p) => ({
    pid: p.pid,
    ppid: p.ppid,
    name: p.name,
    user_name: p.user,
    started_at: p.started_at ?? null,
    cmdline: p.cmdline ?? null,
    base_cpu: p.cpu_percent,
    base_rss: p.rss_bytes,
  }),
};

export const SESSION_SPANS: SpanKind<ReportSession, SessionSpanRow> = {
  table: "session_spans",
  postgresTypes: [
    ...RANGE_TYPES,
    ["user_name", "text"],
    ["terminal", "text"],
    ["remote_host", "text"],
    ["started_at", "text"],
    ["pid", "integer"],
  ],
  key: sessionKey,
  keyOfRow: (row) => sessionKey({ ...row, user: row.user_name }),
  columnsOf: (s) => ({
    user_name: s.user,
    terminal: s.terminal,
    remote_host: s.remote_host ?? null,
    started_at: s.started_at ?? null,
    pid: s.pid ?? null,
  }),
};

/** A process as stored, with the CPU % and RSS of one execution. */
export function processOfRow(row: ProcessSpanRow, cpu: number, rss: number): ReportProcess {
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

/** A session as stored. */
export function sessionOfRow(row: SessionSpanRow): ReportSession {
  const s: ReportSession = { user: row.user_name, terminal: row.terminal };
  if (row.remote_host !== null) s.remote_host = row.remote_host;
  if (row.started_at !== null) s.started_at = row.started_at;
  if (row.pid !== null) s.pid = row.pid;
  return s;
}
