import assert from "node:assert/strict";
import { test } from "node:test";
import { applyDelta, isMismatch, makeDelta, type Report } from "@compliance/contract";
import { reportDigest, reportDigestFrom } from "@compliance/contract/digest";
import { makeProcess, makeReport } from "../../test/helpers/reports.ts";
import { largeReport } from "../policies/report-fixtures.ts";
import type { LatestSpans } from "../store/store.ts";
import { type BaseFound, DeltaBases, estimatedBytes } from "./delta-bases.ts";

const reportOf = (host: number, round: number): Report =>
  makeReport({
    identifier: `h${host}`,
    report_id: `00000000-0000-4000-8000-${String(host * 1000 + round).padStart(12, "0")}`,
  });

test("a host's base is found by its report id only", () => {
  const bases = new DeltaBases(1024 * 1024);
  const r = reportOf(1, 0);
  bases.set(1, r);
  assert.equal(bases.get(1, r.report_id)?.report, r);
  assert.equal(bases.get(1, reportOf(1, 1).report_id), undefined);
  assert.equal(bases.get(2, r.report_id), undefined, "another host's id is no base");
  bases.set(1, reportOf(1, 1));
  assert.equal(bases.get(1, r.report_id), undefined, "a host keeps its latest only");
  assert.deepEqual(bases.sizes, { kept: 1, packed: 0 });
});

test("hosts checking in in turn, one more than fits: all but one keep their base", () => {
  const room = 3;
  let now = 0;
  const bases = new DeltaBases(room * estimatedBytes(reportOf(0, 0)), {
    forms: "kept",
    staleMs: 60_000,
    now: () => now,
  });
  let hits = 0;
  let lookups = 0;
  for (let round = 1; round <= 10; round++) {
    for (let host = 0; host <= room; host++) {
      now += 1000;
      if (round > 1) {
        lookups++;
        if (bases.get(host, reportOf(host, round - 1).report_id)) hits++;
      }
      bases.set(host, reportOf(host, round));
    }
  }
  // Dropping the least recently used would drop each host just before its turn: 0 hits.
  assert.equal(hits, 9 * room);
  assert.equal(lookups, 9 * (room + 1));
  assert.ok(bases.usedBytes.kept <= room * estimatedBytes(reportOf(0, 0)));
});

test("hosts checking in in turn, more than fit as objects: every one finds its base, as many kept as fit", () => {
  const sample = bigReport(0, 0);
  const one = estimatedBytes(sample, reportDigestFrom(sample, undefined).texts, spansOf(sample));
  const max = 3 * one + 20_000;
  let now = 0;
  const bases = new DeltaBases(max, { staleMs: 60_000, now: () => now });
  const found = { kept: 0, packed: 0, none: 0 };
  bases.onFound = (f) => found[f]++;
  const hosts = 6;
  for (let round = 1; round <= 6; round++) {
    for (let host = 0; host < hosts; host++) {
      now += 1000;
      const r = bigReport(host, round);
      let base: ReturnType<typeof bases.get>;
      if (round > 1) {
        base = bases.get(host, bigReport(host, round - 1).report_id);
        assert.ok(base, `host ${host}'s base in round ${round}`);
      }
      bases.set(host, r, reportDigestFrom(r, base?.texts).texts, spansOf(r));
      const used = bases.usedBytes;
      assert.ok(used.kept + used.packed <= max, `${used.kept} + ${used.packed} B > ${max} B`);
    }
  }
  assert.equal(found.none, 0);
  assert.ok(found.kept > 0 && found.packed > 0, JSON.stringify(found));
  // Packing the least recently used made room: as many kept as fit beside the others packed.
  const { kept, packed } = bases.sizes;
  assert.equal(kept + packed, hosts);
  assert.ok(kept >= 2 && kept <= 3, `${kept} kept`);
});

test("hosts that stopped reporting make room for new ones", () => {
  let now = 0;
  const bases = new DeltaBases(2 * estimatedBytes(reportOf(0, 0)), {
    forms: "kept",
    staleMs: 60_000,
    now: () => now,
  });
  bases.set(1, reportOf(1, 0));
  bases.set(2, reportOf(2, 0));
  bases.set(3, reportOf(3, 0));
  assert.equal(bases.get(3, reportOf(3, 0).report_id), undefined, "no room yet");
  now += 61_000;
  bases.set(3, reportOf(3, 0));
  assert.ok(bases.get(3, reportOf(3, 0).report_id), "the stale host 1 made room");
  assert.equal(bases.get(1, reportOf(1, 0).report_id), undefined);
});

