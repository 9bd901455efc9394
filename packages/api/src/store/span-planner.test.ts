import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { OPEN } from "./positions.ts";
import {
  type LoadedSpan,
  type PlanInput,
  planAppend,
  planSpans,
  type SpanPlan,
} from "./span-planner.ts";

/**
 * planSpans decides how one execution, placed at its position between its neighbours,
 * changes the lifetimes of its host's items. The table below follows the rules of the
 * store's design one by one; the property at the end applies every plan to an in-memory
 * model of the span table and checks that every execution still holds exactly its items.
 */

const span = (id: number, first: number, last: number, key: string): LoadedSpan => ({
  id,
  first,
  last,
  key,
});
const items = (...keys: string[]) => keys.map((key) => ({ key }));
const plan = (input: PlanInput<LoadedSpan, { key: string }>) => planSpans(input);

/** A plan that writes no span at all. */
function assertNoWrites(p: SpanPlan<LoadedSpan>) {
  assert.deepEqual(p.newFromItems, []);
  assert.deepEqual(p.copies, []);
  assert.deepEqual(p.setLast, []);
  assert.deepEqual(p.setFirst, []);
}

describe("planSpans: appending after the latest execution", () => {
  test("an unchanged execution writes nothing and counts no change", () => {
    const p = plan({
      pos: 3000,
      prevPos: 2000,
      nextPos: null,
      loaded: [span(1, 1000, OPEN, "a"), span(2, 2000, OPEN, "b")],
      items: items("a", "b"),
    });
    assertNoWrites(p);
    assert.deepEqual(p.spans, [
      { kind: "existing", id: 1 },
      { kind: "existing", id: 2 },
    ]);
    assert.deepEqual(p.changes, { started: 0, ended: 0 });
    assert.equal(p.nextChanges, null);
  });

  test("a process that ended closes its span at the previous position", () => {
    const p = plan({
      pos: 3000,
      prevPos: 2000,
      nextPos: null,
      loaded: [span(1, 1000, OPEN, "a"), span(2, 2000, OPEN, "b")],
      items: items("a"),
    });
    assert.deepEqual(p.setLast, [{ id: 2, last: 2000 }]);
    assert.deepEqual(p.setFirst, []);
    assert.deepEqual(p.copies, [], "nothing after N: no copy");
    assert.deepEqual(p.newFromItems, []);
    assert.deepEqual(p.changes, { started: 0, ended: 1 });
  });

  test("a new process opens [N, OPEN] when N is the newest", () => {
    const p = plan({
      pos: 3000,
      prevPos: 2000,
      nextPos: null,
      loaded: [span(1, 1000, OPEN, "a")],
      items: items("a", "new"),
    });
    assert.deepEqual(p.newFromItems, [{ index: 1, first: 3000, last: OPEN }]);
    assert.deepEqual(p.spans, [
      { kind: "existing", id: 1 },
      { kind: "new", index: 0 },
    ]);
    assert.deepEqual(p.setLast, []);
    assert.deepEqual(p.changes, { started: 1, ended: 0 });
  });

  test("a span that ends at P grows to OPEN when N is the newest", () => {
    const p = plan({
      pos: 3000,
      prevPos: 2000,
      nextPos: null,
      loaded: [span(1, 1000, 2000, "a")],
      items: items("a"),
    });
    assert.deepEqual(p.setLast, [{ id: 1, last: OPEN }]);
    assert.deepEqual(p.spans, [{ kind: "existing", id: 1 }]);
    assert.deepEqual(p.newFromItems, []);
  });

  test("a process back after a gap opens a new span; its old one is left alone", () => {
    // "a" ran until 1000, was missing at 2000 and is back at 3000: two lifetimes.
    const p = plan({
      pos: 3000,
      prevPos: 2000,
      nextPos: null,
      loaded: [span(1, 1000, 1000, "a"), span(2, 2000, OPEN, "b")],
      items: items("a", "b"),
    });
    assert.deepEqual(p.newFromItems, [{ index: 0, first: 3000, last: OPEN }]);
    assert.deepEqual(p.setLast, []);
    assert.deepEqual(p.changes, { started: 1, ended: 0 });
  });

  test("the first execution of a host opens a span per item and has no predecessor", () => {
    const p = plan({ pos: 5000, prevPos: null, nextPos: null, loaded: [], items: items("x", "y") });
    assert.deepEqual(p.newFromItems, [
      { index: 0, first: 5000, last: OPEN },
      { index: 1, first: 5000, last: OPEN },
    ]);
    assert.deepEqual(p.spans, [
      { kind: "new", index: 0 },
      { kind: "new", index: 1 },
    ]);
    assert.equal(p.changes, null);
    assert.equal(p.nextChanges, null);
  });

  test("an empty execution after an empty one writes nothing", () => {
    const p = plan({ pos: 2, prevPos: 1, nextPos: null, loaded: [], items: [] });
    assertNoWrites(p);
    assert.deepEqual(p.spans, []);
    assert.deepEqual(p.changes, { started: 0, ended: 0 });
  });
});

