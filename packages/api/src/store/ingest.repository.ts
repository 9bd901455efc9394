import { flatText, type Report } from "@compliance/contract";
import type { ReportTexts } from "@compliance/contract/digest";
import type { Transaction } from "kysely";
import { enqueueArchive } from "./archive.repository.ts";
import { runCompiled } from "./compiled-once.ts";
import type { Db, Dialect } from "./dialect.ts";
import { StoreError } from "./errors.ts";
import {
  type HostState,
  type IngestInput,
  type IngestPlan,
  kindName,
  type Neighbour,
  type Placement,
  type PreparedReport,
  planIngest,
  prepareReport,
  unchangedKinds,
} from "./ingest-plan.ts";
import { INVENTORY_KINDS, type InventorySpanRow } from "./inventory-kinds.ts";
import { type PolicyVerdict, storeVerdicts } from "./policy-runs.ts";
import { OPEN, POS_PER_MS, posOfTime, timeOfPos } from "./positions.ts";
import { executionRecordOf } from "./records.ts";
import { loadFacts, reportOf } from "./report-rebuild.ts";
import type { Database } from "./schema.ts";
import { PROCESS_SPANS, SESSION_SPANS, type SpanKind } from "./span-kinds.ts";
import { type LatestKind, type LoadedSpan, planAppend, type SpanPlan } from "./span-planner.ts";

export interface IngestOptions {
  /**
   * Evaluates the policies on the report (pure, no I/O), given when the previous execution
   * of the host was collected (ms; null for its first). Their statuses are stored with the
   * execution, in its transaction.
   */
  evaluate?: (report: Report, previousCollectedAt: number | null) => PolicyVerdict[];
  /**
   * Store only if the host's latest execution is still this one (null: the host has none
   * yet); otherwise a StoreError "latest_changed" and nothing written. For writers that
   * build a report from the latest one (read, change, write) on several API processes.
   */
  expectLatestReportId?: string | null;
  /**
   * The lifetimes of the host's latest execution, as an earlier ingest gave them
   * (IngestOutcome.latest). When they are still the latest's, a report appended after it
   * reads only the spans of the items it ended, and those by id, checked.
   */
  latest?: LatestSpans | undefined;
  /**
   * The canonical texts of the report's lists, when a digest wrote them (a delta's): the
   * inventory items' keys are those texts, so they are not written again.
   */
  texts?: ReportTexts | undefined;
}

/**
 * The spans open at a host's latest execution: for each kind of lifetime (kindName), its
 * items' keys and their spans' ids. Hints kept between check-ins: the store uses them only
 * for the execution they name, and checks each span it writes through them.
 */
export interface LatestSpans {
  reportId: string;
  kinds: Partial<Record<string, LatestKind>>;
}

/** An execution as stored: what a write answers with. */
export interface StoredExecution {
  id: number;
  hostId: number;
  reportId: string;
  pos: number;
  collectedAt: string;
  receivedAt: number;
}

export interface IngestOutcome {
  execution: StoredExecution;
  /** True when this report_id was already stored: nothing was written. */
  duplicate: boolean;
  /** The spans open at this execution, when it is the host's newest (for IngestOptions.latest). */
  latest?: LatestSpans | undefined;
  /**
   * What was read of the host's spans: none (no lifetime changed, or a duplicate), only
   * those the report ended (by IngestOptions.latest), or all those around its position.
   */
  spanReads?: "none" | "ended" | "around";
}

/** Rows of one statement updating a span column to one value. */
const CHUNK = 500;

/** The host's row and state as ingest reads them, under the host's lock. */
interface HostRead extends HostState {
  latestId: number | null;
  latestReportId: string | null;
  sessionsKnown: boolean;
  duplicateId: number | null;
}

/**
 * Stores reports as executions, one transaction each: reads what the plan needs
 * (ingest-plan.ts decides), then applies the plan. The only write path of history.
 */
export class IngestRepository {
  /**
   * `archive`: each new execution also gets a row in the archive's outbox, in its
   * transaction, so its report is written to the archive even if the process dies after.
   */
  constructor(
    private readonly dialect: Dialect,
    private readonly archive = false,
  ) {}

