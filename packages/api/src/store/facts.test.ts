import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Report } from "@compliance/contract";
import { makeReport } from "../../test/helpers/reports.ts";
import { type Facts, factChanges, factsBody, factsOf } from "./facts.ts";

/**
 * Facts are what an execution stores besides its lists: one row per distinct set per host,
 * found again by the hash of its body. factChanges is what the diff and the change counts
 * report about them.
 */

const report = (overrides: Partial<Report> = {}) =>
  makeReport({
    report_id: "7d1c2b7e-4a0e-4a43-9d0e-0c5a1c0e6a01",
    collected_at: "2026-11-20T08:00:00.000Z",
    ...overrides,
  });

describe("factsOf", () => {
  test("keeps the facts and nothing that moves at every check-in", () => {
    const r = report({ agent: { version: "1.2.3", rss_bytes: 1, cpu_seconds: 2 } });
    assert.deepEqual(factsOf(r), {
      host: {
        hostname: "web-1",
        ip_addresses: ["10.0.2.15", "fe80::1"],
        primary_ip: "10.0.2.15",
      },
      os: r.os,
      cpu: { model: r.cpu.model, vendor: "GenuineIntel", cores: 4 },
      memory: { total_bytes: 8 * 1024 ** 3 },
      agent: { version: "1.2.3" },
    });
  });

  test("the same facts in busier or quieter check-ins have the same body and hash", () => {
    const a = report();
    const b = report({
      report_id: "7d1c2b7e-4a0e-4a43-9d0e-0c5a1c0e6a02",
      collected_at: "2026-11-20T09:00:00.000Z",
      cpu: { ...a.cpu, usage_percent: 99 },
      memory: { ...a.memory, available_bytes: 1 },
      agent: { version: a.agent.version, rss_bytes: 123, dropped_reports: 4 },
      processes: [],
      sessions: [],
      errors: [{ collector: "sessions", message: "no utmp" }],
    });
    assert.deepEqual(factsBody(factsOf(a)), factsBody(factsOf(b)));
  });

  test("no primary IP: the field is absent (not undefined) and the hash differs", () => {
    const { primary_ip: _, ...host } = report().host;
    const facts = factsOf(report({ host }));
    assert.equal("primary_ip" in facts.host, false);
    assert.notEqual(factsBody(facts).hash, factsBody(factsOf(report())).hash);
  });

  test("the body is the JSON of the facts, the hash its SHA-256", () => {
    const facts = factsOf(report());
    const { body, hash } = factsBody(facts);
    assert.deepEqual(JSON.parse(body), facts);
    assert.match(hash, /^[0-9a-f]{64}$/);
  });

  test("the same facts with the os fields sent in another order share one facts row", () => {
    const r = report();
    const { platform, name, version, kernel, arch } = r.os;
    const reordered = report({ os: { arch, kernel, version, name, platform } });
    assert.equal(factsBody(factsOf(reordered)).hash, factsBody(factsOf(r)).hash);
  });
});

describe("factChanges", () => {
  const before = factsOf(report());
  const edits: [string, (f: Facts) => void, unknown, unknown][] = [
    ["host.hostname", (f) => (f.host.hostname = "web-2"), "web-1", "web-2"],
    ["host.primary_ip", (f) => (f.host.primary_ip = "10.0.2.16"), "10.0.2.15", "10.0.2.16"],
    ["host.primary_ip", (f) => delete f.host.primary_ip, "10.0.2.15", null],
    [
      "host.ip_addresses",
      (f) => (f.host.ip_addresses = ["fe80::1", "10.0.2.15"]),
      ["10.0.2.15", "fe80::1"],
      ["fe80::1", "10.0.2.15"],
    ],
    ["os.platform", (f) => (f.os.platform = "darwin"), "linux", "darwin"],
    ["os.name", (f) => (f.os.name = "Ubuntu"), "Debian GNU/Linux", "Ubuntu"],
    ["os.version", (f) => (f.os.version = "13"), "12 (bookworm)", "13"],
    ["os.kernel", (f) => (f.os.kernel = "6.12"), "6.1.0-18-amd64", "6.12"],
    ["os.arch", (f) => (f.os.arch = "arm64"), "x64", "arm64"],
    ["cpu.model", (f) => (f.cpu.model = "EPYC"), before.cpu.model, "EPYC"],
    ["cpu.vendor", (f) => (f.cpu.vendor = "AuthenticAMD"), "GenuineIntel", "AuthenticAMD"],
    ["cpu.cores", (f) => (f.cpu.cores = 8), 4, 8],
    ["memory.total_bytes", (f) => (f.memory.total_bytes = 1), 8 * 1024 ** 3, 1],
    ["agent.version", (f) => (f.agent.version = "0.2.0"), "0.1.0", "0.2.0"],
  ];
  for (const [field, edit, from, to] of edits) {
    test(`${field}: ${JSON.stringify(from)} -> ${JSON.stringify(to)}`, () => {
      const after = structuredClone(before);
      edit(after);
      assert.deepEqual(factChanges(before, after), [{ field, before: from, after: to }]);
      assert.deepEqual(factChanges(after, before), [{ field, before: to, after: from }]);
    });
  }

  test("equal facts: no change, also between copies", () => {
    assert.deepEqual(factChanges(before, before), []);
    assert.deepEqual(factChanges(before, structuredClone(before)), []);
  });

  test("several facts at once, in the documented field order", () => {
    const after = structuredClone(before);
    after.agent.version = "0.3.0";
    after.host.hostname = "db-1";
    after.cpu.cores = 16;
    assert.deepEqual(
      factChanges(before, after).map((c) => c.field),
      ["host.hostname", "cpu.cores", "agent.version"],
    );
  });

  test("a primary IP appearing is a change from null", () => {
    const without = structuredClone(before);
    delete without.host.primary_ip;
    assert.deepEqual(factChanges(without, before), [
      { field: "host.primary_ip", before: null, after: "10.0.2.15" },
    ]);
  });
});