describe("planSpans: an execution placed between two others", () => {
  test("an item whose span runs across P..X costs nothing", () => {
    const p = plan({
      pos: 1500,
      prevPos: 1000,
      nextPos: 2000,
      loaded: [span(1, 1000, OPEN, "a")],
      items: items("a"),
    });
    assertNoWrites(p);
    assert.deepEqual(p.spans, [{ kind: "existing", id: 1 }]);
    assert.deepEqual(p.changes, { started: 0, ended: 0 });
    assert.deepEqual(p.nextChanges, { started: 0, ended: 0 });
  });

  test("an item whose span ends at P grows it to N (not to OPEN: N is not the newest)", () => {
    const p = plan({
      pos: 1500,
      prevPos: 1000,
      nextPos: 2000,
      loaded: [span(1, 500, 1000, "a")],
      items: items("a"),
    });
    assert.deepEqual(p.setLast, [{ id: 1, last: 1500 }]);
    assert.deepEqual(p.spans, [{ kind: "existing", id: 1 }]);
    assert.deepEqual(p.newFromItems, []);
    assert.deepEqual(p.changes, { started: 0, ended: 0 });
    assert.deepEqual(p.nextChanges, { started: 0, ended: 1 }, "a ended at X now, not at N");
  });

  test("an item whose span starts at X starts it at N instead", () => {
    const p = plan({
      pos: 1500,
      prevPos: 1000,
      nextPos: 2000,
      loaded: [span(1, 2000, OPEN, "a")],
      items: items("a"),
    });
    assert.deepEqual(p.setFirst, [{ id: 1, first: 1500 }]);
    assert.deepEqual(p.setLast, []);
    assert.deepEqual(p.spans, [{ kind: "existing", id: 1 }]);
    assert.deepEqual(p.changes, { started: 1, ended: 0 });
    assert.deepEqual(p.nextChanges, { started: 0, ended: 0 }, "a started at N now, not at X");
  });

  test("a new item opens [N, N] when N is not the newest", () => {
    const p = plan({
      pos: 1500,
      prevPos: 1000,
      nextPos: 2000,
      loaded: [],
      items: items("a"),
    });
    assert.deepEqual(p.newFromItems, [{ index: 0, first: 1500, last: 1500 }]);
    assert.deepEqual(p.changes, { started: 1, ended: 0 });
    assert.deepEqual(p.nextChanges, { started: 0, ended: 1 });
  });

  test("a span covering N whose item is missing is cut in two around N", () => {
    const from = span(7, 500, OPEN, "a");
    const p = plan({ pos: 1500, prevPos: 1000, nextPos: 2000, loaded: [from], items: [] });
    assert.deepEqual(p.setLast, [{ id: 7, last: 1000 }]);
    assert.deepEqual(p.copies, [{ from, first: 2000, last: OPEN }]);
    assert.equal(p.copies[0]!.from, from, "the copy keeps the loaded span (its baseline)");
    assert.deepEqual(p.newFromItems, []);
    assert.deepEqual(p.changes, { started: 0, ended: 1 });
    assert.deepEqual(p.nextChanges, { started: 1, ended: 0 });
  });

  test("a closed span covering N is cut into [first, P] and a copy [X, last]", () => {
    const from = span(7, 500, 3000, "a");
    const p = plan({ pos: 1500, prevPos: 1000, nextPos: 2000, loaded: [from], items: [] });
    assert.deepEqual(p.setLast, [{ id: 7, last: 1000 }]);
    assert.deepEqual(p.copies, [{ from, first: 2000, last: 3000 }]);
  });

  test("placed as the oldest execution: a span starting at X starts at N", () => {
    const p = plan({
      pos: 500,
      prevPos: null,
      nextPos: 1000,
      loaded: [span(1, 1000, OPEN, "a"), span(2, 1000, 1000, "b")],
      items: items("a", "c"),
    });
    assert.deepEqual(p.setFirst, [{ id: 1, first: 500 }]);
    assert.deepEqual(p.newFromItems, [{ index: 1, first: 500, last: 500 }]);
    assert.deepEqual(p.setLast, []);
    assert.equal(p.changes, null, "no predecessor");
    assert.deepEqual(p.nextChanges, { started: 1, ended: 1 }, "X gained b, lost c");
  });

  test("change counts compare N with P and X with N, whatever the loaded order", () => {
    // P = {a, b, c}, X = {b, c, d}; N = {a, d, e}.
    const loaded = [
      span(1, 100, 1000, "a"),
      span(2, 100, OPEN, "b"),
      span(3, 100, 3000, "c"),
      span(4, 2000, OPEN, "d"),
    ];
    for (const order of [loaded, [...loaded].reverse()]) {
      const p = plan({
        pos: 1500,
        prevPos: 1000,
        nextPos: 2000,
        loaded: order,
        items: items("a", "d", "e"),
      });
      assert.deepEqual(p.changes, { started: 2, ended: 2 }, "d, e started; b, c ended");
      assert.deepEqual(p.nextChanges, { started: 2, ended: 2 }, "b, c started; a, e ended");
    }
  });
});

