import assert from "node:assert/strict";
import { execSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { validateReport } from "@compliance/contract";
import { systemClock } from "../src/clock.ts";
import { parseUtmp, readSessions, UTMP_RECORD_BYTES } from "../src/collectors/sessions.ts";
import { collectReport } from "../src/report.ts";
import { FIXTURES } from "./helpers.ts";

describe("sessions from utmp", () => {
  let dir: string;
  let utmp: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "agent-utmp-"));
    utmp = join(dir, "utmp");
    // A real utmp file, written by util-linux from its text form.
    execSync(
      `utmpdump -r < ${JSON.stringify(join(FIXTURES, "utmp.txt"))} > ${JSON.stringify(utmp)}`,
      {
        stdio: ["ignore", "ignore", "ignore"],
      },
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("utmpdump wrote one 384-byte record per fixture line", () => {
    const lines = readFileSync(join(FIXTURES, "utmp.txt"), "utf8").trim().split("\n");
    assert.equal(statSync(utmp).size, lines.length * UTMP_RECORD_BYTES);
  });

  test("only user sessions, duplicates merged, remote host only when remote", () => {
    assert.deepEqual(parseUtmp(readFileSync(utmp)), [
      {
        user: "malasia",
        terminal: "pts/0",
        remote_host: "10.0.0.9",
        started_at: "2026-11-22T10:15:53.250Z",
        pid: 4242,
      },
      { user: "root", terminal: "tty2", started_at: "2026-11-21T07:30:00.000Z", pid: 1234 },
    ]);
  });

  test("a trailing partial record is ignored", () => {
    const bytes = readFileSync(utmp);
    const cut = bytes.subarray(0, bytes.length - 100);
    assert.deepEqual(
      parseUtmp(cut).map((s) => s.user),
      ["malasia", "root"],
    );
  });

  test("the collector reads the file it is pointed at, and the report passes the contract", async () => {
    const report = await collectReport({ clock: systemClock(), cpuWindowMs: 0, paths: { utmp } });
    assert.equal(report.sessions.length, 2);
    assert.equal(
      report.errors?.some((e) => e.collector === "sessions"),
      false,
    );
    assert.ok(validateReport(report).ok);
  });

  test("no utmp: sessions unknown, said in errors, an empty list, never a made-up user", async () => {
    const missing = join(dir, "no-such-utmp");
    assert.throws(() => readSessions(missing, true), {
      message: `no utmp at ${missing}: sessions unknown`,
    });
    const report = await collectReport({
      clock: systemClock(),
      cpuWindowMs: 0,
      paths: { utmp: missing },
    });
    assert.deepEqual(report.sessions, []);
    assert.deepEqual(
      report.errors?.filter((e) => e.collector === "sessions"),
      [{ collector: "sessions", message: `no utmp at ${missing}: sessions unknown` }],
    );
    assert.ok(validateReport(report).ok);
  });

  test("this machine's own utmp: a list of sessions, or the reason there is none", async () => {
    const report = await collectReport({ clock: systemClock(), cpuWindowMs: 0 });
    const error = report.errors?.find((e) => e.collector === "sessions");
    let exists = true;
    try {
      statSync("/run/utmp");
    } catch {
      exists = false;
    }
    if (exists) assert.equal(error, undefined);
    else {
      assert.equal(error?.message, "no utmp at /run/utmp: sessions unknown");
      assert.deepEqual(report.sessions, []);
    }
  });
});
