import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ENGINES } from "./helpers/databases.ts";
import { storeFixture } from "./helpers/store.ts";

/** The hostnames of many hosts in a few queries (a policy's host list of a whole fleet). */
for (const engine of ENGINES)
  describe(`hostnames by id on ${engine}`, () => {
    const fixture = storeFixture(engine);

    test("every existing host of the ids, once, over several chunks of ids", async () => {
      const enrolled = new Map<number, string>();
      for (const name of ["web-1", "web-2", "db-1"]) {
        const { hostId } = await fixture.store.enrollHost({
          identifier: name,
          hostname: name,
          nodeKeyHash: name,
          source: "agent",
        });
        enrolled.set(hostId, name);
      }
      // 1,200 ids (three chunks), most of no host, the enrolled ones last and twice.
      const ids = [...Array.from({ length: 1200 }, (_, i) => 100_000 + i), ...enrolled.keys()];
      const names = await fixture.store.hostnames([...ids, ...enrolled.keys()]);
      assert.deepEqual(names, enrolled);
      assert.deepEqual(await fixture.store.hostnames([]), new Map());
    });
  });
