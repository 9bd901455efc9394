import assert from "node:assert/strict";
import { test } from "node:test";
import { runsAsFormula, toCsv } from "./csv.ts";

test("formulas are guarded, whatever they start with", () => {
  for (const s of [
    "=1+1",
    "@SUM(A1)",
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "-1+1",
    "+cmd|'/C calc'!A0",
    "-SUM(A1:A2)",
    "\t=1",
    "\r=1",
  ]) {
    assert.equal(runsAsFormula(s), true, s);
  }
});

test("ordinary values are left as they are", () => {
  for (const s of [
    "-bash",
    "-1",
    "+1",
    "-2.5",
    "-3e4",
    "-zsh",
    "--login",
    "bash",
    "a=b",
    "1+1",
    "",
  ]) {
    assert.equal(runsAsFormula(s), false, s);
  }
});

test("a CSV cell: guarded formulas, quoted separators, numbers as they are", () => {
  const csv = toCsv(
    ["name", "cmdline", "pid"],
    [
      { name: "-bash", cmdline: "-2+3+cmd|' /C calc'!A0", pid: -1 },
      { name: "-1", cmdline: '=HYPERLINK("x")', pid: 2 },
      { name: "a,b", cmdline: null, pid: 3 },
    ],
  );
  assert.equal(
    csv,
    'name,cmdline,pid\r\n-bash,\'-2+3+cmd|\' /C calc\'!A0,-1\r\n-1,"\'=HYPERLINK(""x"")",2\r\n"a,b",,3\r\n',
  );
});
