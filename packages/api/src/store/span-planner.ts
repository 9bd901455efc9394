import { OPEN } from "./positions.ts";

/**
 * How one execution changes the lifetimes ("spans") of its host's processes or sessions.
 *
 * A span says: this exact process (or session) was present in every execution of the host
 * from first_pos to last_pos. An execution's processes are the spans that contain its
 * position. Inserting execution N between its neighbours P (previous) and X (next) keeps
 * that true for every execution:
 *   - an item of N whose span already covers N (it runs across P..X): nothing to write;
 *   - an item whose span ends at P: the span grows to N (to OPEN if N is the newest);
 *   - an item whose span starts at X: the span starts at N instead;
 *   - otherwise a new span [N, N] ([N, OPEN] when N is the newest);
 *   - a span that covers N but whose item is missing from N is cut around N: it ends at
 *     P, and a copy (same baseline) starts at X when it reached X.
 * The common case, an unchanged check-in appended at the end, writes no span at all.
 * Pure: the store loads the spans and applies the plan.
 */

export interface LoadedSpan {
  id: number;
  first: number;
  last: number;
  key: string;
}

export interface PlanItem {
  key: string;
}

export type SpanRef = { kind: "existing"; id: number } | { kind: "new"; index: number };

export interface SpanPlan<S extends LoadedSpan> {
  /** Per item of N (same order): the span that holds it after the plan. */
  spans: SpanRef[];
  /** Items that need a new span, by index into the items. */
  newFromItems: { index: number; first: number; last: number }[];
  /** Copies of existing spans, for cuts. */
  copies: { from: S; first: number; last: number }[];
  setLast: { id: number; last: number }[];
  setFirst: { id: number; first: number }[];
  /** Against P; null when N has no predecessor. */
  changes: { started: number; ended: number } | null;
  /** X against N, its new predecessor; null when N is the newest. */
  nextChanges: { started: number; ended: number } | null;
}

export interface PlanInput<S extends LoadedSpan, I extends PlanItem> {
  pos: number;
  prevPos: number | null;
  nextPos: number | null;
  /** Every span of the host with last >= prevPos and first <= nextPos (or unbounded). */
  loaded: readonly S[];
  items: readonly I[];
}

export function planSpans<S extends LoadedSpan, I extends PlanItem>(
  input: PlanInput<S, I>,
): SpanPlan<S> {
  const { pos, prevPos, nextPos, loaded, items } = input;
  const newest = nextPos === null;
  const contains = (s: LoadedSpan, p: number) => s.first <= p && s.last >= p;

  const covering = new Map<string, S>();
  const endingAtPrev = new Map<string, S>();
  const startingAtNext = new Map<string, S>();
  const prevKeys = new Set<string>();
  const nextKeys = new Set<string>();
  for (const s of loaded) {
    if (contains(s, pos)) covering.set(s.key, s);
    else if (prevPos !== null && s.last === prevPos) endingAtPrev.set(s.key, s);
    else if (nextPos !== null && s.first === nextPos) startingAtNext.set(s.key, s);
    if (prevPos !== null && contains(s, prevPos)) prevKeys.add(s.key);
    if (nextPos !== null && contains(s, nextPos)) nextKeys.add(s.key);
  }

  const plan: SpanPlan<S> = {
    spans: [],
    newFromItems: [],
    copies: [],
    setLast: [],
    setFirst: [],
    changes: null,
    nextChanges: null,
  };
  const itemKeys = new Set<string>();
  items.forEach((item, index) => {
    itemKeys.add(item.key);
    const cover = covering.get(item.key);
    if (cover) {
      plan.spans.push({ kind: "existing", id: cover.id });
      return;
    }
    const before = endingAtPrev.get(item.key);
    if (before) {
      plan.setLast.push({ id: before.id, last: newest ? OPEN : pos });
      plan.spans.push({ kind: "existing", id: before.id });
      return;
    }
    const after = startingAtNext.get(item.key);
    if (after) {
      plan.setFirst.push({ id: after.id, first: pos });
      plan.spans.push({ kind: "existing", id: after.id });
      return;
    }
    plan.spans.push({ kind: "new", index: plan.newFromItems.length });
    plan.newFromItems.push({ index, first: pos, last: newest ? OPEN : pos });
  });

  for (const s of covering.values()) {
    if (itemKeys.has(s.key)) continue;
    // A span starting after P holds nothing before N (retention may leave a span whose
    // first execution is gone): it is not cut, it starts later or holds nothing kept.
    if (prevPos !== null && s.first <= prevPos) {
      plan.setLast.push({ id: s.id, last: prevPos });
      if (nextPos !== null && s.last >= nextPos)
        plan.copies.push({ from: s, first: nextPos, last: s.last });
    } else if (nextPos !== null && s.last >= nextPos) {
      // N is the oldest kept execution: the span simply starts later.
      plan.setFirst.push({ id: s.id, first: nextPos });
    } else {
      // Only possible for a span left over by retention; it covers nothing kept.
      plan.setLast.push({ id: s.id, last: pos - 1 });
    }
  }

  if (prevPos !== null) plan.changes = difference(prevKeys, itemKeys);
  if (nextPos !== null) plan.nextChanges = difference(itemKeys, nextKeys);
  return plan;
}

