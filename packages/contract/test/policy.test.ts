import assert from "node:assert/strict";
import { describe, test } from "node:test";
import Value from "typebox/value";
import { CONDITION_KINDS, type Policy, PolicySchema, validatePolicy } from "../src/index.ts";

const valid: Policy = {
  id: "sshd-no-root-login",
  name: "SSH does not accept root logins",
  severity: "high",
  description: "",
  resolution: "Set PermitRootLogin no.",
  tags: ["cis", "ssh"],
  platforms: ["linux"],
  references: ["CIS Linux benchmarks: Ensure sshd PermitRootLogin is disabled"],
  check: {
    all: [{ sshd: { option: "permitrootlogin", value: "no" } }],
    none: [{ any: [{ process: { name: ["xmrig*", { not: "x" }], count: "ge:1" } }] }],
  },
};

describe("the policy schema", () => {
  test("accepts a valid policy, and agrees with PolicySchema", () => {
    assert.deepEqual(validatePolicy(valid), { ok: true, value: valid });
    assert.equal(Value.Check(PolicySchema, valid), true);
  });

  test("every condition kind has a schema that accepts an empty or minimal body", () => {
    const minimal: Record<string, unknown> = {
      sysctl: { name: "a" },
      sshd: { option: "a" },
      file: { path: "/a" },
    };
    for (const kind of CONDITION_KINDS) {
      const policy = { ...valid, check: { all: [{ [kind]: minimal[kind] ?? {} }] } };
      assert.equal(validatePolicy(policy).ok, true, kind);
      assert.equal(Value.Check(PolicySchema, policy), true, kind);
    }
  });

  const bad: [string, unknown, string, string][] = [
    ["not an object", [], "/", "must be an object (a policy)"],
    [
      "a text field given an object",
      { ...valid, check: { all: [{ process: { name: { x: 1 } } }] } },
      "/check/all/0/process/name/x",
      "is not a matcher operator (not, all)",
    ],
    [
      "an empty group",
      { ...valid, check: {} },
      "/check",
      "must be a group: an object with all, any or none",
    ],
    [
      "two kinds in one item",
      { ...valid, check: { all: [{ os: {}, host: {} }] } },
      "/check/all/0",
      "holds os, host: one condition per list item",
    ],
    [
      "a negative interval",
      { ...valid, check: { all: [{ freshness: { intervals: -1 } }] } },
      "/check/all/0/freshness/intervals",
      "must be > 0",
    ],
    [
      "a mode that is not octal",
      { ...valid, check: { all: [{ file: { path: "/a", max_mode: "0999" } }] } },
      "/check/all/0/file/max_mode",
      "must be an octal mode such as 0640",
    ],
  ];
  for (const [name, value, path, message] of bad) {
    test(name, () => {
      const result = validatePolicy(value);
      assert.equal(result.ok, false);
      if (!result.ok) assert.deepEqual(result.problems[0], { path, message });
      assert.equal(Value.Check(PolicySchema, value), false);
    });
  }

  test("nesting and size are bounded", () => {
    let deep: Record<string, unknown> = { os: {} };
    for (let i = 0; i < 20; i++) deep = { all: [deep] };
    const result = validatePolicy({ ...valid, check: deep });
    assert.equal(result.ok, false);
    const many = Array.from({ length: 600 }, () => ({ os: {} }));
    assert.equal(validatePolicy({ ...valid, check: { all: many } }).ok, false);
  });
});
