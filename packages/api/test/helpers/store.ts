import { after, before } from "node:test";
import type { Report } from "@compliance/contract";
import type { Kysely } from "kysely";
import { type DatabaseHandle, openDatabase } from "../../src/store/database.ts";
import type { Database } from "../../src/store/schema.ts";
import { openStore } from "../../src/store/sql-store.ts";
import type { Store } from "../../src/store/store.ts";
import { createTestDatabase, type TestDatabase, type TestEngine } from "./databases.ts";

/**
 * A migrated Store on a fresh database of `engine` for the suite it is called in, closed
 * and dropped after it. Read `.store` inside tests (it exists once the suite started);
 * `.db` is a connection of the test's own to the same database, to look at its rows.
 */
export function storeFixture(
  engine: TestEngine,
  options: { writeBatch?: number } = {},
): {
  readonly store: Store;
  readonly db: Kysely<Database>;
} {
  let database: TestDatabase | undefined;
  let store: Store | undefined;
  let inspect: DatabaseHandle | undefined;
  before(async () => {
    database = await createTestDatabase(engine);
    store = openStore({ url: database.url, ...options });
    await store.migrate();
    inspect = openDatabase(database.url, { poolSize: 1 });
  });
  after(async () => {
    await inspect?.close();
    await store?.close();
    await database?.drop();
  });
  return {
    get store() {
      if (!store) throw new Error("the store fixture is used before its suite started");
      return store;
    },
    get db() {
      if (!inspect) throw new Error("the store fixture is used before its suite started");
      return inspect.db;
    },
  };
}

/** A stored report as the API serves it, with its host; null when it is not stored. */
export async function storedReport(
  store: Store,
  reportId: string,
): Promise<{ hostId: number; report: Report } | null> {
  const execution = await store.executionByReportId(reportId);
  return execution ? { hostId: execution.hostId, report: await store.reportOf(execution) } : null;
}
