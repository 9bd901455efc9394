import { canonicalJson } from "./canonical.ts";
import type { Report } from "./report.ts";

/**
 * Delta check-ins: what changed in a host's report since a report the API already holds.
 *
 * A delta names its base (`base_report_id`, a report of the same host the API stored) and
 * the digest of the whole report it describes. Applying it to the base gives that report
 * exactly; the API stores it as if it had been sent whole. Sections are replaced whole
 * (`set`) or dropped (`unset`); the lists say which of the base's items went (`removed`,
 * by index in the base), which changed (`changed`: the base's index and the fields that
 * differ, `null` for a field now absent) and which came (`added`: the index in the new
 * list and the item). Items kept stay in the base's order; a list whose order changed
 * otherwise is sent whole in `set`.
 *
 * This module has no schema library in it, so the agent can build deltas without loading
 * one; the schema is DeltaReportSchema (delta-schema.ts), the digest reportDigest()
 * (digest.ts, apart because it needs Node's crypto).
 */

/** The lists a delta can change item by item. */
export const DELTA_LISTS = [
  "processes",
  "sessions",
  "packages",
  "listening",
  "accounts",
  "services",
] as const;
export type DeltaListName = (typeof DELTA_LISTS)[number];

/** The sections of a report a delta may replace whole. */
export const DELTA_SECTIONS = [
  "agent",
  "host",
  "os",
  "cpu",
  "memory",
  ...DELTA_LISTS,
  "settings",
  "errors",
] as const;
export type DeltaSectionName = (typeof DELTA_SECTIONS)[number];

/** The sections a report may leave out, so a delta may drop. */
export const OPTIONAL_SECTIONS = [
  "packages",
  "listening",
  "accounts",
  "services",
  "settings",
  "errors",
] as const;
export type OptionalSectionName = (typeof OPTIONAL_SECTIONS)[number];

export interface ListDelta {
  /** Indexes in the base's list of the items gone, increasing. */
  removed?: number[];
  /** Items kept whose fields changed: the base's index, and each field's new value (null: gone). */
  changed?: { i: number; set: Record<string, unknown> }[];
  /** Items new in this report: where each is in the new list, increasing. */
  added?: { at: number; item: unknown }[];
}

export interface DeltaReport {
  schema_version: 1;
  report_id: string;
  collected_at: string;
  /** The report this delta applies to: one the API acknowledged for this host. */
  base_report_id: string;
  /** reportDigest() (digest.ts) of the whole report this delta describes. */
  digest: string;
  set?: Partial<Pick<Report, DeltaSectionName>>;
  unset?: OptionalSectionName[];
  lists?: Partial<Record<DeltaListName, ListDelta>>;
}

/** How an item of each list is recognised from one report to the next. */
const KEYS: Record<DeltaListName, (item: never) => string> = {
  // A pid names one process at a time (a report never holds a pid twice).
  processes: (p: { pid: number }) => String(p.pid),
  sessions: canonicalJson,
  packages: canonicalJson,
  listening: canonicalJson,
  accounts: canonicalJson,
  services: canonicalJson,
};

/** The fields of `to` that differ from `from`: new values, null for those gone. */
function fieldChanges(
  from: Record<string, unknown>,
  to: Record<string, unknown>,
): Record<string, unknown> | null {
  const set: Record<string, unknown> = {};
  let any = false;
  for (const [k, v] of Object.entries(to)) {
    if (v === undefined) continue;
    const before = from[k];
    if (before === v) continue;
    if (
      typeof v === "object" &&
      before !== undefined &&
      canonicalJson(before) === canonicalJson(v)
    ) {
      continue;
    }
    set[k] = v;
    any = true;
  }
  for (const [k, v] of Object.entries(from)) {
    if (v !== undefined && to[k] === undefined) {
      set[k] = null;
      any = true;
    }
  }
  return any ? set : null;
}

/**
 * One list's changes, or null when they cannot be said item by item (an item's key seen
 * twice, items kept in another order): the list then goes whole.
 */
function listDelta(kind: DeltaListName, base: readonly unknown[], next: readonly unknown[]) {
  const key = KEYS[kind] as (item: unknown) => string;
  const baseIndex = new Map<string, number>();
  for (const [i, item] of base.entries()) {
    const k = key(item);
    if (baseIndex.has(k)) return null;
    baseIndex.set(k, i);
  }
  const seen = new Set<string>();
  const kept = new Set<number>();
  const delta: Required<ListDelta> = { removed: [], changed: [], added: [] };
  let last = -1;
  for (const [at, item] of next.entries()) {
    const k = key(item);
    if (seen.has(k)) return null;
    seen.add(k);
    const i = baseIndex.get(k);
    if (i === undefined) {
      delta.added.push({ at, item });
      continue;
    }
    if (i < last) return null;
    last = i;
    kept.add(i);
    const set = fieldChanges(base[i] as Record<string, unknown>, item as Record<string, unknown>);
    if (set) delta.changed.push({ i, set });
  }
  for (let i = 0; i < base.length; i++) if (!kept.has(i)) delta.removed.push(i);
  const out: ListDelta = {};
  if (delta.removed.length > 0) out.removed = delta.removed;
  if (delta.changed.length > 0) out.changed = delta.changed;
  if (delta.added.length > 0) out.added = delta.added;
  return out;
}

/**
 * The delta that turns `base` (acknowledged as `baseReportId`) into `next`, whose
 * reportDigest() (digest.ts) is `digest`. Applying it to the base gives `next` exactly.
 */
