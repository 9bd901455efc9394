import { inflateRawSync } from "node:zlib";
import {
  compareText,
  type Report,
  type ReportProcess,
  type ReportSession,
} from "@compliance/contract";
import type { Db } from "./dialect.ts";
import type { Facts } from "./facts.ts";
import { compareSessionKeys } from "./identity.ts";
import {
  INVENTORY_KIND_BY_NAME,
  INVENTORY_KINDS,
  type InventoryKind,
  type InventorySpanRow,
  SETTINGS_BIT,
} from "./inventory-kinds.ts";
import { decodeMetrics } from "./metrics-codec.ts";
import type { ExecutionRecord } from "./records.ts";
import {
  type ProcessSpanRow,
  processOfRow,
  SESSION_SPANS,
  type SessionSpanRow,
  sessionOfRow,
} from "./span-kinds.ts";

// An execution's lists and its whole report, rebuilt from its spans, its facts and its
// metrics column: equal, field for field and in the order sent, to what the agent sent.

export async function processesOf(db: Db, e: ExecutionRecord): Promise<ReportProcess[]> {
  const spans: ProcessSpanRow[] = await db
    .selectFrom("process_spans")
    .selectAll()
    .where("host_id", "=", e.hostId)
    .where("last_pos", ">=", e.pos)
    .where("first_pos", "<=", e.pos)
    .orderBy("pid")
    .execute();
  const m = decodeMetrics(
    e.metrics,
    spans.map((s) => ({ baseCpu: s.base_cpu, baseRss: s.base_rss })),
  );
  const canonical = spans.map((s, i) => processOfRow(s, m.cpu[i]!, m.rss[i]!));
  return m.processOrder ? m.processOrder.map((c) => canonical[c]!) : canonical;
}

export async function sessionsOf(db: Db, e: ExecutionRecord): Promise<ReportSession[]> {
  const spans: SessionSpanRow[] = await db
    .selectFrom("session_spans")
    .selectAll()
    .where("host_id", "=", e.hostId)
    .where("last_pos", ">=", e.pos)
    .where("first_pos", "<=", e.pos)
    .execute();
  const canonical = spans
    .map((row) => ({ key: SESSION_SPANS.keyOfRow(row), s: sessionOfRow(row) }))
    .sort((a, b) => compareSessionKeys(a.key, b.key))
    .map((x) => x.s);
  const m = decodeMetrics(e.metrics, new Array(e.processCount).fill({ baseCpu: 0, baseRss: 0 }));
  return m.sessionOrder ? m.sessionOrder.map((c) => canonical[c]!) : canonical;
}

/**
 * The inventory sections of an execution, exactly as sent: the kinds whose bit it holds,
 * each in the order sent. Returns the sections to add to a report.
 */
export async function inventoryOf(
  db: Db,
  e: ExecutionRecord,
  only: readonly InventoryKind[] = INVENTORY_KINDS,
): Promise<Partial<Report>> {
  const section: Partial<Report> = {};
  if (e.sections & SETTINGS_BIT) section.settings = {};
  const kinds = only.filter((k) => (e.sections & k.bit) !== 0);
  if (kinds.length === 0) return section;
  const rows: InventorySpanRow[] = await db
    .selectFrom("inventory_spans")
    .selectAll()
    .where("host_id", "=", e.hostId)
    .where(
      "kind",
      "in",
      kinds.map((k) => k.kind),
    )
    .where("last_pos", ">=", e.pos)
    .where("first_pos", "<=", e.pos)
    .execute();
  const orders: Record<string, number[]> = e.inventoryOrders
    ? JSON.parse(inflateRawSync(e.inventoryOrders).toString("utf8"))
    : {};
  const byKind = new Map<string, string[]>(kinds.map((k) => [k.kind, []]));
  for (const row of rows) byKind.get(row.kind)?.push(row.body);
  for (const kind of kinds) {
    const canonical = byKind
      .get(kind.kind)!
      .sort(compareText)
      .map((b) => JSON.parse(b) as object);
    const order = orders[kind.kind];
    INVENTORY_KIND_BY_NAME.get(kind.kind)!.putInto(
      section as Report,
      order ? order.map((c) => canonical[c]!) : canonical,
    );
  }
  return section;
}

/** The whole report of an execution, equal to the one received. */
export async function reportOf(db: Db, e: ExecutionRecord, identifier: string): Promise<Report> {
  const [facts, processes, sessions, inventory] = await Promise.all([
    loadFacts(db, e.factsId),
    processesOf(db, e),
    sessionsOf(db, e),
    inventoryOf(db, e),
  ]);
  const host: Report["host"] = {
    identifier,
    hostname: facts.host.hostname,
    ip_addresses: facts.host.ip_addresses,
  };
  if (facts.host.primary_ip !== undefined) host.primary_ip = facts.host.primary_ip;
  const report: Report = {
    schema_version: 1,
    report_id: e.reportId,
    collected_at: e.collectedAt,
    agent: { version: facts.agent.version, ...e.agentExtra },
    host,
    os: facts.os,
    cpu: { ...facts.cpu, usage_percent: e.cpuUsage },
    memory: { total_bytes: facts.memory.total_bytes, available_bytes: e.memoryAvailable },
    processes,
    sessions,
    ...inventory,
  };
  if (e.errors !== null) report.errors = e.errors;
  return report;
}

export async function loadFacts(db: Db, factsId: number): Promise<Facts> {
  const row = await db
    .selectFrom("host_facts")
    .select("body")
    .where("id", "=", factsId)
    .executeTakeFirstOrThrow();
  return JSON.parse(row.body) as Facts;
}
