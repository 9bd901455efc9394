import { createHash } from "node:crypto";
import { deflateRawSync } from "node:zlib";
import {
  compareText,
  type Report,
  type ReportProcess,
  type ReportSession,
} from "@compliance/contract";
import type { ReportTexts } from "@compliance/contract/digest";
import type { Insertable } from "kysely";
import { type Facts, factChanges, factsBody, factsOf } from "./facts.ts";
import { compareProcesses, compareSessionKeys } from "./identity.ts";
import {
  INVENTORY_KINDS,
  type InventoryKind,
  type InventorySpanRow,
  type KeyedItem,
  keysOf,
  sectionsOf,
} from "./inventory-kinds.ts";
import { encodeMetrics, orderOf } from "./metrics-codec.ts";
import type { ExecutionsTable, HostStateTable } from "./schema.ts";
import {
  PROCESS_SPANS,
  type ProcessSpanRow,
  SESSION_SPANS,
  type SessionSpanRow,
  type SpanKind,
} from "./span-kinds.ts";
import { type LoadedSpan, planSpans, type SpanPlan } from "./span-planner.ts";

/**
 * How one report becomes writes, as a pure function: from the report, the state of its host
 * and the lifetimes around its position to the rows to insert and update. The repository
 * (ingest.repository.ts) reads that input inside the report's transaction and applies the
 * plan; everything decided in between is here, and tested on its own.
 */

/** What ingest derives from a report alone, before reading anything. */
export interface PreparedReport {
  report: Report;
  collectedMs: number;
  /** Processes in canonical (pid) order, with their identity keys (shared: never changed). */
  processes: readonly { key: string; item: ReportProcess }[];
  /** Sessions in canonical (key) order (shared: never changed). */
  sessions: readonly { key: string; item: ReportSession }[];
  processHash: string;
  sessionHash: string;
  facts: Facts;
  factsBody: string;
  factsHash: string;
  /** Distinct process names ("p") and session users ("u"): what the host runs now. */
  names: { kind: "p" | "u"; name: string }[];
  namesHash: string;
  sessionsKnown: boolean;
  /** Every inventory kind's items (none when its section is absent) and their hash. */
  inventory: { kind: InventoryKind; items: readonly KeyedItem[]; hash: string }[];
  /** The bits of the inventory sections the report holds. */
  sections: number;
  /** The order lists were sent in, where it is not the canonical one. */
  inventoryOrders: Uint8Array | null;
}

/** The parts of a host's row (and its state row) that ingest builds on. */
export interface HostState {
  factsId: number | null;
  factsHash: string | null;
  latestPos: number | null;
  firstPos: number | null;
  changedPos: number | null;
  lastReceivedAt: number | null;
  executions: number;
  /** The latest execution's identity hashes and process baselines; null before any. */
  state: Omit<HostStateTable, "host_id"> | null;
}

/** An execution next to the new one in its host's history. */
export interface Neighbour {
  id: number;
  pos: number;
  factsId: number;
  sessionsKnown: boolean;
  /** Its inventory sections (bits); read only when an inventory kind changed. */
  sections?: number | undefined;
}

/** Where the new execution goes: its position and its neighbours. */
export interface Placement {
  pos: number;
  prev: Neighbour | null;
  next: Neighbour | null;
}

/** What the repository read for the plan. */
export interface IngestInput {
  hostId: number;
  receivedAt: number;
  host: HostState;
  placement: Placement;
  /** The spans around the position; null for a kind whose identities did not change. */
  processSpans: ProcessSpanRow[] | null;
  sessionSpans: SessionSpanRow[] | null;
  /** The spans around the position of each inventory kind that changed, by kind. */
  inventorySpans: Map<string, InventorySpanRow[]>;
  /** The facts row holding this report's facts already, if any. */
  factsId: number | null;
  /** The neighbours' facts, read when they differ from this report's. */
  prevFacts: Facts | null;
  nextFacts: Facts | null;
  /**
   * Span plans made without reading spans, for a report appended after the latest execution
   * whose spans the store knew (planAppend), by kind name; such a kind's spans are not read.
   */
  appended: Map<string, SpanPlan<LoadedSpan>>;
  /** Baselines of the latest execution's process spans, by span id, for `appended`. */
  latestBases: Map<number, { baseCpu: number; baseRss: number }> | null;
}

