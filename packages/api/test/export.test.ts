import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCli } from "../src/cli.ts";
import { exportReports } from "../src/export.ts";
import {
  type CompatApp,
  ENROLL_SECRET,
  seedFixture,
  seedFixtureText,
  startCompatApp,
} from "./fixtures/seeds/compat-app.ts";
import { ENGINES } from "./helpers/databases.ts";
import { makeReport } from "./helpers/reports.ts";
import { storedReport } from "./helpers/store.ts";

// `compliance-api export` writes every stored report as <ip>_<YYYY_MM_DD_H_M_S>.json, equal
// to the report the store rebuilds.

function capture() {
  let text = "";
  return {
    write(s: string) {
      text += s;
      return true;
    },
    get text() {
      return text;
    },
  };
}

async function cli(t: CompatApp, args: string[]) {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(args, { env: { DATABASE_URL: t.database.url }, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const EXPECTED_FILES = [
  "10.0.2.15_2026_11_22_10_15_53.json",
  "10.0.2.20_2020_02_24_02_11_14-2.json",
  "10.0.2.20_2020_02_24_02_11_14.json",
  "10.0.2.20_2020_02_24_03_11_14.json",
  "192.168.1.10_2020_02_25_23_00_55.json",
  "fe80--1_2026_11_20_08_00_00.json",
  "host-without-ip_2026_11_21_09_30_00.json",
];

for (const engine of ENGINES) {
  describe(`export on ${engine}`, () => {
    let t: CompatApp;
    let dir: string;
    let agentHostId: number;

    before(async () => {
      t = await startCompatApp(engine);
      dir = mkdtempSync(join(tmpdir(), "compliance-export-"));
      const ok = (r: { statusCode: number; body: string }) => assert.ok(r.statusCode < 300, r.body);
      ok(await t.post("/api/v1/compliance/system_info", seedFixture("000-signature.json")));
      ok(await t.post("/servers", seedFixture("001-server.json")));
      ok(await t.postRaw("/", seedFixtureText("004-execution.json")));
      ok(await t.post("/", seedFixture("004-execution-later.json")));
      // Another execution in the same second as the first one of 10.0.2.20: a suffix.
      const sameSecond = seedFixture("004-execution.json");
      sameSecond.Server.Date = "2020-02-24 02:11:14.900000";
      sameSecond.Users = ["root"];
      ok(await t.post("/", sameSecond));

      // Our own agents' hosts: one with an IPv6 primary address, one with no address.
      for (const [identifier, primary, at] of [
        ["machine-v6", "fe80::1", "2026-11-20T08:00:00Z"],
        ["host-without-ip", undefined, "2026-11-21T09:30:00Z"],
      ] as const) {
        const enrolled = await t.app.inject({
          method: "POST",
          url: "/api/v1/enroll",
          payload: { enroll_secret: ENROLL_SECRET, host_identifier: identifier },
        });
        const report = makeReport({ identifier, collected_at: at });
        if (primary) {
          report.host.primary_ip = primary;
          report.host.ip_addresses = [primary];
        } else {
          delete report.host.primary_ip;
          report.host.ip_addresses = [];
        }
        ok(
          await t.app.inject({
            method: "POST",
            url: "/api/v1/reports",
            headers: { authorization: `Bearer ${enrolled.json().node_key}` },
            payload: report,
          }),
        );
        if (identifier === "machine-v6") agentHostId = enrolled.json().host_id;
      }
    });
    after(async () => {
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test("every report becomes one file named by address and second, equal to the stored report", async () => {
      const out = join(dir, "all");
      const r = await cli(t, ["export", "--dir", out]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /exported 7 reports to /);
      const files = readdirSync(out).sort();
      assert.deepEqual(files, EXPECTED_FILES);
      for (const file of files) {
        const report = JSON.parse(readFileSync(join(out, file), "utf8"));
        const stored = await storedReport(t.store, report.report_id);
        assert.ok(stored, file);
        assert.deepEqual(report, stored.report, file);
      }
      // The suffixed file is the later one of that second.
      const suffixed = JSON.parse(
        readFileSync(join(out, "10.0.2.20_2020_02_24_02_11_14-2.json"), "utf8"),
      );
      assert.equal(suffixed.collected_at, "2020-02-24T02:11:14.900000Z");
    });

    test("--host and --from/--to narrow the export", async () => {
      const one = join(dir, "one");
      const r = await cli(t, ["export", "--dir", one, "--host", String(agentHostId)]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(readdirSync(one), ["fe80--1_2026_11_20_08_00_00.json"]);

      const range = join(dir, "range");
      const r2 = await cli(t, [
        "export",
        "--dir",
        range,
        "--from",
        "2020-02-24T02:11:14Z",
        "--to",
        "2020-02-25T23:00:56Z",
      ]);
      assert.equal(r2.code, 0, r2.stderr);
      assert.deepEqual(readdirSync(range).sort(), [
        "10.0.2.20_2020_02_24_02_11_14-2.json",
        "10.0.2.20_2020_02_24_02_11_14.json",
        "10.0.2.20_2020_02_24_03_11_14.json",
        "192.168.1.10_2020_02_25_23_00_55.json",
      ]);
    });

    test("progress on stderr every N reports, paged through the store", async () => {
      const stderr = capture();
      const result = await exportReports(
        t.store,
        { dir: join(dir, "progress"), progressEvery: 2, pageSize: 3 },
        { stderr },
      );
      assert.deepEqual({ written: result.written, total: result.total }, { written: 7, total: 7 });
      assert.equal(stderr.text, "export: 2/7 reports\nexport: 4/7 reports\nexport: 6/7 reports\n");
      assert.deepEqual(readdirSync(join(dir, "progress")).sort(), EXPECTED_FILES);
    });

    test("an existing file is never overwritten: the new one gets a suffix", async () => {
      const again = join(dir, "again");
      assert.equal(
        (await cli(t, ["export", "--dir", again, "--host", String(agentHostId)])).code,
        0,
      );
      assert.equal(
        (await cli(t, ["export", "--dir", again, "--host", String(agentHostId)])).code,
        0,
      );
      assert.deepEqual(readdirSync(again).sort(), [
        "fe80--1_2026_11_20_08_00_00-2.json",
        "fe80--1_2026_11_20_08_00_00.json",
      ]);
    });

    test("a directory that cannot be written is exit 2 with one line", async () => {
      const file = join(dir, "a-file");
      writeFileSync(file, "x");
      const r = await cli(t, ["export", "--dir", join(file, "sub")]);
      assert.equal(r.code, 2);
      assert.equal(r.stderr.trim().split("\n").length, 1);
      assert.match(r.stderr, /^compliance-api export: cannot write to .*a-file\/sub: .*ENOTDIR/);
      const asFile = await cli(t, ["export", "--dir", file]);
      assert.equal(asFile.code, 2);
    });

    test("bad arguments are exit 2 with one line", async () => {
      for (const args of [
        ["export"],
        ["export", "--dir", join(dir, "x"), "--from", "yesterday"],
        ["export", "--dir", join(dir, "x"), "--host", "abc"],
        ["export", "--dir", join(dir, "x"), "--host", "999999"],
      ]) {
        const r = await cli(t, args);
        assert.equal(r.code, 2, args.join(" "));
        assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
        assert.match(r.stderr, /^compliance-api export: /);
      }
    });
  });
}
