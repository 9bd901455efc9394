import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { compileTextPattern, isRegexLiteral } from "./pattern.ts";
import { PatternError, parseRegex, requiredLiteral } from "./syntax.ts";

describe("globs", () => {
  const cases: [string, string, boolean][] = [
    ["sshd", "sshd", true],
    ["sshd", "sshd2", false],
    ["xmrig*", "xmrig", true],
    ["xmrig*", "xmrig-6.21", true],
    ["xmrig*", "axmrig", false],
    ["*stratum+tcp://*", "./xmrig -o stratum+tcp://pool:3333", true],
    ["*stratum+tcp://*", "./xmrig -o stratum+ssl://pool", false],
    ["/tmp/*", "/tmp/.x/kworker", true],
    ["/tmp/*", "/usr/tmp/x", false],
    ["*.service", "ssh.service", true],
    ["a*b*c", "abc", true],
    ["a*b*c", "aXbYc", true],
    ["a*b*c", "acb", false],
    ["ab*ba", "aba", false],
    ["*", "", true],
    ["", "", true],
    ["", "x", false],
    ["pts/?", "pts/0", true],
    ["pts/?", "pts/10", false],
    ["tty[0-9]", "tty3", true],
    ["tty[!0-9]", "tty3", false],
    ["tty[!0-9]", "ttyS", true],
    ["*[0-9]", "cpu7", true],
    ["\\*", "*", true],
    ["\\*", "x", false],
    ["[", "[", true],
    ["a?c*", "abcdef", true],
  ];
  for (const [glob, text, expected] of cases) {
    test(`${JSON.stringify(glob)} on ${JSON.stringify(text)} is ${expected}`, () => {
      assert.equal(compileTextPattern(glob)(text), expected);
    });
  }
});

describe("regular expressions", () => {
  test("what reads as a regular expression and what as a path", () => {
    const table: [string, boolean][] = [
      ["/xmrig|minerd/", true],
      ["/^kworker\\/[0-9]+$/i", true],
      ["/tmp/", true],
      ["/bin/sh", false],
      ["/bin/bash", false],
      ["/usr/sbin/sshd", false],
      ["/usr/lib/", false],
      ["//", false],
      ["/dev/shm", false],
    ];
    for (const [text, expected] of table) assert.equal(isRegexLiteral(text), expected, text);
  });

  const cases: [string, string, boolean][] = [
    ["/xmrig|minerd/", "minerd -a cryptonight", true],
    ["/^xmrig$/", "xmrig", true],
    ["/^xmrig$/", "xmrig2", false],
    ["/XMRIG/i", "xmrig", true],
    ["/XMRIG/", "xmrig", false],
    ["/stratum\\+(tcp|ssl|tls):\\/\\//", "-o stratum+ssl://pool.example:443", true],
    ["/\\d{2,3}\\.\\d+/", "v12.5", true],
    ["/^\\d{2,3}$/", "1234", false],
    ["/a.c/", "a\nc", false],
    ["/a.c/s", "a\nc", true],
    ["/[^a-z]/", "abc", false],
    ["/[^a-z]/", "abC", true],
    ["/[\\w.-]+@/", "me.x@y", true],
    ["/colou?r/", "color", true],
    ["/(?:ab)+$/", "xabab", true],
    ["/(?<name>ab)c/", "abc", true],
    ["/^$/", "", true],
    ["/$/", "anything", true],
    ["/a{0}b/", "b", true],
    ["/[]/", "x", false],
    ["/[^]/", "x", true],
    ["/\\u00e9/i", "\u00c9", true],
  ];
  for (const [pattern, text, expected] of cases) {
    test(`${pattern} on ${JSON.stringify(text)} is ${expected}`, () => {
      assert.equal(compileTextPattern(pattern)(text), expected);
    });
  }

  const refused: [string, RegExp][] = [
    ["/(a)\\1/", /backreference/],
    ["/a(?=b)/", /lookaround/],
    ["/a(?!b)/", /lookaround/],
    ["/(?<=a)b/", /lookaround/],
    ["/\\bword\\b/", /word boundary/],
    ["/a/m", /flag m/],
    ["/a/g", /flag g/],
    ["/a{2000}/", /repetitions/],
    ["/(a/", /unclosed group/],
    ["/a)/", /unmatched/],
    ["/*a/", /nothing to repeat/],
    ["/a**/", /two quantifiers/],
    ["/\\q/", /unknown escape/],
    [`/${"a".repeat(1001)}/`, /longer than/],
    ["/(((a{1,100}){1,100}){1,100})/", /automaton states/],
  ];
  for (const [pattern, reason] of refused) {
    test(`${pattern.slice(0, 40)} is refused`, () => {
      assert.throws(
        () => compileTextPattern(pattern),
        (e) => e instanceof PatternError && reason.test(e.message),
      );
    });
  }

  test("patterns that make a backtracking engine exponential run in linear time", () => {
    const hostile = `${"a".repeat(4096)}!`;
    for (const pattern of [
      "/(a+)+$/",
      "/^(a|a)*$/",
      "/(a|aa)+b/",
      "/(.*a){20}x/",
      "/^(\\w+\\s?)*$/",
    ]) {
      const started = performance.now();
      assert.equal(compileTextPattern(pattern)(hostile), false, pattern);
      assert.ok(performance.now() - started < 500, `${pattern} took too long`);
    }
  });

  test("agrees with JavaScript's own engine on what both accept", () => {
    const patterns = [
      "a(b|c)*d",
      "^x?y+$",
      "[a-c]{2,3}z",
      "(ab|a)(bc|c)",
      "a.*b.*c",
      "^$|^q",
      "[^ab]+$",
      // Required literal runs (searched for before the automaton runs).
      "x(ab|c)+zz",
      "(a|b)cab.*d",
      "q(ab)+a{2}b",
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...patterns),
        fc.constantFrom("", "i", "s"),
        fc.string({ unit: fc.constantFrom("a", "b", "c", "d", "x", "y", "z", "q", "\n", "A") }),
        (body, flags, text) => {
          const ours = compileTextPattern(`/${body}/${flags}`)(text);
          return ours === new RegExp(body, flags).test(text);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("the literal every match contains is found, or none", () => {
    const literal = (body: string, ignoreCase = false) =>
      requiredLiteral(parseRegex(body, { ignoreCase, dotAll: false }));
    assert.equal(literal("(bash|sh) -i.*6"), " -i");
    assert.equal(literal("ab(cde)+f"), "cde");
    assert.equal(literal("ab(cde)*f"), "ab");
    assert.equal(literal("a|bcd"), "");
    assert.equal(literal("[xy]z"), "z");
    assert.equal(literal("abc", true), "", "a case-insensitive pattern has no exact literal");
  });
});
