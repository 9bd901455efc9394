import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Policy } from "@compliance/contract";
import { compilePolicy, evaluate } from "./evaluate.ts";
import { cleanReport } from "./report-fixtures.ts";
import { and, not, or, type Tri } from "./tri.ts";

// Conditions with a known value on the clean report.
const T = { process: { name: "sshd" } };
const F = { process: { name: "postgres" } };
const U = { package: { name: "openssl" } }; // unknown: packages are dropped below

const policy = (check: Policy["check"], extra: Partial<Policy> = {}): Policy => ({
  id: "p",
  name: "p",
  severity: "low",
  description: "",
  resolution: "",
  tags: [],
  check,
  ...extra,
});

function statusOf(check: Policy["check"], extra: Partial<Policy> = {}, tags?: string[]) {
  const { packages: _, ...report } = cleanReport();
  return evaluate(compilePolicy(policy(check, extra)), { report, tags });
}

const name = (v: Tri) => (v === null ? "U" : v ? "T" : "F");
const condition = (v: Tri) => (v === null ? U : v ? T : F);
const STATUS = (v: Tri) => (v === null ? "unknown" : v ? "pass" : "fail");
const VALUES: Tri[] = [true, false, null];

describe("Kleene logic", () => {
  test("the truth tables", () => {
    assert.deepEqual(
      VALUES.map((a) => VALUES.map((b) => name(and(a, b))).join("")),
      ["TFU", "FFF", "UFU"],
    );
    assert.deepEqual(
      VALUES.map((a) => VALUES.map((b) => name(or(a, b))).join("")),
      ["TTT", "TFU", "TUU"],
    );
    assert.deepEqual(
      VALUES.map((v) => name(not(v))),
      ["F", "T", "U"],
    );
  });

  for (const a of VALUES) {
    for (const b of VALUES) {
      const pair = [condition(a), condition(b)];
      test(`all/any/none of ${name(a)} ${name(b)}`, () => {
        assert.equal(statusOf({ all: pair }).status, STATUS(and(a, b)));
        assert.equal(statusOf({ any: pair }).status, STATUS(or(a, b)));
        assert.equal(statusOf({ none: pair }).status, STATUS(not(or(a, b))));
      });
    }
  }

  test("nested groups, and several keys in one group (all of them)", () => {
    assert.equal(statusOf({ all: [T, { any: [F, { none: [F] }] }] }).status, "pass");
    assert.equal(statusOf({ all: [T], none: [T] }).status, "fail");
    assert.equal(statusOf({ all: [T], any: [U, F] }).status, "unknown");
    assert.equal(statusOf({ any: [U, { all: [T, T] }] }).status, "pass");
  });

  test("reasons name the deciding conditions only", () => {
    const failing = statusOf({ all: [T, F, U] });
    assert.equal(failing.status, "fail");
    assert.deepEqual(
      failing.reasons.map((r) => r.condition),
      ["check/all/1"],
    );
    const unknown = statusOf({ all: [T, U] });
    assert.deepEqual(
      unknown.reasons.map((r) => [r.condition, r.kind]),
      [["check/all/1", "package"]],
    );
    assert.match(unknown.reasons[0]?.message ?? "", /packages were not collected/);
    assert.deepEqual(
      statusOf({ none: [F, T] }).reasons.map((r) => r.condition),
      ["check/none/1"],
    );
  });
});

describe("scope", () => {
  test("a policy for other platforms is not applicable", () => {
    const r = statusOf({ all: [F] }, { platforms: ["darwin", "win32"] });
    assert.equal(r.status, "not_applicable");
    assert.match(r.reasons[0]?.message ?? "", /runs linux/);
    assert.equal(statusOf({ all: [F] }, { platforms: ["linux"] }).status, "fail");
  });

  test("a host with an excepted tag is not applicable", () => {
    assert.equal(
      statusOf({ all: [F] }, { except_tags: ["router"] }, ["router"]).status,
      "not_applicable",
    );
    assert.equal(statusOf({ all: [F] }, { except_tags: ["router"] }, ["web"]).status, "fail");
  });
});

describe("compiling", () => {
  test("the hash ignores key order and enabled, not content", () => {
    const a = compilePolicy(policy({ all: [T] }));
    const { check, ...header } = policy({ all: [T] });
    const reordered = JSON.parse(JSON.stringify({ check, ...header }));
    assert.equal(compilePolicy(reordered).hash, a.hash);
    assert.equal(compilePolicy(policy({ all: [T] }, { enabled: false })).hash, a.hash);
    assert.notEqual(compilePolicy(policy({ all: [F] })).hash, a.hash);
  });

  test("what the schema cannot see is refused with its path", () => {
    assert.throws(
      () => compilePolicy(policy({ all: [{ process: { cmdline: "/(a)\\1/" } }] })),
      (e: Error & { path?: string }) =>
        e.path === "/check/all/0/process/cmdline" && /backreference/.test(e.message),
    );
  });
});
