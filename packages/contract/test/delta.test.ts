import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Compile } from "typebox/compile";
import { applyDelta, isMismatch, makeDelta } from "../src/delta.ts";
import { DeltaReportSchema } from "../src/delta-schema.ts";
import { type ReportTexts, reportDigest, reportDigestFrom } from "../src/digest.ts";
import { LIMITS, type Report, type ReportProcess } from "../src/index.ts";
import { validateAppliedReport, validateReport } from "../src/validate.ts";

const proc = (pid: number, extra: Partial<ReportProcess> = {}): ReportProcess => ({
  pid,
  ppid: 1,
  name: `p${pid}`,
  user: "root",
  cpu_percent: 0,
  rss_bytes: 1000 * pid,
  ...extra,
});

function base(): Report {
  return {
    schema_version: 1,
    report_id: "00000000-0000-4000-8000-000000000001",
    collected_at: "2026-11-30T10:00:00Z",
    agent: { version: "1.0.0", rss_bytes: 40_000_000 },
    host: { identifier: "h1", hostname: "web-1", ip_addresses: ["10.0.0.1"] },
    os: { platform: "linux", name: "Debian", version: "12", kernel: "6.1", arch: "x64" },
    cpu: { model: "m", vendor: "v", cores: 2, usage_percent: 5 },
    memory: { total_bytes: 8e9, available_bytes: 4e9 },
    processes: [proc(1, { cmdline: "/sbin/init" }), proc(2), proc(3), proc(4)],
    sessions: [{ user: "ana", terminal: "pts/0", started_at: "2026-11-30T09:00:00Z" }],
    packages: [
      { name: "nginx", version: "1.22", source: "deb" },
      { name: "openssl", version: "3.0.11", source: "deb" },
    ],
    settings: { sysctl: { "net.ipv4.ip_forward": "0" } },
  };
}

/** The next report: a new id and time, the rest as `change` makes it. */
function next(change: (r: Report) => void): Report {
  const r = structuredClone(base());
  r.report_id = "00000000-0000-4000-8000-000000000002";
  r.collected_at = "2026-11-30T10:05:00Z";
  change(r);
  return r;
}

const check = Compile(DeltaReportSchema);
/** Kept across the tests, as the API keeps a host's across its check-ins. */
let texts: ReportTexts | undefined;

/** Makes the delta, checks it against its schema, applies it and insists on `to`. */
function roundTrip(from: Report, to: Report) {
  const delta = makeDelta(from, to, from.report_id, reportDigest(to));
  assert.ok(check.Check(delta), JSON.stringify([...check.Errors(delta)].slice(0, 3)));
  const applied = applyDelta(from, delta);
  assert.ok(!isMismatch(applied), JSON.stringify(applied));
  assert.deepEqual(applied, to);
  assert.equal(reportDigest(applied as Report), delta.digest);
  // With the texts of items kept from the report before, the same digest.
  const fromDigest = reportDigestFrom(from, texts);
  assert.equal(fromDigest.digest, reportDigest(from));
  const appliedDigest = reportDigestFrom(applied as Report, fromDigest.texts);
  assert.equal(appliedDigest.digest, delta.digest);
  texts = appliedDigest.texts;
  return delta;
}

