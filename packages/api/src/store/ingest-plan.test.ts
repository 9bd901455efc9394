import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Report, ReportProcess, ReportSession } from "@compliance/contract";
import { reportDigestFrom } from "@compliance/contract/digest";
import { makeProcess, makeReport, makeSession } from "../../test/helpers/reports.ts";
import { factChanges, factsOf } from "./facts.ts";
import { processKey, sessionKey } from "./identity.ts";
import {
  extraOf,
  type HostState,
  type IngestInput,
  type Neighbour,
  type Placement,
  type PreparedReport,
  planIngest,
  prepareReport,
  unchangedKinds,
} from "./ingest-plan.ts";
import { decodeMetrics } from "./metrics-codec.ts";
import { OPEN } from "./positions.ts";
import {
  PROCESS_SPANS,
  type ProcessSpanRow,
  SESSION_SPANS,
  type SessionSpanRow,
} from "./span-kinds.ts";

/**
 * From a report and what the repository read around its position to the rows it writes.
 * Scenarios follow the store's design: the first execution of a host, an unchanged
 * check-in (one execution row, one host row), processes ending and starting, a report
 * arriving out of order, facts changing, sessions that could not be read.
 */

const HOST = 7;
const RECEIVED = Date.UTC(2026, 10, 20, 9);
const P = 1_000_000; // the previous execution's position
const N = 2_000_000; // the new one's
const X = 3_000_000; // the next one's

let ids = 0;
const report = (overrides: Partial<Report> = {}): Report =>
  makeReport({
    report_id: `7d1c2b7e-4a0e-4a43-9d0e-${String(++ids).padStart(12, "0")}`,
    collected_at: "2026-11-20T08:00:00.000Z",
    ...overrides,
  });

const init = makeProcess({
  pid: 1,
  ppid: 0,
  name: "systemd",
  cmdline: "/sbin/init",
  cpu_percent: 0.5,
});
const sshd = makeProcess({
  pid: 812,
  name: "sshd",
  cmdline: "sshd -D",
  rss_bytes: 8 * 1024 * 1024,
});
const nginx = makeProcess({ pid: 900, name: "nginx", user: "www-data", cpu_percent: 2.25 });
const ana = makeSession({ user: "ana", remote_host: "10.0.0.9", pid: 4242 });
const bob = makeSession({ user: "bob", terminal: "pts/1" });

let rowIds = 100;
const processRow = (p: ReportProcess, first: number, last: number): ProcessSpanRow => ({
  id: ++rowIds,
  host_id: HOST,
  first_pos: first,
  last_pos: last,
  ...PROCESS_SPANS.columnsOf(p, PROCESS_SPANS.key(p)),
});
const sessionRow = (s: ReportSession, first: number, last: number): SessionSpanRow => ({
  id: ++rowIds,
  host_id: HOST,
  first_pos: first,
  last_pos: last,
  ...SESSION_SPANS.columnsOf(s, SESSION_SPANS.key(s)),
});

const NO_HOST: HostState = {
  factsId: null,
  factsHash: null,
  latestPos: null,
  firstPos: null,
  changedPos: null,
  lastReceivedAt: null,
  executions: 0,
  state: null,
};

/** Columns a newer schema may add to the host's state row: none of these cases use them. */
const NEWER_COLUMNS = { inventory_hashes: null };

/** A host whose latest execution (at P, facts row 55) is `latest`. */
function hostAfter(latest: PreparedReport, bases?: [number, number][]): HostState {
  return {
    factsId: 55,
    factsHash: latest.factsHash,
    latestPos: P,
    firstPos: P - 500_000,
    changedPos: P - 500_000,
    lastReceivedAt: RECEIVED - 60_000,
    executions: 4,
    state: {
      ...NEWER_COLUMNS,
      process_hash: latest.processHash,
      session_hash: latest.sessionHash,
      bases: JSON.stringify(
        bases ?? latest.processes.map(({ item }) => [item.cpu_percent, item.rss_bytes]),
      ),
      names_hash: latest.namesHash,
    },
  };
}

const neighbour = (id: number, pos: number, extra: Partial<Neighbour> = {}): Neighbour => ({
  id,
  pos,
  factsId: 55,
  sessionsKnown: true,
  ...extra,
});