/** The name a kind of lifetime goes by in `IngestInput.appended` and LatestSpans. */
export const kindName = (kind: { kind?: string | undefined; table: string }) =>
  kind.kind ?? kind.table;

export interface SpanWrites {
  kind: SpanKind<never, never>;
  setLast: { id: number; last: number }[];
  setFirst: { id: number; first: number }[];
  insert: object[];
}

type ChangeCounts = Pick<
  ExecutionsTable,
  | "processes_started"
  | "processes_ended"
  | "sessions_opened"
  | "sessions_closed"
  | "facts_changed"
  | "inventory_changed"
>;

export interface IngestPlan {
  spans: SpanWrites[];
  /** The span plan of each kind that has one (its items' spans changed), by kind name. */
  plans: Map<string, SpanPlan<LoadedSpan>>;
  /** The facts row the execution points at: an existing one, or one to insert. */
  facts: { id: number } | { insert: { host_id: number; hash: string; body: string } };
  /** The execution row, but for facts_id (known once the facts row is). */
  execution: Omit<Insertable<ExecutionsTable>, "id" | "facts_id">;
  /** The next execution's change counts, which now compare with the new one. */
  next: { id: number; counts: ChangeCounts } | null;
  /**
   * The host row: all of it for a newest execution (which also becomes its latest, and
   * points the host at its facts row when they changed), only the totals for an older one.
   */
  host: { set: Record<string, unknown>; newest: boolean; factsChanged: boolean };
  /** Replace the host's addresses with these (its facts changed). */
  addresses: string[] | null;
  /** The host's state row after this execution; null when it stays. */
  state: { row: HostStateTable; existed: boolean } | null;
  /** The host's current names after this execution; null when they stay. */
  names: { host_id: number; kind: "p" | "u"; name: string }[] | null;
}

const hashOf = (keys: readonly string[]) =>
  createHash("sha256").update(keys.join("\n")).digest("hex");

/**
 * What prepareReport derives from one list alone, by the list. A delta leaves every list it
 * does not change as its base's very array (applyDelta), so the lists of a host whose
 * processes, sessions or packages did not change are keyed, sorted and hashed once, not at
 * every check-in. Kept only for reports whose texts a digest wrote (deltas): a whole
 * report's arrays are new every time. An entry lives as long as its list (a cached base).
 */
const derivedFromList = new WeakMap<readonly unknown[], unknown>();

function fromList<T>(list: readonly unknown[] | undefined, keep: boolean, derive: () => T): T {
  if (!keep || list === undefined) return derive();
  const known = derivedFromList.get(list);
  if (known !== undefined) return known as T;
  const value = derive();
  derivedFromList.set(list, value);
  return value;
}

/** Sorted, so the same names met in another order hash the same. */
const distinct = (values: string[]) => [...new Set(values)].sort(compareText);

