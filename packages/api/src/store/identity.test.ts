import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ReportProcess } from "@compliance/contract";
import fc from "fast-check";
import { compareProcesses, compareSessionKeys, processKey, sessionKey } from "./identity.ts";

/**
 * Keys decide what is "the same" process or session from one execution to the next. Two
 * different identities must never share a key, whatever their text holds (the key's own
 * separators included), and the values that move at every check-in are not identity.
 */

const proc = (p: Partial<ReportProcess> = {}): ReportProcess => ({
  pid: 812,
  ppid: 1,
  name: "sshd",
  user: "root",
  cpu_percent: 0,
  rss_bytes: 4096,
  started_at: "2026-11-20T08:00:00Z",
  cmdline: "/usr/sbin/sshd -D",
  ...p,
});

describe("processKey", () => {
  test("CPU % and RSS are not identity", () => {
    assert.equal(
      processKey(proc({ cpu_percent: 99.5, rss_bytes: 1 })),
      processKey(proc({ cpu_percent: 0, rss_bytes: 2 ** 40 })),
    );
  });

  const differences: [string, Partial<ReportProcess>][] = [
    ["pid reused by another program", { pid: 813 }],
    ["another parent", { ppid: 2 }],
    ["renamed", { name: "sshd2" }],
    ["another user", { user: "www-data" }],
    ["restarted", { started_at: "2026-11-20T08:00:01Z" }],
    ["start time unknown", { started_at: undefined }],
    ["another command line", { cmdline: "/usr/sbin/sshd -D -e" }],
    ["no command line", { cmdline: undefined }],
    ["an empty command line", { cmdline: "" }],
    ["an empty name", { name: "" }],
  ];
  for (const [name, change] of differences) {
    test(`a different identity: ${name}`, () => {
      assert.notEqual(processKey(proc(change)), processKey(proc()));
    });
  }

  test("an absent field is the same as null (rows store absent as NULL)", () => {
    const absent = proc();
    delete absent.cmdline;
    delete absent.started_at;
    assert.equal(processKey(absent), processKey({ ...absent, cmdline: null, started_at: null }));
  });

  // Each pair differs only in how text is split between fields, or in text that imitates
  // the key's separators or its marker of an absent value.
  const ambiguous: [string, Partial<ReportProcess>, Partial<ReportProcess>][] = [
    [
      "a separator moving between name and user",
      { name: "a|b", user: "c" },
      { name: "a", user: "b|c" },
    ],
    [
      "a separator and a colon moving between name and user",
      { name: "x:|y", user: "z" },
      { name: "x", user: "y:|z" },
    ],
    ["a length prefix inside a name", { name: "1:a|1:b", user: "" }, { name: "1:a", user: "1:b|" }],
    ["the absent marker as text", { cmdline: "-" }, { cmdline: undefined }],
    ["an empty string against absent", { cmdline: "" }, { cmdline: undefined }],
    ["an empty string against the marker", { cmdline: "" }, { cmdline: "-" }],
    [
      "a command line imitating a start time",
      { started_at: undefined, cmdline: "20:x" },
      { started_at: "x", cmdline: undefined },
    ],
    ["digits moving from name to user", { name: "a1", user: "0:" }, { name: "a", user: "10:" }],
    ["pid and ppid digits", { pid: 11, ppid: 1 }, { pid: 1, ppid: 11 }],
    ["a newline in the name", { name: "a\nb" }, { name: "a", cmdline: "\nb" }],
  ];
  for (const [name, a, b] of ambiguous) {
    test(`unambiguous: ${name}`, () => {
      assert.notEqual(processKey(proc(a)), processKey(proc(b)));
    });
  }

  test("equal keys if and only if equal identities", () => {
    // Text made of the key's own characters, so that collisions would be likely.
    const text = fc.string({ unit: fc.constantFrom("|", ":", "-", "0", "1", "2", "a", "é", "🙂") });
    const optText = fc.option(text, { nil: undefined });
    const identity = fc.record({
      pid: fc.integer({ min: 0, max: 120 }),
      ppid: fc.integer({ min: 0, max: 120 }),
      name: text,
      user: text,
      started_at: optText,
      cmdline: optText,
    });
    fc.assert(
      fc.property(identity, identity, (a, b) => {
        const keyA = processKey(a);
        const keyB = processKey(b);
        const norm = (x: typeof a) =>
          JSON.stringify([x.pid, x.ppid, x.name, x.user, x.started_at ?? null, x.cmdline ?? null]);
        assert.equal(keyA === keyB, norm(a) === norm(b), `${keyA} / ${keyB}`);
      }),
      { numRuns: 2000 },
    );
  });

  test("the same text split differently across fields gives different keys", () => {
    const text = fc.string({ unit: fc.constantFrom("|", ":", "-", "1", "a"), maxLength: 12 });
    fc.assert(
      fc.property(text, fc.nat(), fc.nat(), (s, x, y) => {
        const i = x % (s.length + 1);
        const j = y % (s.length + 1);
        // Between adjacent fields, and between fields apart.
        const nameUser = (k: number) =>
          processKey({ pid: 1, ppid: 0, name: s.slice(0, k), user: s.slice(k) });
        const nameCmd = (k: number) =>
          processKey({ pid: 1, ppid: 0, name: s.slice(0, k), user: "u", cmdline: s.slice(k) });
        assert.equal(nameUser(i) === nameUser(j), i === j);
        assert.equal(nameCmd(i) === nameCmd(j), i === j);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("sessionKey", () => {
  const base = {
    user: "ana",
    terminal: "pts/0",
    remote_host: "10.0.0.9",
    started_at: "2026-11-22T09:00:00Z",
    pid: 4242,
  };

  const differences: [string, Partial<typeof base>][] = [
    ["another user", { user: "bob" }],
    ["another terminal", { terminal: "pts/1" }],
    ["from elsewhere", { remote_host: "10.0.0.10" }],
    ["local", { remote_host: undefined }],
    ["reopened", { started_at: "2026-11-22T10:00:00Z" }],
    ["another leader", { pid: 4243 }],
    ["no leader", { pid: undefined }],
    ["leader pid 0", { pid: 0 }],
  ];
  for (const [name, change] of differences) {
    test(`a different session: ${name}`, () => {
      assert.notEqual(sessionKey({ ...base, ...change }), sessionKey(base));
    });
  }

  test("an absent field is the same as null", () => {
    assert.equal(
      sessionKey({ user: "ana", terminal: "tty1" }),
      sessionKey({ user: "ana", terminal: "tty1", remote_host: null, started_at: null, pid: null }),
    );
  });

  const ambiguous: [string, Partial<typeof base>, Partial<typeof base>][] = [
    [
      "a separator moving between user and terminal",
      { user: "a|b", terminal: "c" },
      { user: "a", terminal: "b|c" },
    ],
    ["an empty remote host against none", { remote_host: "" }, { remote_host: undefined }],
    ["the absent marker as a remote host", { remote_host: "-" }, { remote_host: undefined }],
    [
      "a terminal imitating a remote host",
      { terminal: "x|4:abcd", remote_host: undefined },
      { terminal: "x", remote_host: "abcd" },
    ],
  ];
  for (const [name, a, b] of ambiguous) {
    test(`unambiguous: ${name}`, () => {
      assert.notEqual(sessionKey({ ...base, ...a }), sessionKey({ ...base, ...b }));
    });
  }

  test("equal keys if and only if equal sessions", () => {
    const text = fc.string({ unit: fc.constantFrom("|", ":", "-", "0", "1", "a", "🙂") });
    const session = fc.record({
      user: text,
      terminal: text,
      remote_host: fc.option(text, { nil: undefined }),
      started_at: fc.option(text, { nil: undefined }),
      pid: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
    });
    const norm = (s: Record<string, unknown>) =>
      JSON.stringify(
        ["user", "terminal", "remote_host", "started_at", "pid"].map((k) => s[k] ?? null),
      );
    fc.assert(
      fc.property(session, session, (a, b) => {
        assert.equal(sessionKey(a) === sessionKey(b), norm(a) === norm(b));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("canonical orders", () => {
  test("processes sort by pid", () => {
    const sorted = [proc({ pid: 812 }), proc({ pid: 1 }), proc({ pid: 10 })].sort(compareProcesses);
    assert.deepEqual(
      sorted.map((p) => p.pid),
      [1, 10, 812],
    );
  });

  test("session keys sort by code unit, equal keys compare 0", () => {
    assert.deepEqual(["b", "B", "a", "10", "9"].sort(compareSessionKeys), [
      "10",
      "9",
      "B",
      "a",
      "b",
    ]);
    assert.equal(compareSessionKeys("x", "x"), 0);
    assert.ok(compareSessionKeys("a", "b") < 0 && compareSessionKeys("b", "a") > 0);
  });
});
