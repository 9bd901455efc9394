import assert from "node:assert/strict";
import { test } from "node:test";
import type { Report } from "@compliance/contract";
import { makeReport } from "../../test/helpers/reports.ts";
import { DeltaBases, estimatedBytes } from "./delta-bases.ts";

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
  assert.equal(bases.size, 1);
});

test("hosts checking in in turn, one more than fits: all but one keep their base", () => {
  const room = 3;
  let now = 0;
  const bases = new DeltaBases(room * estimatedBytes(reportOf(0, 0)), 60_000, () => now);
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
  assert.ok(bases.usedBytes <= room * estimatedBytes(reportOf(0, 0)));
});

test("hosts that stopped reporting make room for new ones", () => {
  let now = 0;
  const bases = new DeltaBases(2 * estimatedBytes(reportOf(0, 0)), 60_000, () => now);
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
  assert.equal(bases.usedBytes, estimatedBytes(r) + r.processes.length * 116);
});
