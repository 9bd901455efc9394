import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Policy } from "@compliance/contract";
import { readsPreviousExecution } from "./needs.ts";

const policy = (check: Policy["check"]): Policy => ({
  id: "p",
  name: "p",
  severity: "low",
  description: "",
  resolution: "",
  tags: [],
  check,
});

describe("readsPreviousExecution", () => {
  test("a freshness condition, at any depth, reads the execution before", () => {
    assert.equal(
      readsPreviousExecution(policy({ all: [{ freshness: { intervals: 2 } }] } as never)),
      true,
    );
    assert.equal(
      readsPreviousExecution(
        policy({
          any: [{ none: [{ process: { name: "x" } }] }, { all: [{ freshness: { intervals: 3 } }] }],
        } as never),
      ),
      true,
    );
  });
  test("conditions on the report alone do not", () => {
    assert.equal(
      readsPreviousExecution(
        policy({
          all: [{ process: { name: "sshd" } }, { host: { cpu_usage_percent: "lt:90" } }],
        } as never),
      ),
      false,
    );
  });
});
