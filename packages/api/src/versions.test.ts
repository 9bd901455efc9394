import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  compareVersions,
  parseComparator,
  schemeOfSource,
  type VersionScheme,
  versionPredicate,
} from "./versions.ts";

/** [a, "<" | "=" | ">", b]: how a orders against b. */
type Pair = [string, "<" | "=" | ">", string];

const DEBIAN: Pair[] = [
  ["1.0", "<", "1.1"],
  ["1.10", ">", "1.9"],
  ["1.001", "=", "1.1"],
  ["1.2.3", "=", "1.2.3"],
  ["1.0.0", ">", "1.0"],
  // The tilde sorts before everything, even the end of the version.
  ["1.0~rc1", "<", "1.0"],
  ["1.0~~", "<", "1.0~~a"],
  ["1.0~~a", "<", "1.0~"],
  ["1.0~", "<", "1.0"],
  ["1.0", "<", "1.0a"],
  ["1.0~rc1", "<", "1.0~rc2"],
  // Letters sort before other characters.
  ["1.0a", "<", "1.0+"],
  ["1.0+", "<", "1.0.1"],
  ["0.9.8zh-1", ">", "0.9.8e-1"],
  ["7.6p2-4", ">", "7.6-0"],
  // Epochs win over everything; an absent epoch is 0.
  ["1:0.1", ">", "2.0"],
  ["0:1.0", "=", "1.0"],
  ["1:1.2.13.dfsg-1", ">", "1:1.2.11.dfsg-2"],
  ["2:9.0.1378-2", ">", "1:9.1-1"],
  // Revisions: an absent revision is empty, which equals 0 and sorts before 1.
  ["1.0-1", "<", "1.0-2"],
  ["1.0", "<", "1.0-1"],
  ["1.0-0", "=", "1.0"],
  ["2.30-1", "<", "2.30-1+deb12u1"],
  ["3.0.15-1~deb12u1", "<", "3.0.15-1"],
  ["3.0.15-1~deb12u1", ">", "3.0.11-1~deb12u2"],
  ["3.0.13-1~deb12u1", ">", "3.0.13"],
  ["1.2-3-4", ">", "1.2-3-3"],
  ["9.2p1-2+deb12u3", ">", "9.2p1-2+deb12u2"],
  ["1.0-1ubuntu1", ">", "1.0-1"],
  ["1.0-1ubuntu0.1", "<", "1.0-1ubuntu1"],
];

const RPM: Pair[] = [
  ["1.0", "=", "1.0"],
  ["1.0", "<", "2.0"],
  ["2.0.1", ">", "2.0"],
  ["2.0.1a", ">", "2.0.1"],
  ["5.5p1", "<", "5.5p2"],
  ["5.5p10", ">", "5.5p1"],
  ["10xyz", "<", "10.1xyz"],
  ["xyz10", "<", "xyz10.1"],
  ["1.0aa", "<", "1.0aaa"],
  // Numbers are newer than letters.
  ["2a", "<", "2.0"],
  ["1.a", "<", "1.1"],
  ["xyz.4", "<", "8"],
  // Separators only separate: any run of them is the same.
  ["1.0_1", "=", "1.0.1"],
  ["1..0", "=", "1.0"],
  ["1.010", "=", "1.10"],
  // Tilde: before everything.
  ["1.0~rc1", "<", "1.0"],
  ["1.0~rc1", "<", "1.0~rc2"],
  ["1.0~rc1~git123", "<", "1.0~rc1"],
  // Caret: after the base version, before any further segment.
  ["1.0^", ">", "1.0"],
  ["1.0^git1", ">", "1.0"],
  ["1.0^git1", "<", "1.0.1"],
  ["1.0^git1", "<", "1.0^git2"],
  ["1.0^20160101", "<", "1.0.1"],
  ["1.0~rc1^git1", ">", "1.0~rc1"],
  ["1.0~rc1^git1", "<", "1.0"],
  ["1.0^git1~pre", "<", "1.0^git1"],
  // Epoch, version, release.
  ["1:1.0-1", ">", "2.0-1"],
  ["0:1.0", "=", "1.0"],
  ["3.0.7-16.el9", "<", "3.0.7-24.el9"],
  ["3.0.7-24.el9_2", ">", "3.0.7-24.el9"],
  ["1.0-1.el9", "<", "1.0-1.el9_1"],
  // Without a release on one side, releases are not compared (rpm's dependency rule).
  ["3.0.7-24.el9", "=", "3.0.7"],
  ["3.0.7-24.el9", ">", "3.0.6"],
];