export function makeDelta(
  base: Report,
  next: Report,
  baseReportId: string,
  digest: string,
): DeltaReport {
  const delta: DeltaReport = {
    schema_version: 1,
    report_id: next.report_id,
    collected_at: next.collected_at,
    base_report_id: baseReportId,
    digest,
  };
  const set: Record<string, unknown> = {};
  const unset: OptionalSectionName[] = [];
  const lists: Partial<Record<DeltaListName, ListDelta>> = {};
  const b = base as unknown as Record<string, unknown>;
  const n = next as unknown as Record<string, unknown>;
  for (const section of DELTA_SECTIONS) {
    const before = b[section];
    const now = n[section];
    if (now === undefined) {
      if (before !== undefined) unset.push(section as OptionalSectionName);
      continue;
    }
    if (before === undefined) {
      set[section] = now;
      continue;
    }
    if ((DELTA_LISTS as readonly string[]).includes(section)) {
      const changes = listDelta(section as DeltaListName, before as unknown[], now as unknown[]);
      if (changes === null) set[section] = now;
      else if (Object.keys(changes).length > 0) lists[section as DeltaListName] = changes;
      continue;
    }
    if (canonicalJson(before) !== canonicalJson(now)) set[section] = now;
  }
  if (Object.keys(set).length > 0) delta.set = set as DeltaReport["set"];
  if (unset.length > 0) delta.unset = unset;
  if (Object.keys(lists).length > 0) delta.lists = lists;
  return delta;
}

/** Why a delta does not apply to its base: where in the delta, and what. */
export interface DeltaMismatch {
  path: string;
  message: string;
}

function isIncreasing(values: readonly number[]): boolean {
  for (let i = 1; i < values.length; i++) if (values[i]! <= values[i - 1]!) return false;
  return true;
}

function applyList(
  base: readonly unknown[],
  changes: ListDelta,
  where: string,
): unknown[] | DeltaMismatch {
  const removed = changes.removed ?? [];
  const changed = changes.changed ?? [];
  const added = changes.added ?? [];
  if (!isIncreasing(removed)) return { path: `${where}/removed`, message: "must increase" };
  if (removed.length > 0 && removed[removed.length - 1]! >= base.length) {
    return {
      path: `${where}/removed/${removed.length - 1}`,
      message: `is past the base's ${base.length} items`,
    };
  }
  const patches = new Map<number, Record<string, unknown>>();
  const gone = new Set(removed);
  for (const [j, { i, set }] of changed.entries()) {
    if (i >= base.length || gone.has(i) || patches.has(i)) {
      return {
        path: `${where}/changed/${j}/i`,
        message: "is not an item of the base kept in this report",
      };
    }
    patches.set(i, set);
  }
  const length = base.length - removed.length + added.length;
  const positions = added.map((a) => a.at);
  if (!isIncreasing(positions)) return { path: `${where}/added`, message: "must increase by at" };
  if (positions.length > 0 && positions[positions.length - 1]! >= length) {
    return {
      path: `${where}/added/${positions.length - 1}/at`,
      message: `is past the ${length} items of the list`,
    };
  }
  const kept: unknown[] = [];
  for (const [i, item] of base.entries()) {
    if (gone.has(i)) continue;
    const set = patches.get(i);
    if (!set) {
      kept.push(item);
      continue;
    }
    if (typeof item !== "object" || item === null) {
      return { path: `${where}/changed`, message: "changes fields of an item that has none" };
    }
    const patched: Record<string, unknown> = { ...(item as Record<string, unknown>) };
    for (const [k, v] of Object.entries(set)) {
      if (v === null) delete patched[k];
      else patched[k] = v;
    }
    kept.push(patched);
  }
  const out: unknown[] = [];
  let next = 0;
  for (const { at, item } of added) {
    while (out.length < at) out.push(kept[next++]);
    out.push(item);
  }
  while (next < kept.length) out.push(kept[next++]);
  return out;
}

/**
 * The whole report a delta describes, from its base; or where the delta does not fit that
 * base (an index past its lists, an item changed twice). The result is not checked against
 * the report schema nor the digest here.
 */
export function applyDelta(base: Report, delta: DeltaReport): Report | DeltaMismatch {
  const out: Record<string, unknown> = { ...(base as unknown as Record<string, unknown>) };
  out.schema_version = delta.schema_version;
  out.report_id = delta.report_id;
  out.collected_at = delta.collected_at;
  for (const section of delta.unset ?? []) {
    if (out[section] === undefined) {
      return { path: `/unset`, message: `drops ${section}, which the base does not have` };
    }
    delete out[section];
  }
  for (const [section, value] of Object.entries(delta.set ?? {})) {
    if (value !== undefined) out[section] = value;
  }
  for (const [kind, changes] of Object.entries(delta.lists ?? {})) {
    if (!changes) continue;
    const where = `/lists/${kind}`;
    if (delta.set && (delta.set as Record<string, unknown>)[kind] !== undefined) {
      return { path: where, message: `changes ${kind}, which set replaces whole` };
    }
    const list = out[kind];
    if (!Array.isArray(list)) {
      return { path: where, message: `changes ${kind}, which the base does not have` };
    }
    const applied = applyList(list, changes, where);
    if (!Array.isArray(applied)) return applied;
    out[kind] = applied;
  }
  return out as unknown as Report;
}

/** Whether applyDelta gave a report rather than a mismatch. */
export function isMismatch(value: Report | DeltaMismatch): value is DeltaMismatch {
  return typeof (value as DeltaMismatch).path === "string" && !("report_id" in value);
}