const DEFAULT_INPUT = {
  hostId: HOST,
  receivedAt: RECEIVED,
  host: NO_HOST,
  placement: { pos: N, prev: null, next: null },
  processSpans: [],
  sessionSpans: [],
  // Other kinds of lifetime the plan may grow (inventory) read nothing in these cases.
  inventorySpans: new Map(),
  factsId: 55,
  prevFacts: null,
  nextFacts: null,
  appended: new Map(),
  latestBases: null,
};

function input(overrides: Partial<IngestInput>): IngestInput {
  return { ...DEFAULT_INPUT, ...overrides };
}

/** The given fields of a row (rows may hold columns these cases are not about). */
function assertFields(actual: object, expected: Record<string, unknown>, message?: string) {
  const picked = Object.fromEntries(
    Object.keys(expected).map((k) => [k, (actual as Record<string, unknown>)[k]]),
  );
  assert.deepEqual(picked, expected, message);
}

/** The metrics column decoded against the given baselines. */
const metrics = (blob: Uint8Array, bases: [number, number][]) =>
  decodeMetrics(
    blob,
    bases.map(([baseCpu, baseRss]) => ({ baseCpu, baseRss })),
  );

const writesOf = (plan: ReturnType<typeof planIngest>, table: string) =>
  plan.spans.find((w) => w.kind.table === table);

describe("prepareReport", () => {
  test("puts processes in pid order and sessions in key order, with their keys", () => {
    const r = report({ processes: [sshd, init, nginx], sessions: [bob, ana] });
    const p = prepareReport(r);
    assert.deepEqual(
      p.processes.map((x) => x.item),
      [init, sshd, nginx],
    );
    assert.deepEqual(
      p.processes.map((x) => x.key),
      [init, sshd, nginx].map(processKey),
    );
    const sessionKeys = [ana, bob].map(sessionKey).sort();
    assert.deepEqual(
      p.sessions.map((x) => x.key),
      sessionKeys,
    );
    assert.equal(p.collectedMs, Date.parse(r.collected_at));
    assert.equal(p.report, r);
    assert.deepEqual(p.facts, factsOf(r));
  });

  test("a delta's unchanged lists are derived once; what it gives equals a whole report's", () => {
    const base = report({
      processes: [sshd, init, nginx],
      sessions: [bob, ana],
      packages: [
        { name: "zlib1g", version: "1:1.2.13", source: "deb" },
        { name: "bash", version: "5.2.15", source: "deb" },
      ],
    });
    const baseTexts = reportDigestFrom(base, undefined).texts;
    const first = prepareReport(base, baseTexts);
    // As applyDelta makes it: the lists the delta leaves alone are the base's arrays.
    const later = {
      ...base,
      report_id: "00000000-0000-4000-8000-0000000000a1",
      collected_at: "2026-11-20T09:05:00Z",
    };
    const unchanged = prepareReport(later, reportDigestFrom(later, baseTexts).texts);
    assert.equal(unchanged.processes, first.processes, "processes not keyed again");
    assert.equal(unchanged.sessions, first.sessions);
    assert.equal(unchanged.inventory[0]!.items, first.inventory[0]!.items);
    const changed = { ...later, processes: [...base.processes, makeProcess({ pid: 9 })] };
    const replaced = prepareReport(changed, reportDigestFrom(changed, baseTexts).texts);
    assert.notEqual(replaced.processes, first.processes, "a changed list is derived again");
    assert.equal(replaced.inventory[0]!.items, first.inventory[0]!.items);
    for (const [prepared, whole] of [
      [unchanged, prepareReport(later)],
      [replaced, prepareReport(changed)],
    ] as const) {
      assert.deepEqual(prepared, whole, "the same as prepared from nothing");
    }
  });

  test("identity hashes do not depend on the sent order or on CPU and RSS", () => {
    const a = prepareReport(report({ processes: [init, sshd], sessions: [ana, bob] }));
    const b = prepareReport(
      report({
        processes: [
          { ...sshd, cpu_percent: 40 },
          { ...init, rss_bytes: 1 },
        ],
        sessions: [bob, ana],
      }),
    );
    assert.equal(a.processHash, b.processHash);
    assert.equal(a.sessionHash, b.sessionHash);
  });

  test("the names hash is the same for the same set of names", () => {
    const a = prepareReport(report({ processes: [init, sshd], sessions: [ana, bob] }));
    const b = prepareReport(report({ processes: [init, sshd], sessions: [bob, ana] }));
    assert.deepEqual(
      new Set(a.names.map((n) => n.kind + n.name)),
      new Set(b.names.map((n) => n.kind + n.name)),
    );
    assert.equal(a.namesHash, b.namesHash);
  });

  test("identity hashes change with the identities", () => {
    const a = prepareReport(report({ processes: [init, sshd], sessions: [ana] }));
    const b = prepareReport(report({ processes: [init, { ...sshd, ppid: 2 }], sessions: [] }));
    assert.notEqual(a.processHash, b.processHash);
    assert.notEqual(a.sessionHash, b.sessionHash);
  });

  test("names: distinct process names and session users, sorted", () => {
    const p = prepareReport(
      report({
        processes: [init, makeProcess({ pid: 5, name: "systemd" }), sshd],
        sessions: [ana, { ...ana, terminal: "pts/7" }, bob],
      }),
    );
    assert.deepEqual(p.names, [
      { kind: "p", name: "sshd" },
      { kind: "p", name: "systemd" },
      { kind: "u", name: "ana" },
      { kind: "u", name: "bob" },
    ]);
  });

  test("sessions are unknown only when the sessions collector failed", () => {
    assert.equal(prepareReport(report()).sessionsKnown, true);
    assert.equal(prepareReport(report({ errors: [] })).sessionsKnown, true);
    const other = report({ errors: [{ collector: "processes", message: "x" }] });
    assert.equal(prepareReport(other).sessionsKnown, true);
    const failed = report({
      sessions: [],
      errors: [{ collector: "sessions", message: "no utmp" }],
    });
    assert.equal(prepareReport(failed).sessionsKnown, false);
  });
});

