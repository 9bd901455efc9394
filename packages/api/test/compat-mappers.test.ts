import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validateReport } from "@compliance/contract";
import {
  legacyIps,
  legacySessions,
  legacyTime,
  legacyUuid,
  receiveSecond,
  seedTimeOf,
  splitUname,
  uniqueProcesses,
} from "../src/compat/legacy-report.ts";
import { mapSeed000, parseSeed000Id, seed000Name, seed000View } from "../src/compat/seed-000.ts";
import { mapSeed001 } from "../src/compat/seed-001.ts";
import { mapSeed002, seed002View } from "../src/compat/seed-002.ts";
import { mapSeed004 } from "../src/compat/seed-004.ts";
import { seedFixture } from "./fixtures/seeds/compat-app.ts";

const NOW = Date.UTC(2026, 10, 22, 10, 15, 53, 250);

const problem = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { details?: { path: string }[] }).details?.[0]?.path ?? "";
  }
  return null;
};

describe("legacy building blocks", () => {
  test("seed times: with and without microseconds, no zone = UTC, explicit zones honoured", () => {
    assert.deepEqual(legacyTime("2020-02-25 23:00:55", "t", NOW), {
      iso: "2020-02-25T23:00:55Z",
      ms: Date.UTC(2020, 1, 25, 23, 0, 55),
    });
    assert.deepEqual(legacyTime("2020-02-25 23:00:55.123456", "t", NOW), {
      iso: "2020-02-25T23:00:55.123456Z",
      ms: Date.UTC(2020, 1, 25, 23, 0, 55, 123),
    });
    assert.equal(legacyTime("2020-2-5 3:0:5", "t", NOW).iso, "2020-02-05T03:00:05Z");
    assert.equal(legacyTime("2020-02-25T23:00:55Z", "t", NOW).iso, "2020-02-25T23:00:55Z");
    assert.equal(legacyTime("2020-02-25 23:00:55.5+02:00", "t", NOW).iso, "2020-02-25T21:00:55.5Z");
    assert.equal(legacyTime("2020-02-25 01:00:55-0300", "t", NOW).iso, "2020-02-25T04:00:55Z");
    for (const bad of [
      "",
      "yesterday",
      "2020-02-30 10:00:00",
      "2020-02-25 24:00:00",
      "25/02/2020",
    ]) {
      assert.equal(
        problem(() => legacyTime(bad, "body/fecha_hora", NOW)),
        "body/fecha_hora",
        bad,
      );
    }
    assert.equal(receiveSecond(NOW).iso, "2026-11-22T10:15:53Z");
    assert.equal(seedTimeOf("2020-02-25T23:00:55.123456Z"), "2020-02-25 23:00:55.123456");
  });

  test("addresses: several separated by spaces, first is primary, each checked", () => {
    assert.deepEqual(legacyIps(" 10.0.2.15  172.17.0.1 10.0.2.15 FE80::1 ", "ip"), [
      "10.0.2.15",
      "172.17.0.1",
      "fe80::1",
    ]);
    assert.deepEqual(legacyIps("10.0.2.15,10.0.2.16", "ip"), ["10.0.2.15", "10.0.2.16"]);
    for (const bad of ["", "   ", "localhost", "10.0.2", "10.0.2.15 ../etc", "1.2.3.4/24"]) {
      assert.equal(
        problem(() => legacyIps(bad, "body/server_ip")),
        "body/server_ip",
        bad,
      );
    }
  });

  test("report ids: deterministic UUIDs, different for any different input", () => {
    const a = legacyUuid("000", "10.0.2.15", "2020-02-25T23:00:55Z", "{}");
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(a, legacyUuid("000", "10.0.2.15", "2020-02-25T23:00:55Z", "{}"));
    assert.notEqual(a, legacyUuid("001", "10.0.2.15", "2020-02-25T23:00:55Z", "{}"));
    assert.notEqual(a, legacyUuid("000", "10.0.2.16", "2020-02-25T23:00:55Z", "{}"));
    assert.notEqual(a, legacyUuid("000", "10.0.2.15", "2020-02-25T23:00:56Z", "{}"));
    assert.notEqual(a, legacyUuid("000", "10.0.2.15", "2020-02-25T23:00:55Z", "{ }"));
    // Parts are separated: moving a character between them changes the id.
    assert.notEqual(legacyUuid("ab", "c"), legacyUuid("a", "bc"));
  });

  test("uname -sn splits into system and node name only when it looks like one", () => {
    assert.deepEqual(splitUname("Linux debian"), { system: "Linux", node: "debian" });
    assert.deepEqual(splitUname("Darwin mac.local"), { system: "Darwin", node: "mac.local" });
    assert.deepEqual(splitUname("Linux"), { system: "Linux", node: null });
    assert.deepEqual(splitUname("Debian GNU/Linux 12"), {
      system: "Debian GNU/Linux 12",
      node: null,
    });
  });

  test('users: "" is nobody, a repeated name is one session', () => {
    assert.deepEqual(legacySessions([{ name: "" }]), []);
    assert.deepEqual(legacySessions([{ name: "ana" }, { name: "ana" }, { name: null }]), [
      { user: "ana", terminal: "" },
    ]);
    assert.deepEqual(
      legacySessions([
        { name: "ana", pid: 1 },
        { name: "ana", pid: 2 },
      ]).length,
      2,
    );
  });

  test("processes: an exact repeat is one process, a pid with two meanings is refused", () => {
    const p = (pid: number, name: string) => ({
      path: `body/p/${pid}`,
      process: { pid, ppid: 0, name, user: "", cpu_percent: 0, rss_bytes: 0 },
    });
    assert.equal(uniqueProcesses([p(1, "a"), p(1, "a"), p(2, "b")]).length, 2);
    assert.equal(
      problem(() => uniqueProcesses([p(1, "a"), { ...p(1, "b"), path: "body/p/7" }])),
      "body/p/7/pid",
    );
  });

  test("seed 000 ids: IP then second, with or without underscore; anything else is none", () => {
    const ms = Date.UTC(2021, 0, 20, 10, 15, 53);
    assert.deepEqual(parseSeed000Id("10.0.2.152021_01_20_10_15_53"), { ip: "10.0.2.15", ms });
    assert.deepEqual(parseSeed000Id("10.0.2.15_2021_1_20_10_15_53"), { ip: "10.0.2.15", ms });
    assert.deepEqual(parseSeed000Id("fe80::12021_01_20_10_15_53"), { ip: "fe80::1", ms });
    for (const bad of [
      "../../etc/passwd",
      "/etc/passwd",
      "10.0.2.15",
      "10.0.2.152021_13_20_10_15_53",
      "x10.0.2.152021_01_20_10_15_53",
      "10.0.2.152021_01_20_10_15_53/..",
    ]) {
      assert.equal(parseSeed000Id(bad), null, bad);
    }
    assert.equal(
      seed000Name("10.0.2.15", "2021-01-20T10:15:53.5Z"),
      "10.0.2.15_2021_01_20_10_15_53",
    );
  });
});