/** What a report stores, worked out once; `texts`: its lists' canonical texts, when known. */
export function prepareReport(report: Report, texts?: ReportTexts): PreparedReport {
  const keep = texts !== undefined;
  const proc = fromList(report.processes, keep, () => {
    const items = [...report.processes]
      .sort(compareProcesses)
      .map((item) => ({ key: PROCESS_SPANS.key(item), item }));
    return {
      items,
      hash: hashOf(items.map((p) => p.key)),
      names: distinct(items.map((p) => p.item.name)),
    };
  });
  const sess = fromList(report.sessions, keep, () => {
    const items = report.sessions
      .map((item) => ({ key: SESSION_SPANS.key(item), item }))
      .sort((a, b) => compareSessionKeys(a.key, b.key));
    return {
      items,
      hash: hashOf(items.map((s) => s.key)),
      users: distinct(report.sessions.map((s) => s.user)),
    };
  });
  const facts = factsOf(report);
  const { body, hash } = factsBody(facts);
  const names = [
    ...proc.names.map((name) => ({ kind: "p" as const, name })),
    ...sess.users.map((name) => ({ kind: "u" as const, name })),
  ];
  const orders: Record<string, number[]> = {};
  const inventory = INVENTORY_KINDS.map((kind) => {
    const sent = kind.itemsOf(report);
    const list = fromList(sent, keep, () => {
      const keys = keysOf(sent ?? [], texts);
      const items = (sent ?? [])
        .map((item, i) => ({ key: keys[i]!, item }))
        .sort((a, b) => compareText(a.key, b.key));
      return {
        items,
        hash: hashOf(items.map((i) => i.key)),
        // null for a list in canonical order (an absent one included).
        order: kind.ordered ? orderOf(keys, compareText) : null,
      };
    });
    if (list.order) orders[kind.kind] = list.order;
    return { kind, items: list.items, hash: list.hash };
  });
  return {
    report,
    collectedMs: Date.parse(report.collected_at),
    inventory,
    sections: sectionsOf(report),
    // The order each list section was sent in, where it is not canonical: deflated JSON.
    inventoryOrders: Object.keys(orders).length > 0 ? deflateRawSync(JSON.stringify(orders)) : null,
    processes: proc.items,
    sessions: sess.items,
    processHash: proc.hash,
    sessionHash: sess.hash,
    facts,
    factsBody: body,
    factsHash: hash,
    names,
    namesHash: hashOf(names.map((n) => `${n.kind}${n.name}`)),
    sessionsKnown: !report.errors?.some((e) => e.collector === "sessions"),
  };
}

/**
 * Which kinds of lifetime keep exactly the identities of the host's latest execution, so
 * that nothing of them is read or written: only for a report appended after the latest.
 */
export function unchangedKinds(
  prepared: PreparedReport,
  host: HostState,
  placement: Placement,
): { processes: boolean; sessions: boolean; inventory: Set<string> } {
  const appended = placement.next === null && placement.prev !== null && host.state !== null;
  const hashes: Record<string, string> =
    appended && host.state!.inventory_hashes ? JSON.parse(host.state!.inventory_hashes) : {};
  return {
    processes: appended && host.state!.process_hash === prepared.processHash,
    sessions: appended && host.state!.session_hash === prepared.sessionHash,
    inventory: new Set(
      prepared.inventory.filter((k) => hashes[k.kind.kind] === k.hash).map((k) => k.kind.kind),
    ),
  };
}