describe("delta reports", () => {
  test("an unchanged report is a few ids and a digest", () => {
    const delta = roundTrip(
      base(),
      next(() => {}),
    );
    assert.deepEqual(Object.keys(delta).sort(), [
      "base_report_id",
      "collected_at",
      "digest",
      "report_id",
      "schema_version",
    ]);
    assert.ok(JSON.stringify(delta).length < 300);
  });

  test("processes that started, ended and changed go item by item; a field gone is null", () => {
    const delta = roundTrip(
      base(),
      next((r) => {
        r.processes = [
          proc(1), // its command line is gone
          proc(3, { cpu_percent: 12.5 }),
          proc(4),
          proc(9, { cmdline: "/usr/bin/new" }),
        ];
      }),
    );
    assert.deepEqual(delta.lists?.processes, {
      removed: [1],
      changed: [
        { i: 0, set: { cmdline: null } },
        { i: 2, set: { cpu_percent: 12.5 } },
      ],
      added: [{ at: 3, item: proc(9, { cmdline: "/usr/bin/new" }) }],
    });
    assert.equal(delta.set, undefined);
  });

  test("a pid reused by another process is that item changed; added items go where they are", () => {
    roundTrip(
      base(),
      next((r) => {
        r.processes = [proc(0), proc(1, { name: "other", user: "ana" }), proc(2), proc(5)];
      }),
    );
  });

  test("sections that changed, appeared or went; inventory upgraded", () => {
    const delta = roundTrip(
      base(),
      next((r) => {
        r.cpu.usage_percent = 80;
        r.packages = [
          { name: "nginx", version: "1.22", source: "deb" },
          { name: "openssl", version: "3.0.15", source: "deb" },
        ];
        delete r.settings;
        r.services = [{ name: "ssh.service", state: "active" }];
        r.errors = [{ collector: "sessions", message: "no utmp" }];
        r.sessions = [];
      }),
    );
    assert.deepEqual(Object.keys(delta.set ?? {}).sort(), ["cpu", "errors", "services"]);
    assert.deepEqual(delta.unset, ["settings"]);
    assert.deepEqual(delta.lists?.packages, {
      removed: [1],
      added: [{ at: 1, item: { name: "openssl", version: "3.0.15", source: "deb" } }],
    });
    assert.deepEqual(delta.lists?.sessions, { removed: [0] });
  });

  test("a list in another order goes whole", () => {
    const delta = roundTrip(
      base(),
      next((r) => {
        r.processes.reverse();
      }),
    );
    assert.equal(delta.lists?.processes, undefined);
    assert.equal(delta.set?.processes?.length, 4);
  });

  test("a delta that does not fit its base says where", () => {
    const to = next((r) => {
      r.processes = r.processes.slice(1);
    });
    const delta = makeDelta(base(), to, base().report_id, reportDigest(to));
    const smaller = base();
    smaller.processes = [];
    const a = applyDelta(smaller, delta);
    assert.ok(isMismatch(a));
    assert.equal(a.path, "/lists/processes/removed/0");
    const twice = applyDelta(base(), {
      ...delta,
      lists: {
        processes: {
          changed: [
            { i: 1, set: { cpu_percent: 1 } },
            { i: 1, set: { cpu_percent: 2 } },
          ],
        },
      },
    });
    assert.ok(isMismatch(twice));
    assert.equal(twice.path, "/lists/processes/changed/1/i");
    const past = applyDelta(base(), {
      ...delta,
      lists: { processes: { added: [{ at: 7, item: proc(7) }] } },
    });
    assert.ok(isMismatch(past));
    assert.equal(past.path, "/lists/processes/added/0/at");
    const gone = applyDelta(base(), { ...delta, unset: ["accounts"] });
    assert.ok(isMismatch(gone));
    assert.equal(gone.path, "/unset");
  });

  test("the digest is of the canonical text: key order does not matter, any value does", () => {
    const a = base();
    const reversed = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reversed)
        : v !== null && typeof v === "object"
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reversed(x)]),
            )
          : v;
    const b = reversed(a) as Report;
    assert.notEqual(JSON.stringify(b), JSON.stringify(a));
    assert.equal(reportDigest(b), reportDigest(a));
    const other = base();
    other.processes[2]!.cpu_percent = 0.1;
    assert.notEqual(reportDigest(other), reportDigest(a));
  });

  test("a random walk of changes always applies back to exactly the report", () => {
    // A seeded walk: the same cases on every run.
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let from = base();
    for (let step = 0; step < 300; step++) {
      const to = structuredClone(from);
      to.report_id = `00000000-0000-4000-8000-${String(step + 10).padStart(12, "0")}`;
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) {
        const r = random();
        const i = Math.floor(random() * Math.max(1, to.processes.length));
        if (r < 0.25) to.processes.splice(i, 1);
        else if (r < 0.5) {
          const pid = Math.floor(random() * 60);
          if (!to.processes.some((p) => p.pid === pid)) {
            to.processes.push(proc(pid, random() < 0.5 ? { cmdline: `c${pid}` } : {}));
            to.processes.sort((x, y) => x.pid - y.pid);
          }
        } else if (r < 0.7 && to.processes[i]) to.processes[i]!.cpu_percent = random() * 100;
        else if (r < 0.8 && to.processes[i]) delete to.processes[i]!.cmdline;
        else if (r < 0.9) to.memory.available_bytes = Math.floor(random() * 1e9);
        else if (r < 0.95) to.processes.reverse();
        else to.sessions = random() < 0.5 ? [] : base().sessions;
      }
      roundTrip(from, to);
      from = to;
    }
  });
});

describe("validating a report a delta gives", () => {
  /** Applies a hand-made delta to a copy of base() and checks it both ways. */
  function both(lists: Record<string, unknown>, set: Record<string, unknown> = {}) {
    const from = structuredClone(base());
    const delta = {
      schema_version: 1,
      report_id: "00000000-0000-4000-8000-000000000002",
      collected_at: "2026-11-30T10:05:00Z",
      base_report_id: from.report_id,
      digest: "0".repeat(64),
      set,
      lists,
    } as unknown as Parameters<typeof applyDelta>[1];
    const applied = applyDelta(from, delta);
    assert.ok(!isMismatch(applied), JSON.stringify(applied));
    const fast = validateAppliedReport(applied, from);
    assert.deepEqual(fast, validateReport(applied));
    return fast;
  }
  const process = (pid: number) => ({ ...base().processes[0]!, pid });

  test("kept, changed and added items pass as the whole report does", () => {
    assert.equal(both({}).ok, true);
    assert.equal(both({ processes: { changed: [{ i: 0, set: { cpu_percent: 3 } }] } }).ok, true);
    assert.equal(both({ processes: { added: [{ at: 0, item: process(4242) }] } }).ok, true);
  });

  test("a changed or added item that breaks the schema is refused at its place", () => {
    const changed = both({ processes: { changed: [{ i: 0, set: { pid: -1 } }] } });
    assert.equal(changed.ok, false);
    const added = both({
      processes: { added: [{ at: 1, item: { ...process(4242), rss_bytes: "x" } }] },
    });
    assert.equal(added.ok, false);
    assert.ok(!added.ok && added.problems.some((p) => p.path.startsWith("/processes/1")));
  });

  test("a section set whole is checked, and so are the rules over kept and added items", () => {
    assert.equal(both({}, { memory: { total_bytes: -5, available_bytes: 1 } }).ok, false);
    const pid = base().processes[0]!.pid;
    const twice = both({ processes: { added: [{ at: 1, item: process(pid) }] } });
    assert.ok(!twice.ok && twice.problems[0]!.message.includes("appears twice"));
  });

  test("a list grown past its limit is refused", () => {
    const many = Array.from({ length: LIMITS.processes + 1 - base().processes.length }, (_, k) => ({
      at: base().processes.length + k,
      item: process(100_000 + k),
    }));
    assert.equal(both({ processes: { added: many } }).ok, false);
  });
});