describe("seed mappers", () => {
  test("every valid fixture maps to a contract-valid report", () => {
    const reports = [
      mapSeed000(seedFixture("000-signature.json"), NOW),
      mapSeed000(seedFixture("000-sloppy.json"), NOW),
      mapSeed000(seedFixture("000-nobody.json"), NOW),
      mapSeed000(seedFixture("000-minimal.json"), NOW),
      mapSeed001(seedFixture("001-server.json"), NOW),
      mapSeed001(seedFixture("001-server-later.json"), NOW),
      mapSeed002(seedFixture("002-report.json"), NOW),
      mapSeed002(seedFixture("002-report-no-mem.json"), NOW),
      mapSeed004(seedFixture("004-execution.json"), NOW),
      mapSeed004(seedFixture("004-execution-later.json"), NOW),
    ];
    for (const r of reports) {
      const v = validateReport(r);
      assert.ok(v.ok, JSON.stringify(v));
      assert.ok(r.host.identifier.startsWith("legacy:ip:"));
      assert.ok(r.errors?.some((e) => e.collector === "memory"));
    }
  });

  test("seed 000 and 002 payloads come back in their own shape", () => {
    const signature = seedFixture("000-signature.json");
    assert.deepEqual(seed000View(mapSeed000(signature, NOW)), signature);
    const report = seedFixture("002-report.json");
    assert.deepEqual(seed002View(mapSeed002(report, NOW)), report);
  });

  test("seed 004: both spellings of the processor", () => {
    const body = seedFixture("004-execution.json");
    const correct = { ...body, Processor: body.Proccesor, Proccesor: undefined };
    assert.equal(mapSeed004(correct, NOW).cpu.vendor, "GenuineIntel");
  });
});