  /**
   * Stores one report as an execution of hostId. A report_id already stored for this host
   * returns that execution and writes nothing; stored for another host it is a StoreError.
   */
  ingest(
    hostId: number,
    report: Report,
    receivedAt: number,
    options: IngestOptions = {},
  ): Promise<IngestOutcome> {
    // Pure work first, outside the transaction (and, on SQLite, outside the group commit).
    const prepared = prepareReport(report, options.texts);
    return this.dialect.write(async (trx) => {
      // One writer per host at a time, across API replicas. What is read after the lock
      // (a new statement: a new snapshot on PostgreSQL and MySQL) includes whatever the
      // writer before us committed.
      await this.dialect.lockRow(trx, "hosts", hostId);
      const host = await readHost(trx, hostId, report.report_id);
      if (host.duplicateId !== null) return duplicateOf(trx, hostId, report.report_id);
      if (options.expectLatestReportId !== undefined) {
        await expectLatest(trx, host, options.expectLatestReportId);
      }
      const placement = await place(trx, hostId, host, prepared.collectedMs);
      const latest =
        options.latest && options.latest.reportId === host.latestReportId ? options.latest : null;
      const input = await this.readInput(
        trx,
        prepared,
        hostId,
        receivedAt,
        host,
        placement,
        latest,
      );
      const plan = planIngest(prepared, input);
      const id = await this.apply(trx, hostId, plan);
      const spans =
        placement.next === null
          ? await latestSpans(trx, hostId, report.report_id, prepared, input, plan, latest)
          : undefined;
      if (this.archive) await enqueueArchive(trx, id, receivedAt);
      if (options.evaluate) {
        const previous = placement.prev ? timeOfPos(placement.prev.pos) : null;
        const stored = {
          hostId,
          executionId: id,
          reportId: report.report_id,
          collectedAt: report.collected_at,
          receivedAt,
        };
        const verdicts = options.evaluate(report, previous);
        await storeVerdicts(trx, this.dialect, placement, stored, verdicts);
        // A late report changes what comes after it for the conditions that look at the
        // previous execution (freshness): the next one is evaluated again.
        if (placement.next) {
          await this.restateNext(trx, hostId, report, placement, options.evaluate);
        }
      }
      return {
        execution: {
          id,
          hostId,
          reportId: report.report_id,
          pos: placement.pos,
          collectedAt: report.collected_at,
          receivedAt,
        },
        duplicate: false,
        latest: spans,
        spanReads:
          input.processSpans || input.sessionSpans || input.inventorySpans.size > 0
            ? "around"
            : input.appended.size > 0
              ? "ended"
              : "none",
      };
    }, hostId);
  }

  /** Evaluates the execution after a late one again, now that its predecessor changed. */
  private async restateNext(
    trx: Transaction<Database>,
    hostId: number,
    report: Report,
    placement: Placement,
    evaluate: NonNullable<IngestOptions["evaluate"]>,
  ): Promise<void> {
    const next = placement.next!;
    const [row, after] = await Promise.all([
      trx.selectFrom("executions").selectAll().where("id", "=", next.id).executeTakeFirstOrThrow(),
      trx
        .selectFrom("executions")
        .select(["id", "pos", "facts_id", "sessions_known"])
        .where("host_id", "=", hostId)
        .where("pos", ">", next.pos)
        .orderBy("pos")
        .limit(1)
        .executeTakeFirst(),
    ]);
    const record = executionRecordOf(row);
    const nextReport = await reportOf(trx, record, report.host.identifier);
    const verdicts = evaluate(nextReport, timeOfPos(placement.pos));
    const around: Placement = {
      pos: next.pos,
      prev: { id: 0, pos: placement.pos, factsId: 0, sessionsKnown: true },
      next: after
        ? {
            id: after.id,
            pos: after.pos,
            factsId: after.facts_id,
            sessionsKnown: after.sessions_known === 1,
          }
        : null,
    };
    const stored = {
      hostId: record.hostId,
      executionId: record.id,
      reportId: record.reportId,
      collectedAt: record.collectedAt,
      receivedAt: record.receivedAt,
    };
    await storeVerdicts(trx, this.dialect, around, stored, verdicts, { events: false });
  }

