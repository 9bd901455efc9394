import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Report, ReportProcess, ReportSession } from "@compliance/contract";
import { makeProcess, makeReport, makeSession } from "../../test/helpers/reports.ts";
import { type Facts, factsOf } from "../store/facts.ts";
import { diffExecutions } from "./diff.ts";

/**
 * What changed between two executions: processes started, ended or changed (same pid and
 * start time, another name, user, parent or command line), sessions opened and closed
 * when both sides could read them, and the facts that differ.
 */

const FACTS: Facts = factsOf(
  makeReport({
    report_id: "7d1c2b7e-4a0e-4a43-9d0e-0c5a1c0e6a01",
    collected_at: "2026-11-20T08:00:00.000Z",
  }),
);

interface Side {
  processes: ReportProcess[];
  sessions: ReportSession[];
  sessionsKnown: boolean;
  facts: Facts;
}
const side = (s: Partial<Side> = {}): Side => ({
  processes: [],
  sessions: [],
  sessionsKnown: true,
  facts: FACTS,
  ...s,
});
const pids = (list: ReportProcess[]) => list.map((p) => p.pid);

const init = makeProcess({ pid: 1, ppid: 0, name: "systemd", cmdline: "/sbin/init" });
const sshd = makeProcess({ pid: 812, name: "sshd", cmdline: "sshd -D" });
const nginx = makeProcess({ pid: 900, name: "nginx", user: "www-data" });

describe("diffExecutions: processes", () => {
  test("CPU % and RSS moving is no change", () => {
    const d = diffExecutions(
      side({ processes: [init, sshd] }),
      side({
        processes: [
          { ...init, cpu_percent: 50 },
          { ...sshd, rss_bytes: 1 },
        ],
      }),
    );
    assert.deepEqual(d.processes, { started: [], ended: [], changed: [] });
  });

  const cases: {
    name: string;
    from: ReportProcess[];
    to: ReportProcess[];
    started: number[];
    ended: number[];
    changed: [ReportProcess, ReportProcess][];
  }[] = [
    {
      name: "a new pid started",
      from: [init],
      to: [init, sshd],
      started: [812],
      ended: [],
      changed: [],
    },
    {
      name: "a pid gone ended",
      from: [init, sshd],
      to: [init],
      started: [],
      ended: [812],
      changed: [],
    },
    {
      name: "renamed, same pid and start time: changed",
      from: [sshd],
      to: [{ ...sshd, name: "sshd-session" }],
      started: [],
      ended: [],
      changed: [[sshd, { ...sshd, name: "sshd-session" }]],
    },
    {
      name: "another user, parent or command line: changed",
      from: [sshd, nginx, init],
      to: [init, { ...nginx, ppid: 812 }, { ...sshd, user: "sshd", cmdline: "sshd: ana" }],
      started: [],
      ended: [],
      changed: [
        [sshd, { ...sshd, user: "sshd", cmdline: "sshd: ana" }],
        [nginx, { ...nginx, ppid: 812 }],
      ],
    },
    {
      name: "pid reused with another start time: one ended, one started",
      from: [sshd],
      to: [{ ...sshd, name: "bash", started_at: "2026-11-21T08:00:00Z" }],
      started: [812],
      ended: [812],
      changed: [],
    },
    {
      name: "same pid restarted with the same name: ended and started, not changed",
      from: [sshd],
      to: [{ ...sshd, started_at: "2026-11-21T08:00:00Z" }],
      started: [812],
      ended: [812],
      changed: [],
    },
    {
      name: "no start time on either side: a new name cannot be told from a new process",
      from: [{ ...sshd, started_at: undefined }],
      to: [{ ...sshd, started_at: undefined, name: "other" }],
      started: [812],
      ended: [812],
      changed: [],
    },
    {
      name: "a start time appearing: ended and started",
      from: [{ ...sshd, started_at: undefined }],
      to: [sshd],
      started: [812],
      ended: [812],
      changed: [],
    },
    {
      name: "results sorted by pid whatever the sent order",
      from: [nginx, init],
      to: [sshd, makeProcess({ pid: 5 }), makeProcess({ pid: 3000 })],
      started: [5, 812, 3000],
      ended: [1, 900],
      changed: [],
    },
    { name: "both empty", from: [], to: [], started: [], ended: [], changed: [] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const d = diffExecutions(side({ processes: c.from }), side({ processes: c.to }));
      assert.deepEqual(pids(d.processes.started), c.started, "started");
      assert.deepEqual(pids(d.processes.ended), c.ended, "ended");
      assert.deepEqual(
        d.processes.changed,
        c.changed.map(([before, after]) => ({ before, after })),
        "changed",
      );
    });
  }

  test("a changed process is neither started nor ended, and the rest still are", () => {
    const renamed = { ...sshd, name: "sshd-session" };
    const d = diffExecutions(
      side({ processes: [init, sshd, nginx] }),
      side({ processes: [renamed, makeProcess({ pid: 7 })] }),
    );
    assert.deepEqual(pids(d.processes.started), [7]);
    assert.deepEqual(pids(d.processes.ended), [1, 900]);
    assert.deepEqual(d.processes.changed, [{ before: sshd, after: renamed }]);
  });

  test("the reported processes are the executions' own objects (their CPU and RSS)", () => {
    const started = makeProcess({ pid: 7, cpu_percent: 12.5 });
    const d = diffExecutions(side({ processes: [init] }), side({ processes: [started] }));
    assert.equal(d.processes.started[0], started);
    assert.equal(d.processes.ended[0], init);
  });
});