/**
 * The in-memory model of a host's span table: spans as {first, last, key} records, and the
 * executions with the item set each one was sent with.
 */
class Model {
  spans: LoadedSpan[] = [];
  executions = new Map<number, Set<string>>();
  private nextId = 1;

  /** Places an execution through planSpans and applies the plan; returns the plan. */
  insert(pos: number, keys: readonly string[]): SpanPlan<LoadedSpan> {
    const positions = [...this.executions.keys()].sort((a, b) => a - b);
    const prevPos = positions.filter((p) => p < pos).at(-1) ?? null;
    const nextPos = positions.find((p) => p > pos) ?? null;
    // What the repository loads: last >= prev and first <= next.
    const loaded = this.spans
      .filter(
        (s) => (prevPos === null || s.last >= prevPos) && (nextPos === null || s.first <= nextPos),
      )
      .map((s) => ({ ...s }));
    const p = planSpans({ pos, prevPos, nextPos, loaded, items: keys.map((key) => ({ key })) });
    const byId = (id: number) => {
      const s = this.spans.find((x) => x.id === id);
      assert.ok(s, `the plan names span ${id}, which is not in the table`);
      return s;
    };
    const created: LoadedSpan[] = [];
    for (const n of p.newFromItems) {
      const s = span(this.nextId++, n.first, n.last, keys[n.index]!);
      created.push(s);
    }
    for (const c of p.copies) this.spans.push(span(this.nextId++, c.first, c.last, c.from.key));
    for (const u of p.setLast) byId(u.id).last = u.last;
    for (const u of p.setFirst) byId(u.id).first = u.first;
    this.spans.push(...created);
    this.executions.set(pos, new Set(keys));
    // Each item's span reference names a span holding that item at N.
    p.spans.forEach((ref, i) => {
      const s = ref.kind === "existing" ? byId(ref.id) : created[ref.index]!;
      assert.equal(s.key, keys[i], `item ${i}'s span holds another key`);
      assert.ok(s.first <= pos && pos <= s.last, `item ${i}'s span does not contain N`);
    });
    return p;
  }

  keysAt(pos: number): string[] {
    return this.spans
      .filter((s) => s.first <= pos && s.last >= pos)
      .map((s) => s.key)
      .sort();
  }

  /** Every execution is exactly its items, each held by one span (no duplicate keys). */
  check(): void {
    for (const [pos, expected] of this.executions) {
      assert.deepEqual(this.keysAt(pos), [...expected].sort(), `execution at ${pos}`);
    }
  }
}