  private async readInput(
    trx: Transaction<Database>,
    prepared: PreparedReport,
    hostId: number,
    receivedAt: number,
    host: HostRead,
    placement: Placement,
    latest: LatestSpans | null,
  ): Promise<IngestInput> {
    const unchanged = unchangedKinds(prepared, host, placement);
    const appended = new Map<string, SpanPlan<LoadedSpan>>();
    const appendedAfter =
      placement.next === null && placement.prev !== null ? placement.prev : null;
    // A kind that changed, appended after the latest execution whose spans are known: the
    // plan needs only the spans it ends, found by id and checked. Else every span around.
    const spansOf = async <Row>(kind: SpanKind<never, Row>, items: readonly { key: string }[]) => {
      const known = appendedAfter && latest?.kinds[kindName(kind)];
      if (known) {
        const fast = planAppend({
          pos: placement.pos,
          prevPos: appendedAfter.pos,
          latest: known,
          items,
        });
        if (fast && (await stillOpen(trx, kind, hostId, fast.ended))) {
          appended.set(kindName(kind), fast.plan);
          return null;
        }
      }
      return loadSpans(trx, kind, hostId, placement);
    };
    const factsId =
      host.factsHash === prepared.factsHash && host.factsId !== null
        ? host.factsId
        : await findFacts(trx, hostId, prepared.factsHash);
    const factsOfNeighbour = (n: Neighbour | null) =>
      n === null || n.factsId === factsId ? null : loadFacts(trx, n.factsId);
    const changedInventory = INVENTORY_KINDS.filter((k) => !unchanged.inventory.has(k.kind));
    const [processSpans, sessionSpans, prevFacts, nextFacts, ...inventory] = await Promise.all([
      unchanged.processes ? null : spansOf(asKind(PROCESS_SPANS), prepared.processes),
      unchanged.sessions ? null : spansOf(asKind(SESSION_SPANS), prepared.sessions),
      factsOfNeighbour(placement.prev),
      factsOfNeighbour(placement.next),
      ...changedInventory.map((k) =>
        spansOf(asKind(k), prepared.inventory.find((i) => i.kind === k)!.items),
      ),
    ]);
    const inventorySpans = new Map<string, InventorySpanRow[]>();
    changedInventory.forEach((k, i) => {
      const rows = inventory[i] as InventorySpanRow[] | null;
      if (rows) inventorySpans.set(k.kind, rows);
    });
    // Whether the neighbours held the changed kinds' sections decides what counts as change.
    if (changedInventory.length > 0) await readSections(trx, placement);
    return {
      hostId,
      receivedAt,
      host,
      placement,
      processSpans,
      sessionSpans,
      inventorySpans,
      factsId,
      prevFacts,
      nextFacts,
      appended,
      latestBases: appended.has(kindName(asKind(PROCESS_SPANS)))
        ? basesById(host, latest!.kinds[kindName(asKind(PROCESS_SPANS))]!)
        : null,
    };
  }

  /** Writes a plan; returns the new execution's id. */
  private async apply(trx: Transaction<Database>, hostId: number, plan: IngestPlan) {
    for (const writes of plan.spans) await this.applySpans(trx, writes);
    const factsId =
      "id" in plan.facts
        ? plan.facts.id
        : await this.dialect.insertReturningId(trx, "host_facts", plan.facts.insert);
    const executionId = await this.dialect.insertReturningId(trx, "executions", {
      ...plan.execution,
      facts_id: factsId,
    });
    if (plan.next) {
      await trx
        .updateTable("executions")
        .set(plan.next.counts)
        .where("id", "=", plan.next.id)
        .execute();
    }
    await trx
      .updateTable("hosts")
      .set({
        ...plan.host.set,
        ...(plan.host.newest ? { latest_execution_id: executionId } : {}),
        ...(plan.host.factsChanged ? { facts_id: factsId } : {}),
      })
      .where("id", "=", hostId)
      .execute();
    await this.applyHostSide(trx, hostId, plan);
    return executionId;
  }

