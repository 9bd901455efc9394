import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  enrollHost,
  openRaw,
  type RawConnection,
  type StartedServer,
  startHttpServer,
} from "./helpers/http-server.ts";
import { makeReport } from "./helpers/reports.ts";

const METRICS = "admission-metrics-token-0123456789";

/**
 * Admission control: with COMPLIANCE_MAX_PENDING_REPORTS=2, two reports whose bodies are
 * still arriving fill the process; a third is answered at once 503 "overloaded" with
 * Retry-After, without waiting for its body. Once one of the two is answered and the other's
 * client went away, reports are taken again, and /metrics counted the refusal.
 */
describe("admission control of reports", () => {
  let server: StartedServer;
  let url: string;
  let key: string;
  /** One host per slow report: a host sends one report at a time. */
  let slowKeys: string[];
  before(async () => {
    server = await startHttpServer({
      COMPLIANCE_MAX_PENDING_REPORTS: "2",
      COMPLIANCE_METRICS_TOKEN: METRICS,
    });
    url = server.server.url;
    key = await enrollHost(url, "admitted");
    slowKeys = [await enrollHost(url, "slow-0"), await enrollHost(url, "slow-1")];
  });
  after(async () => {
    await server?.close();
  });

  const send = (body: string) =>
    fetch(`${url}/api/v1/reports`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body,
    });
  const inHand = async () => {
    const text = await (
      await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } })
    ).text();
    const value = (line: string) =>
      Number(
        text
          .split("\n")
          .find((l) => l.startsWith(line))
          ?.split(" ")
          .at(-1),
      );
    return {
      admitted: value('compliance_reports_in_hand{state="admitted"}'),
      queueFull: value('compliance_overloaded_total{reason="queue_full"}'),
    };
  };

  test("full: 503 overloaded with Retry-After at once; then it takes reports again", async () => {
    const bodies = [0, 1].map((i) =>
      JSON.stringify(
        makeReport({
          identifier: `slow-${i}`,
          collected_at: new Date(Date.UTC(2026, 10, 30, 10, i)).toISOString(),
        }),
      ),
    );
    // Two reports whose headers and half of their body have arrived: both are in hand.
    const slow: RawConnection[] = [];
    for (const [i, body] of bodies.entries()) {
      const raw = await openRaw(server.port);
      raw.socket.write(
        `POST /api/v1/reports HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
          `authorization: Bearer ${slowKeys[i]}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n` +
          body.slice(0, body.length / 2),
      );
      slow.push(raw);
    }
    for (let i = 0; (await inHand()).admitted < 2; i++) {
      assert.ok(i < 500, "the two slow reports are admitted");
      await new Promise((r) => setTimeout(r, 20));
    }

    const third = JSON.stringify(makeReport({ identifier: "admitted" }));
    const refused = await send(third);
    assert.equal(refused.status, 503);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "overloaded");
    assert.match(refused.headers.get("retry-after") ?? "", /^[1-5]$/);
    assert.equal((await inHand()).queueFull, 1);

    // One finishes its body and is answered; the other's client goes away.
    const answered = slow[0]!.request(bodies[0]!.slice(bodies[0]!.length / 2));
    assert.match(await answered, /^HTTP\/1\.1 201/);
    slow[1]!.socket.destroy();
    for (let i = 0; (await inHand()).admitted > 0; i++) {
      assert.ok(i < 500, "both places are free again");
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await send(third)).status, 201, "taken again once there is room");
  });
});
