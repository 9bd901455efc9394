import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { holdsNulEscape } from "../src/http/json-limits.ts";
import { ADMIN, enrollHost, type StartedServer, startHttpServer } from "./helpers/http-server.ts";
import { reportWithProcesses } from "./helpers/reports.ts";

describe("holdsNulEscape: a NUL can reach a parsed JSON value only as the escape \\u0000", () => {
  const cases: [string, boolean][] = [
    ['{"a":"x"}', false],
    ['{"a":"\\u0000"}', true],
    ['{"a\\u0000":1}', true],
    // An escaped backslash followed by the text u0000: no NUL.
    ['{"a":"\\\\u0000"}', false],
    // Three backslashes: an escaped one, then the NUL escape.
    ['{"a":"\\\\\\u0000"}', true],
    ['{"a":"\\\\\\\\u0000"}', false],
    // Another escape with letters in its hex digits is not NUL.
    ['{"a":"\\u000A\\u000a\\u0001"}', false],
    // The escaped one first, a real one later in the same text.
    ['{"a":"\\\\u0000","b":"\\u0000"}', true],
  ];
  for (const [text, expected] of cases) {
    test(`${text} → ${expected}`, () => {
      assert.equal(holdsNulEscape(text), expected);
      let nul = false;
      JSON.parse(text, (k, v) => {
        if (k.includes("\u0000") || (typeof v === "string" && v.includes("\u0000"))) nul = true;
        return v;
      });
      assert.equal(nul, expected, "the parsed value agrees");
    });
  }
});

/**
 * A report's text goes through the NUL check cheaply when it holds no NUL escape; these are
 * the texts that must still be told apart, over real HTTP.
 */
describe("NUL in a report, over HTTP", () => {
  let api: StartedServer;
  let url: string;
  let key: string;
  let sent = 0;
  before(async () => {
    api = await startHttpServer();
    url = api.server.url;
    key = await enrollHost(url, "nul-host");
  });
  after(() => api?.close());

  /** A valid report's text with `cmdline` of process 0 written as the raw JSON `rawCmdline`. */
  function reportText(edit: (text: string) => string): { text: string; reportId: string } {
    sent++;
    const report = reportWithProcesses(300, {
      identifier: "nul-host",
      collected_at: new Date(Date.now() - 3600_000 + sent * 1000).toISOString(),
    });
    return { text: edit(JSON.stringify(report)), reportId: report.report_id };
  }
  const post = (text: string, gzip = false) =>
    fetch(`${url}/api/v1/reports`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${key}`,
        ...(gzip ? { "content-encoding": "gzip" } : {}),
      },
      body: gzip ? gzipSync(text) : text,
    });
  const cmdlineOf = async (reportId: string, index: number) => {
    const r = await fetch(`${url}/api/v1/reports/${reportId}`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    assert.equal(r.status, 200);
    return ((await r.json()) as { processes: { cmdline?: string }[] }).processes[index]!.cmdline;
  };
  const refused = async (text: string, path: string, gzip = false) => {
    const r = await post(text, gzip);
    assert.equal(r.status, 400);
    const body = (await r.json()) as {
      error: { code: string; message: string; details: { path: string; message: string }[] };
    };
    assert.equal(body.error.code, "invalid_request");
    assert.equal(body.error.message, `${path} must not contain the NUL character`);
    assert.deepEqual(body.error.details[0], {
      path,
      message: "must not contain the NUL character",
    });
  };

  test("an escaped backslash before u0000 is text, stored and read back as sent", async () => {
    const { text, reportId } = reportText((t) =>
      t.replace('"cmdline":"/usr/bin/worker-0 ', '"cmdline":"C:\\\\u0000 /usr/bin/worker-0 '),
    );
    assert.equal((await post(text)).status, 201);
    assert.match((await cmdlineOf(reportId, 0))!, /^C:\\u0000 \/usr\/bin\/worker-0 /);
  });

  test("\\u000A (upper- or lowercase hex) is a newline, accepted; \\u0000 is refused", async () => {
    const { text, reportId } = reportText((t) =>
      t.replace('"cmdline":"/usr/bin/worker-0 ', '"cmdline":"a\\u000Ab\\u000ac /usr/bin/worker-0 '),
    );
    assert.equal((await post(text)).status, 201);
    assert.match((await cmdlineOf(reportId, 0))!, /^a\nb\nc /);
    await refused(
      reportText((t) =>
        t.replace('"cmdline":"/usr/bin/worker-0 ', '"cmdline":"a\\u0000b /usr/bin/worker-0 '),
      ).text,
      "body/processes/0/cmdline",
    );
  });

  test("three backslashes: an escaped backslash, then NUL", async () => {
    await refused(
      reportText((t) =>
        t.replace('"cmdline":"/usr/bin/worker-0 ', '"cmdline":"a\\\\\\u0000 /usr/bin/worker-0 '),
      ).text,
      "body/processes/0/cmdline",
    );
  });

  test("NUL in the last process and in a nested list", async () => {
    await refused(
      reportText((t) => t.replace("--id 299 ", "--id 299\\u0000 ")).text,
      "body/processes/299/cmdline",
    );
    await refused(
      reportText((t) => t.replace('"fe80::1"', '"fe80::1\\u0000"')).text,
      "body/host/ip_addresses/1",
    );
  });

  test("NUL in a member's name, at the top and nested", async () => {
    await refused(reportText((t) => `${t.slice(0, -1)},"a\\u0000b":1}`).text, "body/a\u0000b");
    await refused(
      reportText((t) => t.replace('{"ppid":1,', '{"x\\u0000":1,"ppid":1,')).text,
      "body/processes/0/x\u0000",
    );
  });

  test("a gzip-compressed body is searched after it is inflated", async () => {
    await refused(
      reportText((t) => t.replace("--id 7 ", "--id 7\\u0000 ")).text,
      "body/processes/7/cmdline",
      true,
    );
    assert.equal((await post(reportText((t) => t).text, true)).status, 201);
  });

  test("a report without NUL after all these is still stored", async () => {
    const { text } = reportText((t) => t);
    assert.equal((await post(text)).status, 201);
  });
});