  /** The host's addresses, current names and state row. */
  private async applyHostSide(trx: Transaction<Database>, hostId: number, plan: IngestPlan) {
    if (plan.addresses) {
      await trx.deleteFrom("host_addresses").where("host_id", "=", hostId).execute();
      const rows = plan.addresses.map((ip) => ({ host_id: hostId, ip }));
      await this.dialect.insertMany(trx, "host_addresses", rows);
    }
    if (plan.names) {
      await trx.deleteFrom("current_names").where("host_id", "=", hostId).execute();
      await this.dialect.insertMany(trx, "current_names", plan.names);
    }
    if (plan.state) {
      const { row, existed } = plan.state;
      if (existed) {
        await trx.updateTable("host_state").set(row).where("host_id", "=", hostId).execute();
      } else {
        await trx.insertInto("host_state").values(row).execute();
      }
    }
  }

  private async applySpans(trx: Transaction<Database>, writes: IngestPlan["spans"][number]) {
    const table = writes.kind.table;
    for (const [column, changes] of [
      ["last_pos", writes.setLast.map((c) => [c.id, c.last] as const)],
      ["first_pos", writes.setFirst.map((c) => [c.id, c.first] as const)],
    ] as const) {
      // Most changes set one value (the new position) on many spans: one statement each.
      const byValue = new Map<number, number[]>();
      for (const [id, value] of changes) byValue.set(value, [...(byValue.get(value) ?? []), id]);
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
    await this.dialect.insertMany(trx, table, writes.insert, writes.kind.postgresTypes);
  }
}

/** The host row, its state row and whether the report is stored already: one round trip. */
async function readHost(trx: Db, hostId: number, reportId: string): Promise<HostRead> {
  const result = await runCompiled(trx, "read host", { hostId, reportId }, (param) =>
    trx
      .selectFrom("hosts")
      .leftJoin("host_state", "host_state.host_id", "hosts.id")
      .select([
        (eb) =>
          eb
            .selectFrom("executions")
            .select("report_id")
            .whereRef("executions.id", "=", "hosts.latest_execution_id")
            .as("latest_report_id"),
        "hosts.facts_id",
        "hosts.facts_hash",
        "hosts.latest_pos",
        "hosts.latest_execution_id",
        "hosts.first_pos",
        "hosts.changed_pos",
        "hosts.last_received_at",
        "hosts.executions",
        "hosts.sessions_known",
        "host_state.process_hash",
        "host_state.session_hash",
        "host_state.bases",
        "host_state.names_hash",
        "host_state.inventory_hashes",
        (eb) =>
          eb
            .selectFrom("executions")
            .select("id")
            .where("report_id", "=", param("reportId"))
            .as("duplicate_id"),
      ])
      .where("hosts.id", "=", param("hostId")),
  );
  const row = result.rows[0];
  if (!row) throw new Error(`no host ${hostId}`);
  return {
    factsId: row.facts_id,
    factsHash: row.facts_hash,
    latestPos: row.latest_pos,
    latestId: row.latest_execution_id,
    latestReportId: row.latest_report_id ?? null,
    firstPos: row.first_pos,
    changedPos: row.changed_pos,
    lastReceivedAt: row.last_received_at,
    executions: row.executions,
    sessionsKnown: row.sessions_known === 1,
    duplicateId: row.duplicate_id ?? null,
    state:
      row.process_hash === null
        ? null
        : {
            process_hash: row.process_hash,
            session_hash: row.session_hash!,
            bases: row.bases!,
            names_hash: row.names_hash,
            inventory_hashes: row.inventory_hashes,
          },
  };
}

async function duplicateOf(trx: Db, hostId: number, reportId: string): Promise<IngestOutcome> {
  const row = await trx
    .selectFrom("executions")
    .select(["id", "host_id", "report_id", "pos", "collected_at", "received_at"])
    .where("report_id", "=", reportId)
    .executeTakeFirstOrThrow();
  if (row.host_id !== hostId) {
    throw new StoreError("report_id_taken", "report_id is already stored for another host");
  }
  return {
    execution: {
      id: row.id,
      hostId: row.host_id,
      reportId: row.report_id,
      pos: row.pos,
      collectedAt: row.collected_at,
      receivedAt: row.received_at,
    },
    duplicate: true,
  };
}

async function expectLatest(trx: Db, host: HostRead, expected: string | null): Promise<void> {
  const latest =
    host.latestId === null
      ? null
      : ((
          await trx
            .selectFrom("executions")
            .select("report_id")
            .where("id", "=", host.latestId)
            .executeTakeFirst()
        )?.report_id ?? null);
  if (latest !== expected) {
    throw new StoreError("latest_changed", "the host's latest execution changed meanwhile");
  }
}

/**
 * The new execution's position and neighbours. A report newer than the host's latest (the
 * usual case) or of the latest's millisecond needs no query; an older one is placed between
 * the executions around its time.
 */
async function place(trx: Db, hostId: number, host: HostRead, ms: number): Promise<Placement> {
  const base = posOfTime(ms);
  const latest: Neighbour | null =
    host.latestPos === null || host.latestId === null
      ? null
      : {
          id: host.latestId,
          pos: host.latestPos,
          factsId: host.factsId ?? 0,
          sessionsKnown: host.sessionsKnown,
        };
  if (latest === null || base > latest.pos) return { pos: base, prev: latest, next: null };
  if (timeOfPos(latest.pos) === ms) return { pos: latest.pos + 1, prev: latest, next: null };
  const same = await trx
    .selectFrom("executions")
    .select((eb) => eb.fn.max("pos").as("pos"))
    .where("host_id", "=", hostId)
    .where("pos", ">=", base)
    .where("pos", "<", base + POS_PER_MS)
    .executeTakeFirst();
  const pos = same?.pos == null ? base : Number(same.pos) + 1;
  if (pos >= base + POS_PER_MS) {
    throw new StoreError(
      "too_many_reports",
      "too many reports of this host collected in the same millisecond",
    );
  }
  const neighbour = (side: "<" | ">") =>
    trx
      .selectFrom("executions")
      .select(["id", "pos", "facts_id", "sessions_known"])
      .where("host_id", "=", hostId)
      .where("pos", side, pos)
      .orderBy("pos", side === "<" ? "desc" : "asc")
      .limit(1)
      .executeTakeFirst()
      .then((r) =>
        r
          ? { id: r.id, pos: r.pos, factsId: r.facts_id, sessionsKnown: r.sessions_known === 1 }
          : null,
      );
  const [prev, next] = await Promise.all([neighbour("<"), neighbour(">")]);
  return { pos, prev, next };
}

/** Every span of the kind that can be affected: last >= prev and first <= next. */
function loadSpans<Row>(
  trx: Db,
  kind: SpanKind<unknown, Row>,
  hostId: number,
  placement: Placement,
): Promise<Row[]> {
  let q = trx.selectFrom(kind.table).selectAll().where("host_id", "=", hostId);
  if (kind.kind !== undefined) q = q.where("kind" as never, "=", kind.kind as never);
  if (placement.prev) q = q.where("last_pos", ">=", placement.prev.pos);
  if (placement.next) q = q.where("first_pos", "<=", placement.next.pos);
  return q.execute() as Promise<Row[]>;
}

/** Reads the inventory sections of the neighbours into the placement. */
async function readSections(trx: Db, placement: Placement): Promise<void> {
  const neighbours = [placement.prev, placement.next].filter((n) => n !== null);
  if (neighbours.length === 0) return;
  const rows = await trx
    .selectFrom("executions")
    .select(["id", "sections"])
    .where(
      "id",
      "in",
      neighbours.map((n) => n.id),
    )
    .execute();
  for (const n of neighbours) n.sections = rows.find((r) => r.id === n.id)?.sections ?? 0;
}

async function findFacts(trx: Db, hostId: number, hash: string): Promise<number | null> {
  const row = await trx
    .selectFrom("host_facts")
    .select("id")
    .where("host_id", "=", hostId)
    .where("hash", "=", hash)
    .executeTakeFirst();
  return row?.id ?? null;
}

const asKind = <Item, Row>(kind: SpanKind<Item, Row>) => kind as unknown as SpanKind<never, Row>;

/**
 * Whether each span a plan ends through LatestSpans is still what they said: this host's,
 * open, and holding that item (a report placed before the latest may have cut it since).
 */
async function stillOpen<Row>(
  trx: Db,
  kind: SpanKind<never, Row>,
  hostId: number,
  ended: { id: number; key: string }[],
): Promise<boolean> {
  if (ended.length === 0) return true;
  const rows = (await trx
    .selectFrom(kind.table)
    .selectAll()
    .where(
      "id",
      "in",
      ended.map((e) => e.id),
    )
    .execute()) as (Row & { id: number; host_id: number; last_pos: number })[];
  if (rows.length !== ended.length) return false;
  const keys = new Map(ended.map((e) => [e.id, e.key]));
  return rows.every(
    (r) => r.host_id === hostId && r.last_pos === OPEN && kind.keyOfRow(r) === keys.get(r.id),
  );
}

/** The latest execution's process baselines (its state row, in pid order) by span id. */
function basesById(host: HostState, latest: LatestKind) {
  const stored = JSON.parse(host.state!.bases) as [number, number][];
  const byId = new Map<number, { baseCpu: number; baseRss: number }>();
  latest.ids.forEach((id, i) => {
    const [baseCpu, baseRss] = stored[i]!;
    byId.set(id, { baseCpu, baseRss });
  });
  return byId;
}

/**
 * The spans open at a newest execution, for the next ingest: a kind it kept as the latest's
 * keeps the latest's; a planned kind's ids are its plan's, those of new spans read back
 * (they are the host's spans opened at this position: a few rows by the spans' index).
 */
async function latestSpans(
  trx: Db,
  hostId: number,
  reportId: string,
  prepared: PreparedReport,
  input: IngestInput,
  plan: IngestPlan,
  latest: LatestSpans | null,
): Promise<LatestSpans> {
  const kinds: LatestSpans["kinds"] = {};
  const all: [SpanKind<never, never>, readonly { key: string }[]][] = [
    [asKind(PROCESS_SPANS) as SpanKind<never, never>, prepared.processes],
    [asKind(SESSION_SPANS) as SpanKind<never, never>, prepared.sessions],
    ...prepared.inventory.map(
      (k) =>
        [asKind(k.kind) as SpanKind<never, never>, k.items] as [
          SpanKind<never, never>,
          readonly { key: string }[],
        ],
    ),
  ];
  for (const [kind, items] of all) {
    const name = kindName(kind);
    const spanPlan = plan.plans.get(name);
    if (!spanPlan) {
      // Kept as the latest's: the same items, the same spans.
      const known = latest?.kinds[name];
      if (known) kinds[name] = known;
      continue;
    }
    let opened: Map<string, number> | null = null;
    if (spanPlan.newFromItems.length > 0) {
      let q = trx
        .selectFrom(kind.table)
        .selectAll()
        .where("host_id", "=", hostId)
        .where("last_pos", "=", OPEN)
        .where("first_pos", "=", input.placement.pos);
      if (kind.kind !== undefined) q = q.where("kind" as never, "=", kind.kind as never);
      const rows = (await q.execute()) as { id: number }[];
      opened = new Map(rows.map((r) => [kind.keyOfRow(r as never), r.id]));
    }
    const ids: number[] = [];
    for (const ref of spanPlan.spans) {
      const id =
        ref.kind === "existing"
          ? ref.id
          : opened?.get(items[spanPlan.newFromItems[ref.index]!.index]!.key);
      if (id === undefined) break;
      ids.push(id);
    }
    // Flat: kept until the next check-in (see flatText).
    if (ids.length === items.length) kinds[name] = { keys: items.map((i) => flatText(i.key)), ids };
  }
  return { reportId, kinds };
}