describe("unchangedKinds", () => {
  const latest = prepareReport(report({ processes: [init, sshd], sessions: [ana] }));
  const same = prepareReport(
    report({ processes: [sshd, { ...init, cpu_percent: 9 }], sessions: [ana] }),
  );
  const otherProcesses = prepareReport(report({ processes: [init], sessions: [ana] }));
  const otherSessions = prepareReport(report({ processes: [init, sshd], sessions: [] }));
  const host = hostAfter(latest);
  const appended: Placement = { pos: N, prev: neighbour(1, P), next: null };

  const cases: [string, PreparedReport, HostState, Placement, boolean, boolean][] = [
    ["appended with the same identities", same, host, appended, true, true],
    ["appended, processes changed", otherProcesses, host, appended, false, true],
    ["appended, sessions changed", otherSessions, host, appended, true, false],
    [
      "placed before the latest",
      same,
      host,
      { pos: N, prev: neighbour(1, P), next: neighbour(2, X) },
      false,
      false,
    ],
    [
      "placed as the oldest",
      same,
      host,
      { pos: N, prev: null, next: neighbour(2, X) },
      false,
      false,
    ],
    [
      "the first execution of a host",
      same,
      NO_HOST,
      { pos: N, prev: null, next: null },
      false,
      false,
    ],
    ["a host without a state row yet", same, { ...host, state: null }, appended, false, false],
    [
      "a state row but no execution before",
      same,
      host,
      { pos: N, prev: null, next: null },
      false,
      false,
    ],
  ];
  for (const [name, prepared, h, placement, processes, sessions] of cases) {
    test(name, () => {
      const { processes: p, sessions: s } = unchangedKinds(prepared, h, placement);
      assert.deepEqual({ processes: p, sessions: s }, { processes, sessions });
    });
  }
});