const APK: Pair[] = [
  ["1.0", "<", "1.1"],
  ["1.0", "<", "1.0.1"],
  ["1.2.3", "=", "1.2.3"],
  ["1.1", "<", "1.10"],
  ["1.9", "<", "1.10"],
  // The suffix ladder.
  ["1.0_alpha", "<", "1.0_beta"],
  ["1.0_beta", "<", "1.0_pre"],
  ["1.0_pre", "<", "1.0_rc"],
  ["1.0_rc", "<", "1.0"],
  ["1.0", "<", "1.0_cvs"],
  ["1.0_cvs", "<", "1.0_svn"],
  ["1.0_svn", "<", "1.0_git"],
  ["1.0_git", "<", "1.0_hg"],
  ["1.0_hg", "<", "1.0_p"],
  ["1.0_alpha1", "<", "1.0_alpha2"],
  ["1.0_rc10", ">", "1.0_rc9"],
  ["1.0_p1", ">", "1.0"],
  ["1.0_p1", "<", "1.0.1"],
  ["1.0_alpha_p1", ">", "1.0_alpha"],
  ["1.0_alpha_beta", "<", "1.0_alpha"],
  ["1.0_rc1-r5", "<", "1.0-r0"],
  // Revisions.
  ["1.0-r0", "<", "1.0-r1"],
  ["1.0", "=", "1.0-r0"],
  ["1.0-r10", ">", "1.0-r9"],
  ["3.0.15-r0", "<", "3.0.15-r1"],
  ["3.1.4-r5", ">", "3.1.3-r9"],
  // One letter after the numbers.
  ["1.0a", ">", "1.0"],
  ["1.0b", ">", "1.0a"],
  ["1.0a", "<", "1.0.1"],
  // Numbers after the first with a leading zero read as fractions.
  ["1.01", "<", "1.1"],
  ["1.010", "=", "1.01"],
  ["1.001", "<", "1.01"],
  ["2.0", "<", "2.01"],
];

const GENERIC: Pair[] = [
  ["6.1.0-18-amd64", ">", "5.10"],
  ["6.1.0-18-amd64", "<", "6.1.0-20-amd64"],
  ["5.15.0-91-generic", ">", "5.15"],
  ["5.4.0", "<", "5.15"],
  ["12 (bookworm)", "=", "12"],
  ["22.04.3 LTS (Jammy Jellyfish)", ">", "22.04"],
  ["9.3 (Plow)", "<", "10"],
  ["3.19.1", "<", "3.20.0"],
  ["2.0~beta", "<", "2.0"],
];

const SIGN = { "<": -1, "=": 0, ">": 1 } as const;

function table(scheme: VersionScheme, pairs: Pair[]) {
  describe(`${scheme} versions`, () => {
    for (const [a, rel, b] of pairs) {
      test(`${a} ${rel} ${b}`, () => {
        assert.equal(Math.sign(compareVersions(a, b, scheme)), SIGN[rel]);
        // Every pair read backwards orders the other way.
        assert.equal(Math.sign(compareVersions(b, a, scheme)), -SIGN[rel] || 0);
      });
    }
  });
}

table("deb", DEBIAN);
table("rpm", RPM);
table("apk", APK);
table("generic", GENERIC);

describe("an apk version apk would not accept", () => {
  test("is compared the generic way", () => {
    assert.ok(compareVersions("1.0-foo", "1.1", "apk") < 0);
    assert.ok(compareVersions("2.0 beta", "1.9", "apk") > 0);
  });
});

describe("comparators", () => {
  const cases: [string, ReturnType<typeof parseComparator>][] = [
    ["lt:3.0.13", { op: "lt", operand: "3.0.13" }],
    ["le: 1:2.0-1 ", { op: "le", operand: "1:2.0-1" }],
    ["eq:12 (bookworm)", { op: "eq", operand: "12 (bookworm)" }],
    ["ge:0", { op: "ge", operand: "0" }],
    ["gt:1.0~rc1", { op: "gt", operand: "1.0~rc1" }],
    ["ne:2", { op: "ne", operand: "2" }],
    ["lt:", undefined],
    ["lt:   ", undefined],
    ["LT:1", undefined],
    ["about:1", undefined],
    ["3.0.13", undefined],
    ["", undefined],
  ];
  for (const [text, expected] of cases) {
    test(JSON.stringify(text), () => assert.deepEqual(parseComparator(text), expected));
  }

  test("a predicate compares in its scheme", () => {
    const below = versionPredicate({ op: "lt", operand: "3.0.13" }, "deb");
    assert.equal(below("3.0.11-1~deb12u2"), true);
    assert.equal(below("3.0.13-1~deb12u1"), false);
    assert.equal(below("1:1.0"), false);
    const rpmEq = versionPredicate({ op: "eq", operand: "3.0.7" }, "rpm");
    assert.equal(rpmEq("3.0.7-24.el9"), true);
    assert.equal(rpmEq("1:3.0.7-24.el9"), false);
  });

  test("sources map to their scheme", () => {
    assert.equal(schemeOfSource("deb"), "deb");
    assert.equal(schemeOfSource("rpm"), "rpm");
    assert.equal(schemeOfSource("apk"), "apk");
    assert.equal(schemeOfSource("pip"), "generic");
  });
});
