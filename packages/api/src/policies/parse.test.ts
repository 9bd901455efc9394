import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatProblem, parsePolicies } from "./parse.ts";

const HEADER = `id: no-miners
name: No miners
severity: critical
description: Miners steal CPU.
resolution: Remove them.
tags: [malware]
`;

function problems(text: string): string[] {
  const result = parsePolicies(text);
  assert.equal(result.ok, false);
  return result.ok ? [] : result.problems.map(formatProblem);
}

describe("parsing policy documents", () => {
  test("a YAML policy parses and compiles", () => {
    const result = parsePolicies(`${HEADER}check:\n  none:\n    - process: { name: "xmrig*" }\n`);
    assert.equal(result.ok, true);
    if (result.ok) assert.equal(result.policies[0]?.policy.id, "no-miners");
  });

  test("JSON is accepted too, with the same hash as the YAML", () => {
    const yaml = parsePolicies(`${HEADER}check:\n  none:\n    - process: { name: "xmrig*" }\n`);
    const json = parsePolicies(
      JSON.stringify({
        tags: ["malware"],
        id: "no-miners",
        name: "No miners",
        severity: "critical",
        description: "Miners steal CPU.",
        resolution: "Remove them.",
        check: { none: [{ process: { name: "xmrig*" } }] },
      }),
    );
    assert.ok(yaml.ok && json.ok);
    if (yaml.ok && json.ok) assert.equal(json.policies[0]?.hash, yaml.policies[0]?.hash);
  });

  test("several documents in one stream", () => {
    const second = HEADER.replace("no-miners", "other");
    const result = parsePolicies(
      `${HEADER}check: { all: [ { os: { platform: linux } } ] }\n---\n${second}check: { all: [ { os: { platform: linux } } ] }\n---\n`,
    );
    assert.equal(result.ok, true);
    if (result.ok)
      assert.deepEqual(
        result.policies.map((p) => p.policy.id),
        ["no-miners", "other"],
      );
  });

  const cases: [string, string, string[]][] = [
    [
      "a wrong type names its line and field",
      `${HEADER}check:\n  none:\n    - process:\n        name: { regex: x }\n`,
      ["line 10: check/none/0/process/name/regex: is not a matcher operator (not, all)"],
    ],
    [
      "a boolean where text is expected",
      `${HEADER}check:\n  none:\n    - process: { name: true }\n`,
      [
        "line 9: check/none/0/process/name: must be a string or a number (or a list of them, {not: ...} or {all: [...]})",
      ],
    ],
    [
      "an unknown condition kind",
      `${HEADER}check:\n  none:\n    - proces: { name: x }\n`,
      [
        "line 9: check/none/0/proces: is not a condition kind (one of: process, session, os, host, package, listening, account, service, sysctl, sshd, file, freshness)",
      ],
    ],
    [
      "an unknown field and a missing one",
      `${HEADER}check:\n  all:\n    - sysctl:\n        nmae: net.ipv4.ip_forward\n        value: 0\n`,
      [
        "line 10: check/all/0/sysctl/nmae: is not a field of a sysctl condition (its fields: name, value)",
        "line 10: check/all/0/sysctl/name: is required",
      ],
    ],
    [
      "header fields",
      `id: Not A Slug\nname: x\nseverity: urgent\ndescription: ""\nresolution: ""\ntags: []\ncheck: { all: [ { os: { platform: linux } } ] }\n`,
      [
        "line 1: id: must be a slug: lower-case letters, digits, dots, dashes and underscores",
        "line 3: severity: must be one of critical, high, medium, low",
      ],
    ],
    [
      "a regular expression the engine refuses",
      `${HEADER}check:\n  none:\n    - process:\n        cmdline: "/(a+)\\\\1/"\n`,
      ["line 10: check/none/0/process/cmdline: the regular expression uses a backreference"],
    ],
    [
      "a bad comparison",
      `${HEADER}check:\n  none:\n    - listening: { port: "gt:http" }\n`,
      [
        "line 9: check/none/0/listening/port: must be a number or a comparison such as gt:90 or ge:512MiB (or a list of them, {not: ...} or {all: [...]})",
      ],
    ],
    [
      "a condition where a group belongs",
      `${HEADER}check:\n  process: { name: x }\n`,
      [
        "line 8: check/process: is not a group key (all, any, none); process is a condition: put it in a list under all, any or none",
      ],
    ],
    ["a missing check", HEADER, ["line 1: check: is required"]],
    ["a YAML syntax error", `${HEADER}check: [\n`, ["line 8: Flow sequence"]],
    ["an empty text", "", ["holds no policy"]],
    [
      "the same id twice",
      `${HEADER}check: { all: [ { os: { platform: linux } } ] }\n---\n${HEADER}check: { all: [ { os: { platform: linux } } ] }\n`,
      ["line 9: id: no-miners is defined twice in this text"],
    ],
  ];
  for (const [name, text, expected] of cases) {
    test(name, () => {
      const got = problems(text);
      assert.equal(got.length, expected.length, got.join("\n"));
      expected.forEach((e, i) => {
        assert.ok(got[i]?.startsWith(e), `${got[i]} does not start with ${e}`);
      });
    });
  }

  test("an alias bomb is refused", () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
    assert.equal(parsePolicies(bomb).ok, false);
  });
});
