import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { ADMIN, enrollHost, type StartedServer, startHttpServer } from "./helpers/http-server.ts";
import { makeProcess, makeReport } from "./helpers/reports.ts";

const auth = { authorization: `Bearer ${ADMIN}` };

/** A report of 300 processes: about 50 KB of JSON, a few KB compressed. */
function bigReport(identifier: string) {
  return makeReport({
    identifier,
    processes: Array.from({ length: 300 }, (_, i) =>
      makeProcess({ pid: i + 2, name: `worker-${i}`, cmdline: `/usr/bin/worker --id ${i}` }),
    ),
  });
}

describe("compressed request bodies", () => {
  let api: StartedServer;
  let url: string;
  let key: string;
  before(async () => {
    // A small report limit, to try a body that inflates past it.
    api = await startHttpServer({ COMPLIANCE_REPORT_BODY_LIMIT: "262144" });
    url = api.server.url;
    key = await enrollHost(url, "gzip-host");
  });
  after(() => api?.close());

  const send = (body: Uint8Array | string, encoding?: string) =>
    fetch(`${url}/api/v1/reports`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${key}`,
        ...(encoding ? { "content-encoding": encoding } : {}),
      },
      body,
    });

  for (const [encoding, compress] of [
    ["gzip", gzipSync],
    ["zstd", zstdCompressSync],
  ] as const) {
    test(`a report sent with ${encoding} is stored and reads back as sent`, async () => {
      const report = bigReport("gzip-host");
      const text = JSON.stringify(report);
      const packed = compress(Buffer.from(text));
      assert.ok(packed.length * 5 < text.length, "the body is much smaller on the wire");
      const r = await send(packed, encoding);
      assert.equal(r.status, 201, await r.clone().text());
      const back = await fetch(`${url}/api/v1/reports/${report.report_id}`, { headers: auth });
      assert.deepEqual(await back.json(), report);
    });
  }

  test("a body that inflates past the limit is a 413, however small it is on the wire", async () => {
    // 64 MiB of spaces inside a string: about 64 KB gzipped.
    const bomb = gzipSync(Buffer.from(`{"report_id":"${" ".repeat(64 * 1024 * 1024)}"}`));
    assert.ok(bomb.length < 262_144, "the compressed body is under the limit");
    const r = await send(bomb, "gzip");
    assert.equal(r.status, 413);
    const error = ((await r.json()) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, "body_too_large");
    assert.match(error.message, /once decoded/);
    assert.equal((await fetch(`${url}/health`)).status, 200);
  });

  test("a body that is not what its encoding says is a 400; an unknown encoding a 415", async () => {
    const garbage = await send("this is not gzip at all", "gzip");
    assert.equal(garbage.status, 400);
    assert.match(((await garbage.json()) as any).error.message, /not valid gzip/);
    const unknown = await send(JSON.stringify(bigReport("gzip-host")), "br-nonsense");
    assert.equal(unknown.status, 415);
    assert.equal(((await unknown.json()) as any).error.code, "unsupported_encoding");
  });
});