describe("planIngest: the first execution of a host", () => {
  const r = report({ processes: [sshd, init], sessions: [ana] });
  const prepared = prepareReport(r);
  const plan = planIngest(
    prepared,
    input({ host: NO_HOST, placement: { pos: N, prev: null, next: null }, factsId: null }),
  );

  test("opens a span per process and session, [N, OPEN], in canonical order", () => {
    assert.deepEqual(writesOf(plan, "process_spans"), {
      kind: PROCESS_SPANS,
      setLast: [],
      setFirst: [],
      insert: [init, sshd].map((p) => ({
        host_id: HOST,
        first_pos: N,
        last_pos: OPEN,
        ...PROCESS_SPANS.columnsOf(p, PROCESS_SPANS.key(p)),
      })),
    });
    assert.deepEqual(writesOf(plan, "session_spans")?.insert, [
      {
        host_id: HOST,
        first_pos: N,
        last_pos: OPEN,
        ...SESSION_SPANS.columnsOf(ana, SESSION_SPANS.key(ana)),
      },
    ]);
  });

  test("inserts its facts; no change counts without a predecessor", () => {
    assert.deepEqual(plan.facts, {
      insert: { host_id: HOST, hash: prepared.factsHash, body: prepared.factsBody },
    });
    assert.equal(plan.execution.processes_started, null);
    assert.equal(plan.execution.processes_ended, null);
    assert.equal(plan.execution.sessions_opened, null);
    assert.equal(plan.execution.sessions_closed, null);
    assert.equal(plan.execution.facts_changed, null);
    assert.equal(plan.next, null);
  });

  test("the execution row", () => {
    const { metrics: blob, ...row } = plan.execution;
    assertFields(row, {
      host_id: HOST,
      report_id: r.report_id,
      pos: N,
      collected_at: r.collected_at,
      received_at: RECEIVED,
      process_count: 2,
      session_count: 1,
      sessions_known: 1,
      cpu_usage: r.cpu.usage_percent,
      memory_available: r.memory.available_bytes,
      extra: null,
      processes_started: null,
      processes_ended: null,
      sessions_opened: null,
      sessions_closed: null,
      facts_changed: null,
    });
    // New spans take the process's own values as baselines: every difference is 0.
    const own: [number, number][] = [init, sshd].map((p) => [p.cpu_percent, p.rss_bytes]);
    const m = metrics(blob, own);
    assert.deepEqual(m.cpu, [0.5, 0]);
    assert.deepEqual(m.rss, [init.rss_bytes, sshd.rss_bytes]);
    assert.deepEqual(m.processOrder, [1, 0], "sent as sshd, init");
    assert.equal(m.sessionOrder, null);
  });

  test("the host row, its addresses, state and names", () => {
    assert.deepEqual(plan.host, {
      newest: true,
      factsChanged: true,
      set: {
        hostname: "web-1",
        primary_ip: "10.0.2.15",
        os_platform: "linux",
        os_name: r.os.name,
        os_version: r.os.version,
        kernel: r.os.kernel,
        arch: "x64",
        cpu_model: r.cpu.model,
        cpu_vendor: "GenuineIntel",
        cpu_cores: 4,
        memory_total: r.memory.total_bytes,
        agent_version: "0.1.0",
        facts_hash: prepared.factsHash,
        latest_pos: N,
        first_pos: N,
        changed_pos: N,
        last_received_at: RECEIVED,
        executions: 1,
        process_count: 2,
        session_count: 1,
        sessions_known: 1,
        cpu_usage: r.cpu.usage_percent,
        memory_available: r.memory.available_bytes,
      },
    });
    assert.deepEqual(plan.addresses, ["10.0.2.15", "fe80::1"]);
    assert.equal(plan.state?.existed, false);
    assertFields(plan.state!.row, {
      host_id: HOST,
      process_hash: prepared.processHash,
      session_hash: prepared.sessionHash,
      bases: JSON.stringify([
        [init.cpu_percent, init.rss_bytes],
        [sshd.cpu_percent, sshd.rss_bytes],
      ]),
      names_hash: prepared.namesHash,
    });
    assert.deepEqual(plan.names, [
      { host_id: HOST, kind: "p", name: "sshd" },
      { host_id: HOST, kind: "p", name: "systemd" },
      { host_id: HOST, kind: "u", name: "ana" },
    ]);
  });

  test("a host without a primary IP and with a repeated address", () => {
    const { primary_ip: _, ...h } = r.host;
    const p = planIngest(
      prepareReport(report({ host: { ...h, ip_addresses: ["10.0.0.1", "10.0.0.1", "::1"] } })),
      input({ factsId: null }),
    );
    assert.equal(p.host.set.primary_ip, null);
    assert.deepEqual(p.addresses, ["10.0.0.1", "::1"]);
  });
});