describe("diffExecutions: sessions", () => {
  const ana = makeSession({ user: "ana", remote_host: "10.0.0.9", pid: 4242 });
  const bob = makeSession({ user: "bob", terminal: "pts/1" });
  const anaAgain = { ...ana, started_at: "2026-11-23T09:00:00Z" };

  test("opened and closed when both sides read sessions", () => {
    const d = diffExecutions(side({ sessions: [ana, bob] }), side({ sessions: [bob, anaAgain] }));
    assert.deepEqual(d.sessions, { known: true, opened: [anaAgain], closed: [ana] });
  });

  test("the same sessions: nothing opened or closed", () => {
    const d = diffExecutions(side({ sessions: [ana, bob] }), side({ sessions: [bob, { ...ana }] }));
    assert.deepEqual(d.sessions, { known: true, opened: [], closed: [] });
  });

  for (const [name, fromKnown, toKnown] of [
    ["the older side could not read sessions", false, true],
    ["the newer side could not read sessions", true, false],
    ["neither side could", false, false],
  ] as const) {
    test(`${name}: unknown, no session changes`, () => {
      const d = diffExecutions(
        side({ sessions: fromKnown ? [ana] : [], sessionsKnown: fromKnown }),
        side({ sessions: toKnown ? [bob] : [], sessionsKnown: toKnown }),
      );
      assert.deepEqual(d.sessions, { known: false, opened: [], closed: [] });
    });
  }
});

describe("diffExecutions: facts", () => {
  test("the facts that differ", () => {
    const after: Facts = structuredClone(FACTS);
    after.host.hostname = "web-2";
    after.agent.version = "0.2.0";
    const d = diffExecutions(side(), side({ facts: after }));
    assert.deepEqual(d.facts, [
      { field: "host.hostname", before: "web-1", after: "web-2" },
      { field: "agent.version", before: "0.1.0", after: "0.2.0" },
    ]);
  });

  test("equal facts: none", () => {
    assert.deepEqual(diffExecutions(side(), side({ facts: structuredClone(FACTS) })).facts, []);
  });
});

test("a diff of an execution with itself is empty", () => {
  const r: Report = makeReport({
    report_id: "7d1c2b7e-4a0e-4a43-9d0e-0c5a1c0e6a01",
    collected_at: "2026-11-20T08:00:00.000Z",
  });
  const s = side({ processes: r.processes, sessions: r.sessions, facts: factsOf(r) });
  assert.deepEqual(diffExecutions(s, s), {
    processes: { started: [], ended: [], changed: [] },
    sessions: { known: true, opened: [], closed: [] },
    facts: [],
  });
});