describe("planSpans applied to a model of the span table", () => {
  const KEYS = ["a", "b", "c", "d", "e"];
  const historyArb = fc.array(
    fc.record({ pos: fc.integer({ min: 1, max: 200 }), keys: fc.subarray(KEYS) }),
    { minLength: 1, maxLength: 25 },
  );

  test("every execution (previous, new, next and all others) holds exactly its items", () => {
    fc.assert(
      fc.property(historyArb, (history) => {
        const model = new Model();
        for (const { pos, keys } of history) {
          if (model.executions.has(pos)) continue; // positions are unique
          const positions = [...model.executions.keys()].sort((a, b) => a - b);
          const prev = positions.filter((p) => p < pos).at(-1);
          const next = positions.find((p) => p > pos);
          const plan = model.insert(pos, keys);
          // The change counts are the differences of the item sets.
          const mine = new Set(keys);
          if (prev === undefined) assert.equal(plan.changes, null);
          else assert.deepEqual(plan.changes, counts(model.executions.get(prev)!, mine));
          if (next === undefined) assert.equal(plan.nextChanges, null);
          else assert.deepEqual(plan.nextChanges, counts(mine, model.executions.get(next)!));
          model.check();
        }
      }),
      { numRuns: 300 },
    );
  });

  test("appending an execution with the latest one's items writes nothing", () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 1, max: 50 }), (history, step) => {
        const model = new Model();
        for (const { pos, keys } of history) {
          if (!model.executions.has(pos)) model.insert(pos, keys);
        }
        const latest = Math.max(...model.executions.keys());
        const keys = [...model.executions.get(latest)!];
        const p = model.insert(latest + step, keys);
        assertNoWrites(p);
        assert.deepEqual(p.changes, { started: 0, ended: 0 });
        model.check();
      }),
      { numRuns: 200 },
    );
  });

  test("planAppend, from the latest execution's spans alone, plans what planSpans does", () => {
    fc.assert(
      fc.property(
        historyArb,
        fc.subarray(KEYS),
        fc.integer({ min: 1, max: 50 }),
        (h, keys, step) => {
          const model = new Model();
          for (const { pos, keys } of h) if (!model.executions.has(pos)) model.insert(pos, keys);
          const prevPos = Math.max(...model.executions.keys());
          const open = model.spans.filter((s) => s.first <= prevPos && s.last >= prevPos);
          const pos = prevPos + step;
          const items = keys.map((key) => ({ key }));
          const fast = planAppend({
            pos,
            prevPos,
            latest: { keys: open.map((s) => s.key), ids: open.map((s) => s.id) },
            items,
          });
          const loaded = model.spans.filter((s) => s.last >= prevPos).map((s) => ({ ...s }));
          const full = planSpans({ pos, prevPos, nextPos: null, loaded, items });
          assert.ok(fast);
          const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
          assert.deepEqual(fast.plan.spans, full.spans);
          assert.deepEqual(fast.plan.newFromItems, full.newFromItems);
          assert.deepEqual(fast.plan.setLast.sort(byId), full.setLast.sort(byId));
          assert.deepEqual(fast.plan.setFirst, full.setFirst);
          assert.deepEqual(fast.plan.copies, full.copies);
          assert.deepEqual(fast.plan.changes, full.changes);
          assert.deepEqual(
            fast.ended.map((e) => e.id).sort(),
            full.setLast.map((e) => e.id).sort(),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  test("planAppend declines keys that repeat", () => {
    const latest = { keys: ["a", "a"], ids: [1, 2] };
    assert.equal(planAppend({ pos: 20, prevPos: 10, latest, items: items("a") }), null);
    const once = { keys: ["a"], ids: [1] };
    assert.equal(planAppend({ pos: 20, prevPos: 10, latest: once, items: items("b", "b") }), null);
  });

  test("a span cut after retention is not extended to an execution it does not contain", () => {
    const model = new Model();
    // Retention deleted the execution at 20 (which had k) and kept 40 onwards: the span of
    // k keeps first_pos 20. A late report collected at 10, without k, was then stored.
    model.spans.push(span(100, 20, OPEN, "k"));
    model.executions.set(40, new Set(["k"]));
    model.insert(10, ["x"]);
    model.check();
    model.insert(30, ["x"]); // without k: the span is cut around 30
    model.check();
    model.insert(15, ["k", "x"]); // with k, between 10 and 30
    model.check();
  });
});

function counts(before: Set<string>, after: Set<string>) {
  return {
    started: [...after].filter((k) => !before.has(k)).length,
    ended: [...before].filter((k) => !after.has(k)).length,
  };
}