describe("planIngest: appending an unchanged check-in", () => {
  const latest = prepareReport(report({ processes: [init, sshd], sessions: [ana] }));
  // Baselines of the running spans, as the state row keeps them.
  const bases: [number, number][] = [
    [0.25, init.rss_bytes - 4096],
    [1, sshd.rss_bytes + 3],
  ];
  const host = hostAfter(latest, bases);
  const r = report({
    collected_at: "2026-11-20T08:05:00.000Z",
    processes: [
      { ...init, cpu_percent: 0.75 },
      { ...sshd, cpu_percent: 0, rss_bytes: sshd.rss_bytes + 1 },
    ],
    sessions: [ana],
  });
  const prepared = prepareReport(r);
  const placement = { pos: N, prev: neighbour(1, P), next: null };
  const unchanged = unchangedKinds(prepared, host, placement);
  const plan = planIngest(
    prepared,
    input({
      host,
      placement,
      processSpans: unchanged.processes ? null : [],
      sessionSpans: unchanged.sessions ? null : [],
      factsId: 55,
    }),
  );

  test("nothing of either kind is read or written", () => {
    assert.equal(unchanged.processes, true);
    assert.equal(unchanged.sessions, true);
    assert.deepEqual(plan.spans, []);
  });

  test("one execution row, counting no change, its values against the kept baselines", () => {
    assert.deepEqual(plan.facts, { id: 55 });
    assert.equal(plan.execution.processes_started, 0);
    assert.equal(plan.execution.processes_ended, 0);
    assert.equal(plan.execution.sessions_opened, 0);
    assert.equal(plan.execution.sessions_closed, 0);
    assert.equal(plan.execution.facts_changed, 0);
    const m = metrics(plan.execution.metrics, bases);
    assert.deepEqual(m.cpu, [0.75, 0]);
    assert.deepEqual(m.rss, [init.rss_bytes, sshd.rss_bytes + 1]);
  });

  test("one host row: no facts columns, changed_pos kept; no state, names or addresses", () => {
    assert.deepEqual(plan.host, {
      newest: true,
      factsChanged: false,
      set: {
        latest_pos: N,
        first_pos: host.firstPos,
        changed_pos: host.changedPos,
        last_received_at: RECEIVED,
        executions: 5,
        process_count: 2,
        session_count: 1,
        sessions_known: 1,
        cpu_usage: r.cpu.usage_percent,
        memory_available: r.memory.available_bytes,
      },
    });
    assert.equal(plan.state, null);
    assert.equal(plan.names, null);
    assert.equal(plan.addresses, null);
    assert.equal(plan.next, null);
  });
});

describe("planIngest: processes ending and starting at the newest execution", () => {
  const latest = prepareReport(report({ processes: [init, sshd], sessions: [ana] }));
  const host = hostAfter(latest);
  const initRow = { ...processRow(init, P - 500_000, OPEN), base_cpu: 0.25 };
  const sshdRow = processRow(sshd, P - 500_000, OPEN);
  const prepared = prepareReport(report({ processes: [nginx, init], sessions: [ana] }));
  const placement = { pos: N, prev: neighbour(1, P), next: null };
  const unchanged = unchangedKinds(prepared, host, placement);
  const plan = planIngest(
    prepared,
    input({ host, placement, processSpans: [initRow, sshdRow], sessionSpans: null }),
  );

  test("the ended process's span closes at P; the new one opens [N, OPEN]", () => {
    assert.equal(unchanged.processes, false);
    assert.equal(unchanged.sessions, true);
    assert.equal(plan.spans.length, 1, "sessions kept their identities: no session writes");
    assert.deepEqual(writesOf(plan, "process_spans"), {
      kind: PROCESS_SPANS,
      setLast: [{ id: sshdRow.id, last: P }],
      setFirst: [],
      insert: [
        {
          host_id: HOST,
          first_pos: N,
          last_pos: OPEN,
          ...PROCESS_SPANS.columnsOf(nginx, PROCESS_SPANS.key(nginx)),
        },
      ],
    });
  });

  test("counts one started and one ended, and the host changed at N", () => {
    assert.equal(plan.execution.processes_started, 1);
    assert.equal(plan.execution.processes_ended, 1);
    assert.equal(plan.execution.sessions_opened, 0);
    assert.equal(plan.execution.sessions_closed, 0);
    assert.equal(plan.host.set.changed_pos, N);
  });

  test("baselines: the running span's, the new process's own values", () => {
    const bases: [number, number][] = [
      [0.25, init.rss_bytes],
      [nginx.cpu_percent, nginx.rss_bytes],
    ];
    const m = metrics(plan.execution.metrics, bases);
    assert.deepEqual(m.cpu, [init.cpu_percent, nginx.cpu_percent]);
    assert.deepEqual(m.processOrder, [1, 0], "sent as nginx, init");
    assert.equal(plan.state?.existed, true);
    assertFields(plan.state!.row, {
      host_id: HOST,
      process_hash: prepared.processHash,
      session_hash: prepared.sessionHash,
      bases: JSON.stringify(bases),
      names_hash: prepared.namesHash,
    });
  });

  test("the host's names are replaced, as they changed", () => {
    assert.deepEqual(plan.names, [
      { host_id: HOST, kind: "p", name: "nginx" },
      { host_id: HOST, kind: "p", name: "systemd" },
      { host_id: HOST, kind: "u", name: "ana" },
    ]);
  });

  test("names are kept when only a pid changed", () => {
    const restarted = prepareReport(
      report({ processes: [init, { ...sshd, pid: 813 }], sessions: [ana] }),
    );
    const p = planIngest(
      restarted,
      input({ host, placement, processSpans: [initRow, sshdRow], sessionSpans: null }),
    );
    assert.notEqual(p.state, null, "identities changed: the state row is rewritten");
    assert.equal(p.names, null);
  });
});