/** The writes that store `prepared` as an execution, given what was read. */
export function planIngest(prepared: PreparedReport, input: IngestInput): IngestPlan {
  const { hostId, placement } = input;
  const processes = planKind(PROCESS_SPANS, prepared.processes, input.processSpans, input);
  const sessions = planKind(SESSION_SPANS, prepared.sessions, input.sessionSpans, input);
  const inventory = prepared.inventory.map((k) =>
    planKind(k.kind, k.items, input.inventorySpans.get(k.kind.kind) ?? null, input),
  );
  const bases = processBases(prepared, input, processes.plan);
  const counts = changeCounts(prepared, input, processes.plan, sessions.plan);
  const inventoryCounts = inventoryChanges(input.placement, prepared, inventory);
  counts.own.inventory_changed = inventoryCounts.own;
  if (counts.next) counts.next.inventory_changed = inventoryCounts.next;
  const execution = executionRow(prepared, input, bases, counts.own);
  const spans = [processes, sessions, ...inventory].flatMap((k) => (k.writes ? [k.writes] : []));
  const newest = placement.next === null;
  const factsChanged = input.factsId === null || input.factsId !== input.host.factsId;
  const changedSomething = Object.values(counts.own).some((n) => (n ?? 0) > 0);
  const plans = new Map<string, SpanPlan<LoadedSpan>>();
  for (const [kind, k] of [
    [PROCESS_SPANS, processes],
    [SESSION_SPANS, sessions],
    ...prepared.inventory.map((p, i) => [p.kind, inventory[i]!] as const),
  ] as const) {
    if (k.plan) plans.set(kindName(kind as SpanKind<never, never>), k.plan);
  }
  const plan: IngestPlan = {
    spans: spans.map((w) => ({ ...w, insert: w.insert.map((r) => ({ host_id: hostId, ...r })) })),
    plans,
    facts:
      input.factsId !== null
        ? { id: input.factsId }
        : { insert: { host_id: hostId, hash: prepared.factsHash, body: prepared.factsBody } },
    execution,
    next: placement.next && counts.next ? { id: placement.next.id, counts: counts.next } : null,
    host: {
      set: newest
        ? latestHostColumns(prepared, input, execution, changedSomething, factsChanged)
        : olderHostColumns(input, execution.pos),
      newest,
      factsChanged: newest && factsChanged,
    },
    addresses: newest && factsChanged ? [...new Set(prepared.facts.host.ip_addresses)] : null,
    state: null,
    names: null,
  };
  if (newest && spans.length > 0) {
    plan.state = {
      row: {
        host_id: hostId,
        process_hash: prepared.processHash,
        session_hash: prepared.sessionHash,
        bases: JSON.stringify(bases.map((b) => [b.baseCpu, b.baseRss])),
        names_hash: prepared.namesHash,
        inventory_hashes: JSON.stringify(
          Object.fromEntries(prepared.inventory.map((k) => [k.kind.kind, k.hash])),
        ),
      },
      existed: input.host.state !== null,
    };
    if (prepared.namesHash !== input.host.state?.names_hash) {
      plan.names = prepared.names.map((n) => ({ host_id: hostId, ...n }));
    }
  }
  return plan;
}

interface KindPlan<Row> {
  /** Null when the kind kept the latest execution's identities (nothing to write). */
  plan: SpanPlan<LoadedSpan & { row: Row }> | null;
  writes: SpanWrites | null;
}

/** The span plan of one kind of lifetime, and the rows it writes. */
function planKind<Item, Row extends { id: number; first_pos: number; last_pos: number }>(
  kind: SpanKind<Item, Row>,
  items: readonly { key: string; item: Item }[],
  loaded: Row[] | null,
  input: IngestInput,
): KindPlan<Row> {
  const { placement } = input;
  const appended = input.appended.get(kindName(kind as SpanKind<never, never>));
  if (appended) {
    // Appended with the latest execution's spans known: no copies (they cut spans around a
    // report placed between two others), so no row of a span is needed.
    return {
      plan: appended as SpanPlan<LoadedSpan & { row: Row }>,
      writes: writesOf(kind, items, appended),
    };
  }
  if (loaded === null) return { plan: null, writes: null };
  const plan = planSpans({
    pos: placement.pos,
    prevPos: placement.prev?.pos ?? null,
    nextPos: placement.next?.pos ?? null,
    loaded: loaded.map((row) => ({
      id: row.id,
      first: row.first_pos,
      last: row.last_pos,
      key: kind.keyOfRow(row),
      row,
    })),
    items,
  });
  return { plan, writes: writesOf(kind, items, plan) };
}

