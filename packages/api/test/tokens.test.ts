import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { ENGINES } from "./helpers/databases.ts";

// A token's last use is what an admin reads to find tokens nobody uses any more. It is
// recorded at most once a minute per token, so reads do not each cost a write.

for (const engine of ENGINES) {
  describe(`token last use on ${engine}`, () => {
    let clock = Date.parse("2026-11-30T10:00:00Z");
    let t: TestApp;
    before(async () => {
      t = await startTestApp(engine, { now: () => clock });
    });
    after(() => t?.close());

    const lastUsed = async (id: number) => {
      const list = await t.read<{ items: { id: number; last_used_at: string | null }[] }>(
        "/api/v1/tokens",
      );
      return list.items.find((x) => x.id === id)?.last_used_at;
    };

    test("never used, then the time of first use, then at most once a minute", async () => {
      const created = await t.app.inject({
        method: "POST",
        url: "/api/v1/tokens",
        headers: t.admin,
        payload: { name: "auditor", role: "reader" },
      });
      assert.equal(created.statusCode, 201);
      const { id, token, last_used_at } = created.json();
      assert.equal(last_used_at, null);
      assert.equal(await lastUsed(id), null);

      const reader = { authorization: `Bearer ${token}` };
      const use = async () => assert.equal((await t.get("/api/v1/hosts", reader)).statusCode, 200);
      await use();
      assert.equal(await lastUsed(id), "2026-11-30T10:00:00.000Z");

      clock += 30_000;
      await use();
      assert.equal(await lastUsed(id), "2026-11-30T10:00:00.000Z", "within the minute: kept");

      clock += 31_000;
      await use();
      assert.equal(await lastUsed(id), "2026-11-30T10:01:01.000Z");

      // A reader token on an admin route authenticates, then is refused: still a use.
      clock += 120_000;
      const refused = await t.get("/api/v1/tokens", reader);
      assert.equal(refused.statusCode, 403);
      assert.equal(await lastUsed(id), "2026-11-30T10:03:01.000Z", "recorded");
    });
  });
}