describe("planIngest: a report placed between two executions", () => {
  // P = {init, sshd}, X = {init, nginx}; N arrives late.
  const host = hostAfter(prepareReport(report({ processes: [init, nginx] })));
  const initRow = processRow(init, P, OPEN);
  const sshdRow = processRow(sshd, P, P);
  const nginxRow = processRow(nginx, X, OPEN);
  const anaRow = sessionRow(ana, P, OPEN);
  const placement = { pos: N, prev: neighbour(1, P), next: neighbour(2, X) };
  const read = (prepared: PreparedReport, extra: Partial<IngestInput> = {}) =>
    planIngest(
      prepared,
      input({
        host,
        placement,
        processSpans: [initRow, sshdRow, nginxRow],
        sessionSpans: [anaRow],
        ...extra,
      }),
    );

  test("spans grow from P and X to N; both neighbours' counts compare with N", () => {
    const plan = read(prepareReport(report({ processes: [init, sshd, nginx], sessions: [ana] })));
    assert.deepEqual(writesOf(plan, "process_spans"), {
      kind: PROCESS_SPANS,
      setLast: [{ id: sshdRow.id, last: N }],
      setFirst: [{ id: nginxRow.id, first: N }],
      insert: [],
    });
    assert.deepEqual(writesOf(plan, "session_spans")?.insert, []);
    assert.equal(plan.execution.processes_started, 1, "nginx, against P");
    assert.equal(plan.execution.processes_ended, 0);
    assert.equal(plan.next?.id, 2);
    assertFields(plan.next.counts, {
      processes_started: 0,
      processes_ended: 1, // sshd, which now ends at N
      sessions_opened: 0,
      sessions_closed: 0,
      facts_changed: 0,
    });
  });

  test("spans whose item is missing are cut around N; the copy keeps its baseline", () => {
    const plan = read(prepareReport(report({ processes: [], sessions: [] })));
    const writes = writesOf(plan, "process_spans")!;
    assert.deepEqual(writes.setLast, [{ id: initRow.id, last: P }]);
    const { id: _id, host_id: _h, ...initColumns } = initRow;
    assert.deepEqual(writes.insert, [
      { host_id: HOST, ...initColumns, first_pos: X, last_pos: OPEN },
    ]);
    const sessions = writesOf(plan, "session_spans")!;
    assert.deepEqual(sessions.setLast, [{ id: anaRow.id, last: P }]);
    assert.equal(sessions.insert.length, 1);
    assert.equal(plan.execution.processes_ended, 2);
    assert.equal(plan.execution.sessions_closed, 1);
    assert.equal(plan.next?.counts.processes_started, 2, "init and nginx, against N");
    assert.equal(plan.next?.counts.sessions_opened, 1);
  });

  test("a new process opens [N, N]", () => {
    const extra = makeProcess({ pid: 4000, name: "cron" });
    const plan = read(prepareReport(report({ processes: [init, sshd, extra], sessions: [ana] })));
    assert.deepEqual(writesOf(plan, "process_spans")?.insert, [
      {
        host_id: HOST,
        first_pos: N,
        last_pos: N,
        ...PROCESS_SPANS.columnsOf(extra, PROCESS_SPANS.key(extra)),
      },
    ]);
  });

  test("only the host's totals move; its latest state stays", () => {
    const plan = read(prepareReport(report({ processes: [init, sshd], sessions: [ana] })), {
      receivedAt: RECEIVED - 3_600_000,
    });
    assert.deepEqual(plan.host, {
      newest: false,
      factsChanged: false,
      set: {
        executions: 5,
        first_pos: host.firstPos,
        last_received_at: host.lastReceivedAt,
      },
    });
    assert.equal(plan.state, null);
    assert.equal(plan.names, null);
    assert.equal(plan.addresses, null);
  });

  test("placed as the oldest: no own counts, first_pos moves back, next compares with N", () => {
    const plan = planIngest(
      prepareReport(report({ processes: [init], sessions: [] })),
      input({
        host,
        placement: { pos: 10, prev: null, next: neighbour(2, P) },
        processSpans: [initRow, sshdRow],
        sessionSpans: [anaRow],
      }),
    );
    assert.deepEqual(writesOf(plan, "process_spans")?.setFirst, [{ id: initRow.id, first: 10 }]);
    assert.equal(plan.execution.processes_started, null);
    assert.equal(plan.execution.sessions_opened, null);
    assert.equal(plan.execution.facts_changed, null);
    assertFields(plan.next!.counts, {
      processes_started: 1,
      processes_ended: 0,
      sessions_opened: 1,
      sessions_closed: 0,
      facts_changed: 0,
    });
    assert.equal(plan.host.set.first_pos, 10);
    assert.equal(plan.host.set.last_received_at, RECEIVED);
  });
});