function difference(before: Set<string>, after: Set<string>) {
  let started = 0;
  let ended = 0;
  for (const k of after) if (!before.has(k)) started++;
  for (const k of before) if (!after.has(k)) ended++;
  return { started, ended };
}

/** The lifetimes of one kind that hold a host's latest execution's items. */
export interface LatestKind {
  /** The items' keys, in canonical order. */
  keys: readonly string[];
  /** The id of each item's span, in the same order; every one of them is open. */
  ids: readonly number[];
}

export interface AppendInput<I extends PlanItem> {
  pos: number;
  /** The position of P, the host's latest execution, after which N is appended. */
  prevPos: number;
  /** P's items of this kind and their spans. */
  latest: LatestKind;
  items: readonly I[];
}

/**
 * planSpans for an execution N appended after P, the host's latest, knowing P's items and
 * their (open) spans instead of reading every span: an item of P kept in N keeps its span,
 * an item of P gone from N has its span end at P, an item new in N gets a new open span.
 * That is what planSpans decides when P is the newest, since the spans open there are
 * exactly P's items. Null when keys repeat within P or N (each key names one item).
 */
export function planAppend<I extends PlanItem>(
  input: AppendInput<I>,
): { plan: SpanPlan<LoadedSpan>; ended: { id: number; key: string }[] } | null {
  const { pos, prevPos, latest, items } = input;
  const before = new Map<string, number>();
  for (let i = 0; i < latest.keys.length; i++) before.set(latest.keys[i]!, latest.ids[i]!);
  if (before.size !== latest.keys.length) return null;
  const plan: SpanPlan<LoadedSpan> = {
    spans: [],
    newFromItems: [],
    copies: [],
    setLast: [],
    setFirst: [],
    changes: null,
    nextChanges: null,
  };
  const itemKeys = new Set<string>();
  items.forEach((item, index) => {
    itemKeys.add(item.key);
    const id = before.get(item.key);
    if (id !== undefined) {
      plan.spans.push({ kind: "existing", id });
      return;
    }
    plan.spans.push({ kind: "new", index: plan.newFromItems.length });
    plan.newFromItems.push({ index, first: pos, last: OPEN });
  });
  if (itemKeys.size !== items.length) return null;
  const ended: { id: number; key: string }[] = [];
  for (const [key, id] of before) {
    if (itemKeys.has(key)) continue;
    ended.push({ id, key });
    plan.setLast.push({ id, last: prevPos });
  }
  plan.changes = { started: plan.newFromItems.length, ended: ended.length };
  return { plan, ended };
}
