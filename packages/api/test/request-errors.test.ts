import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  ADMIN,
  enrollHost,
  openRaw,
  type StartedServer,
  startHttpServer,
} from "./helpers/http-server.ts";

const auth = { authorization: `Bearer ${ADMIN}` };

/**
 * Requests refused before a route runs (by the HTTP parser, the router, the conversion of
 * path and query values) answer in the API's shape, and a number written any other way
 * than in decimal digits never reaches a route as some other number.
 */
describe("requests refused before a route runs", () => {
  let api: StartedServer;
  let url: string;
  let hostId: number;
  before(async () => {
    api = await startHttpServer();
    url = api.server.url;
    await enrollHost(url, "kept-host");
    const hosts = (await (await fetch(`${url}/api/v1/hosts`, { headers: auth })).json()) as {
      items: { id: number }[];
    };
    hostId = hosts.items[0]!.id;
    assert.equal(hostId, 1, "the first host has id 1, the number the conversions below make");
  });
  after(() => api?.close());

  for (const id of ["true", "1.5", "0x1", "1e0", " 1", "+1"]) {
    test(`DELETE /hosts/${id} is a 400 naming params/id; host 1 stays`, async () => {
      const r = await fetch(`${url}/api/v1/hosts/${encodeURIComponent(id)}`, {
        method: "DELETE",
        headers: auth,
      });
      assert.equal(r.status, 400);
      const body = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, "invalid_request");
      assert.match(body.error.message, /^params\/id must be an integer/);
      const host = await fetch(`${url}/api/v1/hosts/1`, { headers: auth });
      assert.equal(host.status, 200, "host 1 was not touched");
    });
  }

  test("a query number written otherwise is a 400 naming it; in digits it works", async () => {
    const bad = await fetch(`${url}/api/v1/hosts?limit=0x10`, { headers: auth });
    assert.equal(bad.status, 400);
    assert.match(
      ((await bad.json()) as any).error.message,
      /^querystring\/limit must be an integer/,
    );
    const good = await fetch(`${url}/api/v1/hosts?limit=10`, { headers: auth });
    assert.equal(good.status, 200);
  });

  test("a bad percent escape in the path is a 400 in the API's shape", async () => {
    const r = await fetch(`${url}/api/v1/reports/%ZZ`, { headers: auth });
    assert.equal(r.status, 400);
    assert.deepEqual(Object.keys((await r.json()) as object), ["error"]);
  });

  test("a path parameter of 1,000 characters is a 414 in the API's shape", async () => {
    const r = await fetch(`${url}/api/v1/reports/${"a".repeat(1_000)}`, { headers: auth });
    assert.equal(r.status, 414);
    const body = (await r.json()) as { error: { code: string } };
    assert.equal(body.error.code, "invalid_request");
  });

  test("headers past the parser's limit are a 431 in the API's shape", async () => {
    const raw = await openRaw(api.port);
    await raw.request(`GET /health?${"q".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await raw.closed;
    const [head, body] = raw.received().split("\r\n\r\n");
    assert.match(head!, /^HTTP\/1\.1 431 /);
    assert.equal(JSON.parse(body!).error.code, "headers_too_large");
  });
});