describe("planIngest: facts", () => {
  const base = report({ processes: [init], sessions: [] });
  const latest = prepareReport(base);
  const host = hostAfter(latest);
  const oldFacts = factsOf(base);
  const moved = report({
    processes: [init],
    sessions: [],
    host: { ...base.host, hostname: "web-2", ip_addresses: ["10.0.9.9"] },
    agent: { version: "0.2.0" },
  });
  const prepared = prepareReport(moved);
  const placement = { pos: N, prev: neighbour(1, P), next: null };

  test("new facts: a facts row to insert, counted against P, host columns rewritten", () => {
    const unchanged = unchangedKinds(prepared, host, placement);
    assert.equal(unchanged.processes && unchanged.sessions, true);
    const plan = planIngest(
      prepared,
      input({
        host,
        placement,
        processSpans: null,
        sessionSpans: null,
        factsId: null,
        prevFacts: oldFacts,
      }),
    );
    assert.deepEqual(plan.facts, {
      insert: { host_id: HOST, hash: prepared.factsHash, body: prepared.factsBody },
    });
    assert.equal(plan.execution.facts_changed, 3, "hostname, ip_addresses, agent.version");
    assert.equal(plan.execution.facts_changed, factChanges(oldFacts, prepared.facts).length);
    assert.equal(plan.host.factsChanged, true);
    assert.equal(plan.host.set.hostname, "web-2");
    assert.equal(plan.host.set.agent_version, "0.2.0");
    assert.equal(plan.host.set.changed_pos, N, "a facts change is a change");
    assert.deepEqual(plan.addresses, ["10.0.9.9"]);
    assert.equal(plan.spans.length, 0);
    assert.equal(plan.state, null);
  });

  test("facts seen before on this host: the row is reused, the host still moves to it", () => {
    const plan = planIngest(
      prepared,
      input({
        host,
        placement,
        processSpans: null,
        sessionSpans: null,
        factsId: 40,
        prevFacts: oldFacts,
      }),
    );
    assert.deepEqual(plan.facts, { id: 40 });
    assert.equal(plan.host.factsChanged, true);
    assert.equal(plan.execution.facts_changed, 3);
  });

  test("the next execution's facts count against N", () => {
    const plan = planIngest(
      prepared,
      input({
        host,
        placement: { pos: N, prev: neighbour(1, P), next: neighbour(2, X) },
        processSpans: [processRow(init, P, OPEN)],
        sessionSpans: [],
        factsId: null,
        prevFacts: oldFacts,
        nextFacts: oldFacts,
      }),
    );
    assert.equal(plan.execution.facts_changed, 3);
    assert.equal(plan.next?.counts.facts_changed, 3);
    assert.equal(plan.host.factsChanged, false, "not the newest: the host keeps its facts");
    assert.equal(plan.addresses, null);
  });

  test("the neighbours' facts are not needed when they point at the same row", () => {
    const plan = planIngest(
      latest,
      input({
        host,
        placement: { pos: N, prev: neighbour(1, P), next: neighbour(2, X) },
        processSpans: [processRow(init, P, OPEN)],
        sessionSpans: [],
        factsId: 55,
      }),
    );
    assert.equal(plan.execution.facts_changed, 0);
    assert.equal(plan.next?.counts.facts_changed, 0);
  });
});

