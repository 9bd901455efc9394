import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { Report } from "@compliance/contract";
import { reportDigestFrom } from "@compliance/contract/digest";
import { reportWithProcesses } from "../../test/helpers/reports.ts";
import type { LatestSpans } from "../store/store.ts";
import { DeltaBases } from "./delta-bases.ts";
import { loadBases, saveBases } from "./delta-bases-file.ts";

const dir = mkdtempSync(join(tmpdir(), "compliance-delta-bases-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const reportOf = (host: number): Report =>
  reportWithProcesses(50 + host, {
    identifier: `h${host}`,
    report_id: `00000000-0000-4000-8000-${String(host).padStart(12, "0")}`,
    collected_at: "2026-11-30T12:00:00.000Z",
  });
const spansOf = (r: Report): LatestSpans => ({
  reportId: r.report_id,
  kinds: {
    processes: {
      keys: r.processes.map((p) => String(p.pid)),
      ids: r.processes.map((p) => p.pid * 7),
    },
  },
});

/** Bases of hosts 0..n-1: even ones kept as objects with texts and spans, odd ones packed bare. */
function filled(n: number): DeltaBases {
  const bases = new DeltaBases(64 * 1024 * 1024);
  const packedOnly = new DeltaBases(64 * 1024 * 1024, { forms: "packed" });
  for (let h = 0; h < n; h++) {
    const r = reportOf(h);
    if (h % 2 === 0) bases.set(h, r, reportDigestFrom(r, undefined).texts, spansOf(r));
    else packedOnly.set(h, r);
  }
  for (const [h, id, packed] of packedOnly.packedEntries())
    assert.ok(bases.addPacked(h, id, packed));
  return bases;
}

test("the bases written when the API closes are read back whole, and the file removed", () => {
  const path = join(dir, "whole.bin");
  const saved = filled(40);
  assert.deepEqual(saved.sizes, { kept: 20, packed: 20 });
  assert.equal(saveBases(saved, path), 40);
  assert.equal(statSync(path).mode & 0o777, 0o600, "readable by the API's user only");
  assert.equal(existsSync(`${path}.tmp`), false);

  const loaded = new DeltaBases(64 * 1024 * 1024);
  assert.equal(loadBases(loaded, path), 40);
  assert.equal(existsSync(path), false);
  assert.deepEqual(loaded.sizes, { kept: 0, packed: 40 });
  // Copies, not views that would keep the whole file in memory.
  for (const [, , packed] of loaded.packedEntries()) {
    assert.equal(packed.report.buffer.byteLength, packed.report.length);
  }
  for (let h = 0; h < 40; h++) {
    const r = reportOf(h);
    const base = loaded.get(h, r.report_id);
    assert.ok(base, `host ${h}'s base`);
    assert.deepEqual(base.report, r);
    if (h % 2 === 0) {
      assert.deepEqual(base.spans, spansOf(r));
      assert.deepEqual(
        base.texts?.processes?.items,
        reportDigestFrom(r, undefined).texts.processes?.items,
      );
    } else {
      assert.equal(base.spans, undefined);
      assert.equal(base.texts, undefined);
    }
    assert.equal(loaded.get(h, reportOf(h + 1).report_id), undefined, "by its own report id only");
  }
  assert.equal(loadBases(new DeltaBases(1 << 20), path), 0, "no file: nothing");
});

test("a cut file gives the bases it holds whole; a file of something else gives none", () => {
  const path = join(dir, "cut.bin");
  saveBases(filled(10), path);
  const whole = readFileSync(path);
  writeFileSync(path, whole.subarray(0, Math.floor(whole.length * 0.55)));
  const loaded = new DeltaBases(64 * 1024 * 1024);
  const n = loadBases(loaded, path);
  assert.ok(n >= 4 && n < 10, `${n} of 10`);
  let found = 0;
  for (let h = 0; h < 10; h++) {
    const base = loaded.get(h, reportOf(h).report_id);
    if (!base) continue;
    found++;
    assert.deepEqual(base.report, reportOf(h));
  }
  assert.equal(found, n);

  writeFileSync(path, "not the cache of delta bases");
  assert.equal(loadBases(new DeltaBases(1 << 20), path), 0);
  assert.equal(existsSync(path), false);
});

test("a smaller cache reads back as many bases as fit", () => {
  const path = join(dir, "room.bin");
  saveBases(filled(30), path);
  const small = new DeltaBases(10 * 1024);
  const n = loadBases(small, path);
  assert.ok(n > 0 && n < 30, `${n} of 30 in 10 KB`);
  const used = small.usedBytes;
  assert.ok(used.kept + used.packed <= 10 * 1024);
});
