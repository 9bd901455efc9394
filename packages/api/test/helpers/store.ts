import { after, before } from "node:test";
import { Store } from "../../src/store/store.ts";
import { createTestDatabase, type TestDatabase, type TestEngine } from "./databases.ts";

/**
 * A migrated Store on a fresh database of `engine` for the suite it is called in, closed
 * and dropped after it. Read `.store` inside tests (it exists once the suite started).
 */
export function storeFixture(engine: TestEngine): { readonly store: Store } {
  let database: TestDatabase | undefined;
  let store: Store | undefined;
  before(async () => {
    database = await createTestDatabase(engine);
    store = new Store({ url: database.url });
    await store.migrate();
  });
  after(async () => {
    await store?.close();
    await database?.drop();
  });
  return {
    get store() {
      if (!store) throw new Error("the store fixture is used before its suite started");
      return store;
    },
  };
}