function writesOf<Item, Row>(
  kind: SpanKind<Item, Row>,
  items: readonly { key: string; item: Item }[],
  plan: SpanPlan<LoadedSpan & { row?: Row }>,
): SpanWrites {
  const insert: object[] = plan.newFromItems.map((n) => ({
    first_pos: n.first,
    last_pos: n.last,
    ...kind.columnsOf(items[n.index]!.item, items[n.index]!.key),
  }));
  for (const c of plan.copies) {
    const {
      id: _id,
      host_id: _host,
      ...rest
    } = c.from.row as Row & { id: number; host_id: number };
    insert.push({ ...rest, first_pos: c.first, last_pos: c.last });
  }
  return {
    kind: kind as SpanKind<never, never>,
    setLast: plan.setLast,
    setFirst: plan.setFirst,
    insert,
  };
}

/**
 * Inventory lifetimes started or ended: of the new execution against prev (null without
 * one), and of next against the new one. A kind left as it was changes nothing, and so
 * does a kind that either side did not collect: unknown is not a change (as for sessions).
 */
function inventoryChanges(
  placement: Placement,
  prepared: PreparedReport,
  kinds: KindPlan<unknown>[],
): { own: number | null; next: number | null } {
  const { prev, next } = placement;
  const both = (bit: number, other: Neighbour | null) =>
    (prepared.sections & bit) !== 0 && ((other?.sections ?? 0) & bit) !== 0;
  let own = 0;
  let nextCount = 0;
  kinds.forEach(({ plan }, i) => {
    const bit = prepared.inventory[i]!.kind.bit;
    if (plan?.changes && both(bit, prev)) own += plan.changes.started + plan.changes.ended;
    if (plan?.nextChanges && both(bit, next)) {
      nextCount += plan.nextChanges.started + plan.nextChanges.ended;
    }
  });
  return { own: prev ? own : null, next: next ? nextCount : null };
}

/** Each process's baseline (in pid order): its span's, or its own values for a new span. */
function processBases(
  prepared: PreparedReport,
  input: IngestInput,
  plan: SpanPlan<LoadedSpan & { row: ProcessSpanRow }> | null,
): { baseCpu: number; baseRss: number }[] {
  if (plan === null) {
    const stored = JSON.parse(input.host.state!.bases) as [number, number][];
    return stored.map(([baseCpu, baseRss]) => ({ baseCpu, baseRss }));
  }
  const byId =
    input.processSpans === null && input.latestBases
      ? input.latestBases
      : new Map(
          (input.processSpans ?? []).map((row) => [
            row.id,
            { baseCpu: row.base_cpu, baseRss: row.base_rss },
          ]),
        );
  return plan.spans.map((ref, i) => {
    if (ref.kind === "existing") return byId.get(ref.id)!;
    const p = prepared.processes[i]!.item;
    return { baseCpu: p.cpu_percent, baseRss: p.rss_bytes };
  });
}

const UNCHANGED = { started: 0, ended: 0 };

/** Change counts of the new execution (against prev) and of next (against the new one). */
function changeCounts(
  prepared: PreparedReport,
  input: IngestInput,
  processes: SpanPlan<LoadedSpan> | null,
  sessions: SpanPlan<LoadedSpan> | null,
): { own: ChangeCounts; next: ChangeCounts | null } {
  const { prev, next } = input.placement;
  const factsId = input.factsId;
  const factsChanged = (other: Neighbour | null, otherFacts: Facts | null) => {
    if (other === null) return null;
    if (other.factsId === factsId) return 0;
    return factChanges(otherFacts!, prepared.facts).length;
  };
  // Sessions that could not be read are unknown, not closed: no session changes then.
  const sessionCounts = (other: Neighbour | null, counts: typeof UNCHANGED | null) =>
    other === null || counts === null
      ? null
      : other.sessionsKnown && prepared.sessionsKnown
        ? counts
        : UNCHANGED;
  const own = processes ? processes.changes : prev ? UNCHANGED : null;
  const ownSessions = sessionCounts(prev, sessions ? sessions.changes : prev ? UNCHANGED : null);
  const nextProcesses = processes?.nextChanges ?? null;
  const nextSessions = sessionCounts(next, sessions?.nextChanges ?? null);
  return {
    own: {
      processes_started: own?.started ?? null,
      processes_ended: own?.ended ?? null,
      sessions_opened: ownSessions?.started ?? null,
      sessions_closed: ownSessions?.ended ?? null,
      facts_changed: factsChanged(prev, input.prevFacts),
      inventory_changed: null,
    },
    next:
      next && nextProcesses && nextSessions
        ? {
            processes_started: nextProcesses.started,
            processes_ended: nextProcesses.ended,
            sessions_opened: nextSessions.started,
            sessions_closed: nextSessions.ended,
            facts_changed: factsChanged(next, input.nextFacts),
            inventory_changed: null,
          }
        : null,
  };
}