describe("planIngest: sessions that could not be read", () => {
  const anaRow = sessionRow(ana, P, OPEN);
  const unknown = prepareReport(
    report({
      processes: [init],
      sessions: [],
      errors: [{ collector: "sessions", message: "no utmp" }],
    }),
  );
  const known = prepareReport(report({ processes: [init], sessions: [ana, bob] }));
  const host = hostAfter(prepareReport(report({ processes: [init], sessions: [ana] })));

  test("unknown after known: no session closed, though N holds none", () => {
    const plan = planIngest(
      unknown,
      input({
        host,
        placement: { pos: N, prev: neighbour(1, P), next: null },
        processSpans: null,
        sessionSpans: [anaRow],
      }),
    );
    assert.equal(plan.execution.sessions_known, 0);
    assert.equal(plan.execution.sessions_opened, 0);
    assert.equal(plan.execution.sessions_closed, 0);
    assert.deepEqual(writesOf(plan, "session_spans")?.setLast, [{ id: anaRow.id, last: P }]);
    assert.equal(plan.host.set.sessions_known, 0);
    assert.equal(plan.host.set.changed_pos, host.changedPos, "nothing known to have changed");
  });

  test("known after unknown: no session opened", () => {
    const plan = planIngest(
      known,
      input({
        host,
        placement: { pos: N, prev: neighbour(1, P, { sessionsKnown: false }), next: null },
        processSpans: null,
        sessionSpans: [],
      }),
    );
    assert.equal(plan.execution.sessions_opened, 0);
    assert.equal(plan.execution.sessions_closed, 0);
    assert.equal(writesOf(plan, "session_spans")?.insert.length, 2);
  });

  test("known on both sides: opened and closed are counted", () => {
    const plan = planIngest(
      known,
      input({
        host,
        placement: { pos: N, prev: neighbour(1, P), next: null },
        processSpans: null,
        sessionSpans: [anaRow],
      }),
    );
    assert.equal(plan.execution.sessions_opened, 1);
    assert.equal(plan.execution.sessions_closed, 0);
  });

  test("an unknown N between two known ones: neither N nor X counts session changes", () => {
    const plan = planIngest(
      unknown,
      input({
        host,
        placement: { pos: N, prev: neighbour(1, P), next: neighbour(2, X) },
        processSpans: [processRow(init, P, OPEN)],
        sessionSpans: [anaRow],
      }),
    );
    assert.equal(plan.execution.sessions_closed, 0);
    assert.equal(plan.next?.counts.sessions_opened, 0);
    assert.equal(plan.next?.counts.sessions_closed, 0);
  });

  test("an unknown X after N: X counts no session changes against N", () => {
    const plan = planIngest(
      known,
      input({
        host,
        placement: {
          pos: N,
          prev: neighbour(1, P),
          next: neighbour(2, X, { sessionsKnown: false }),
        },
        processSpans: [processRow(init, P, OPEN)],
        sessionSpans: [anaRow],
      }),
    );
    assert.equal(plan.execution.sessions_opened, 1, "bob, against P");
    assert.equal(plan.next?.counts.sessions_closed, 0);
  });
});

describe("extraOf", () => {
  const cases: [string, Partial<Report>, unknown][] = [
    ["nothing extra", {}, null],
    [
      "agent extras",
      { agent: { version: "1", rss_bytes: 5, cpu_seconds: 0.5 } },
      { agent: { rss_bytes: 5, cpu_seconds: 0.5 } },
    ],
    [
      "errors",
      { errors: [{ collector: "sessions", message: "m" }] },
      { errors: [{ collector: "sessions", message: "m" }] },
    ],
    ["an empty errors list is kept", { errors: [] }, { errors: [] }],
    [
      "both",
      { agent: { version: "1", dropped_reports: 3 }, errors: [] },
      { agent: { dropped_reports: 3 }, errors: [] },
    ],
  ];
  for (const [name, overrides, expected] of cases) {
    test(name, () => {
      const extra = extraOf(report(overrides));
      assert.deepEqual(extra === null ? null : JSON.parse(extra), expected);
    });
  }

  test("the execution row stores it", () => {
    const r = report({ agent: { version: "1", rss_bytes: 5 } });
    assert.equal(planIngest(prepareReport(r), input({})).execution.extra, extraOf(r));
  });
});