test("a base's list texts are kept with it and count in its size", () => {
  const bases = new DeltaBases(1024 * 1024);
  const r = reportOf(1, 0);
  const texts = { processes: { list: r.processes, items: r.processes.map(() => "x".repeat(100)) } };
  bases.set(1, r, texts);
  assert.equal(bases.get(1, r.report_id)?.texts, texts);
  assert.equal(bases.usedBytes.kept, estimatedBytes(r) + r.processes.length * 116);
});

/** A host's report of 300 processes and 400 packages, its n-th, with awkward texts in it. */
function bigReport(host: number, round: number): Report {
  const r = largeReport(300, 400);
  r.report_id = `00000000-0000-4000-8000-${String(host * 1000 + round).padStart(12, "0")}`;
  r.host = { ...r.host, identifier: `h${host}` };
  // A line break, a line separator and a NUL escape inside texts of list items.
  r.processes.push(
    makeProcess({ pid: 99_999, name: "odd\nname", cmdline: 'a\u2028b "quoted" \\ c' }),
  );
  return r;
}

const spansOf = (r: Report): LatestSpans => ({
  reportId: r.report_id,
  kinds: {
    processes: {
      keys: r.processes.map((p) => `${p.pid}:${p.name}`),
      ids: r.processes.map((_, i) => i + 1),
    },
  },
});

test("beyond the room for objects, bases are packed and come back whole, with their texts and spans", () => {
  const sample = bigReport(0, 0);
  const one = estimatedBytes(sample, reportDigestFrom(sample, undefined).texts, spansOf(sample));
  const found: BaseFound[] = [];
  // Room for one kept base, and packed ones.
  const bases = new DeltaBases(one + 100_000);
  bases.onFound = (f) => found.push(f);
  const reports = [0, 1, 2, 3].map((h) => bigReport(h, 0));
  const digests = reports.map((r) => reportDigestFrom(r, undefined));
  for (const [h, r] of reports.entries()) bases.set(h, r, digests[h]!.texts, spansOf(r));
  assert.deepEqual(bases.sizes, { kept: 1, packed: 3 });
  assert.ok(
    bases.usedBytes.packed < one / 5,
    `packed ${bases.usedBytes.packed} B vs ${one} B kept`,
  );

  for (const h of [1, 2, 3]) {
    const base = bases.get(h, reports[h]!.report_id);
    assert.ok(base, `host ${h}'s packed base`);
    assert.deepEqual(base.report, reports[h]);
    assert.equal(reportDigest(base.report), digests[h]!.digest);
    assert.deepEqual(base.spans, spansOf(reports[h]!));
    assert.deepEqual(bases.spansOf(h), spansOf(reports[h]!));
    // Its texts are those the digest wrote: the next digest reuses them as a kept base's.
    for (const [name, list] of Object.entries(digests[h]!.texts)) {
      assert.deepEqual(base.texts?.[name as keyof typeof base.texts]?.items, list.items, name);
    }
    const next = bigReport(h, 1);
    next.processes.splice(0, 5, ...[1, 2, 3, 4, 5].map((i) => makeProcess({ pid: 50_000 + i })));
    const delta = makeDelta(base.report, next, base.report.report_id, reportDigest(next));
    assert.ok(delta.lists?.processes, "the delta changes the processes");
    const applied = applyDelta(base.report, delta);
    assert.ok(!isMismatch(applied), "the delta applies to the unpacked base");
    assert.equal(reportDigestFrom(applied, base.texts).digest, reportDigest(next));
  }
  assert.deepEqual(found, ["packed", "packed", "packed"]);
  // Each packed base holds its own bytes, not a view of a larger buffer kept alive by it.
  for (const [, , packed] of bases.packedEntries()) {
    for (const b of [packed.report, packed.spans!]) assert.equal(b.buffer.byteLength, b.length);
  }
  assert.equal(bases.get(1, reports[2]!.report_id), undefined, "another host's report");
  assert.deepEqual(found.at(-1), "none");
});

test("a base packed without texts (a whole report stored) comes back without them", () => {
  const bases = new DeltaBases(estimatedBytes(bigReport(0, 0)) + 200_000, { forms: "packed" });
  const r = bigReport(7, 0);
  bases.set(7, r);
  assert.deepEqual(bases.sizes, { kept: 0, packed: 1 });
  const base = bases.get(7, r.report_id);
  assert.deepEqual(base?.report, r);
  assert.equal(base?.texts, undefined);
  assert.equal(base?.spans, undefined);
  assert.equal(bases.spansOf(7), undefined);
  bases.drop(7);
  assert.deepEqual(bases.usedBytes, { kept: 0, packed: 0 });
});