/** What an execution stores of the agent's extras and of what it could not collect. */
export function extraOf(report: Report): string | null {
  const extra: { agent?: object; errors?: Report["errors"] } = {};
  const { version: _version, ...agent } = report.agent;
  if (Object.keys(agent).length > 0) extra.agent = agent;
  if (report.errors !== undefined) extra.errors = report.errors;
  return Object.keys(extra).length > 0 ? JSON.stringify(extra) : null;
}

function executionRow(
  prepared: PreparedReport,
  input: IngestInput,
  bases: { baseCpu: number; baseRss: number }[],
  counts: ChangeCounts,
): IngestPlan["execution"] {
  const { report } = prepared;
  return {
    host_id: input.hostId,
    report_id: report.report_id,
    pos: input.placement.pos,
    collected_at: report.collected_at,
    received_at: input.receivedAt,
    process_count: report.processes.length,
    session_count: report.sessions.length,
    sessions_known: prepared.sessionsKnown ? 1 : 0,
    cpu_usage: report.cpu.usage_percent,
    memory_available: report.memory.available_bytes,
    metrics: encodeMetrics({
      values: prepared.processes.map(({ item }, i) => ({
        cpu: item.cpu_percent,
        rss: item.rss_bytes,
        baseCpu: bases[i]!.baseCpu,
        baseRss: bases[i]!.baseRss,
      })),
      processOrder: orderOf(report.processes, compareProcesses),
      sessionOrder: orderOf(report.sessions.map(SESSION_SPANS.key), compareSessionKeys),
    }),
    extra: extraOf(report),
    sections: prepared.sections,
    inventory_orders: prepared.inventoryOrders,
    ...counts,
  };
}

/**
 * The host row after a newest execution. Facts columns only when they changed: rewriting a
 * column with its own value still rewrites its index entries.
 */
function latestHostColumns(
  prepared: PreparedReport,
  input: IngestInput,
  execution: IngestPlan["execution"],
  changedSomething: boolean,
  factsChanged: boolean,
): Record<string, unknown> {
  const { host } = input;
  const { facts } = prepared;
  const factsColumns = !factsChanged
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
        facts_hash: prepared.factsHash,
      };
  const pos = execution.pos;
  return {
    ...factsColumns,
    latest_pos: pos,
    first_pos: host.firstPos ?? pos,
    changed_pos: changedSomething || input.placement.prev === null ? pos : host.changedPos,
    last_received_at: input.receivedAt,
    executions: host.executions + 1,
    process_count: execution.process_count,
    session_count: execution.session_count,
    sessions_known: execution.sessions_known,
    cpu_usage: execution.cpu_usage,
    memory_available: execution.memory_available,
  };
}

/** The host row after an execution placed before its latest: only the totals move. */
function olderHostColumns(input: IngestInput, pos: number): Record<string, unknown> {
  const { host } = input;
  return {
    executions: host.executions + 1,
    first_pos: host.firstPos === null ? pos : Math.min(host.firstPos, pos),
    last_received_at: Math.max(host.lastReceivedAt ?? 0, input.receivedAt),
  };
}
