import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createConnection } from "mysql2/promise";
import pg from "pg";
import { buildApp } from "../src/app.ts";
import { hashSecret } from "../src/auth.ts";
import { ConfigError, loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/store/database.ts";
import { openStore } from "../src/store/sql-store.ts";
import type { Store } from "../src/store/store.ts";
import { isDatabaseUnavailable, overloadOf } from "../src/store/unavailable.ts";
import { ADMIN_TOKEN, ENROLL_SECRET } from "./helpers/app.ts";
import {
  createTestDatabase,
  ENGINES,
  type TestDatabase,
  type TestEngine,
} from "./helpers/databases.ts";
import { makeReport } from "./helpers/reports.ts";

/**
 * A database that does not answer in time (a lock held elsewhere) is a 503 with
 * Retry-After within the statement timeout, not a request left hanging; the same requests
 * work once the lock is gone. Long work (retention) is not cut short.
 */

/** Far above the 1 s timeout, far below the test's own limit: "answered, not left hanging". */
const ANSWERED_WITHIN_MS = 20_000;

test("COMPLIANCE_DB_STATEMENT_TIMEOUT: seconds, 10 by default, 0 for none", () => {
  assert.equal(loadConfig({}).databaseStatementTimeoutSeconds, 10);
  assert.equal(
    loadConfig({ COMPLIANCE_DB_STATEMENT_TIMEOUT: "0" }).databaseStatementTimeoutSeconds,
    0,
  );
  assert.throws(
    () => loadConfig({ COMPLIANCE_DB_STATEMENT_TIMEOUT: "soon" }),
    (e: unknown) => e instanceof ConfigError && e.variable === "COMPLIANCE_DB_STATEMENT_TIMEOUT",
  );
});

async function startApp(engine: TestEngine) {
  const database: TestDatabase = await createTestDatabase(engine);
  const store: Store = openStore({ url: database.url, statementTimeoutMs: 1000 });
  await store.migrate();
  const app = await buildApp({
    store,
    config: loadConfig({}),
    secrets: {
      adminTokenHash: hashSecret(ADMIN_TOKEN),
      enrollSecretHash: hashSecret(ENROLL_SECRET),
    },
  });
  const enrolled = await app.inject({
    method: "POST",
    url: "/api/v1/enroll",
    payload: { enroll_secret: ENROLL_SECRET, host_identifier: "locked-host" },
  });
  const { node_key: nodeKey, host_id: hostId } = enrolled.json();
  const send = () =>
    app.inject({
      method: "POST",
      url: "/api/v1/reports",
      headers: { authorization: `Bearer ${nodeKey}` },
      payload: makeReport({ identifier: "locked-host", collected_at: "2020-01-01T00:00:00Z" }),
    });
  const list = () =>
    app.inject({
      method: "GET",
      url: "/api/v1/hosts",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
  assert.equal((await send()).statusCode, 201);
  return {
    database,
    store,
    app,
    hostId: hostId as number,
    send,
    list,
    close: async () => {
      await app.close();
      await store.close();
      await database.drop();
    },
  };
}

/**
 * Times an answer and insists it is the 503 of a database that cannot answer now, or with
 * `code` "overloaded", of a host's row that other writers hold past the timeout.
 */
async function unavailableInTime(
  call: () => Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }>,
  code: "unavailable" | "overloaded" = "unavailable",
) {
  const started = Date.now();
  const r = await call();
  const took = Date.now() - started;
  assert.equal(r.statusCode, 503, r.body);
  assert.ok(Number(r.headers["retry-after"]) > 0, "Retry-After is set");
  assert.equal(JSON.parse(r.body).error.code, code);
  assert.ok(took < ANSWERED_WITHIN_MS, `answered in ${took} ms`);
}

describe("a locked table on PostgreSQL", () => {
  let t: Awaited<ReturnType<typeof startApp>>;
  let locker: pg.Client;
  before(async () => {
    t = await startApp("postgres");
    locker = new pg.Client({ connectionString: t.database.url });
    await locker.connect();
  });
  after(async () => {
    await locker?.end();
    await t?.close();
  });

  test("requests are 503 within the timeout while it is held, and work once it is released", async () => {
    await locker.query("begin");
    await locker.query("lock table hosts in access exclusive mode");
    try {
      await unavailableInTime(t.list);
      await unavailableInTime(t.send);
    } finally {
      await locker.query("rollback");
    }
    assert.equal((await t.list()).statusCode, 200);
    assert.equal((await t.send()).statusCode, 201);
  });

  test("retention waits for the lock longer than a request may: it is not cut short", async () => {
    await locker.query("begin");
    await locker.query("lock table executions in access exclusive mode");
    let pruned: Promise<unknown>;
    try {
      pruned = t.store.prune(Date.parse("2030-01-01T00:00:00Z"));
      // A request blocked by the same lock gives up after the timeout; retention waits on.
      await unavailableInTime(() =>
        t.app.inject({
          method: "GET",
          url: `/api/v1/hosts/${t.hostId}/reports`,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        }),
      );
    } finally {
      await locker.query("rollback");
    }
    const result = (await pruned) as { executions: number };
    assert.equal(result.executions, 1, "the older of the two executions is pruned");
  });
});

describe("a locked row and table on MariaDB", () => {
  let t: Awaited<ReturnType<typeof startApp>>;
  let locker: Awaited<ReturnType<typeof createConnection>>;
  before(async () => {
    t = await startApp("mysql");
    locker = await createConnection({ uri: t.database.url });
  });
  after(async () => {
    await locker?.end();
    await t?.close();
  });

  test("a report waiting on its host's row lock is 503 overloaded within the timeout, then stored", async () => {
    await locker.query("begin");
    await locker.query("select id from hosts where id = ? for update", [t.hostId]);
    try {
      // The database answers; the row is busy: overloaded, retry later.
      await unavailableInTime(t.send, "overloaded");
    } finally {
      await locker.query("rollback");
    }
    assert.equal((await t.send()).statusCode, 201);
  });

  test("a request waiting on a table lock is 503 within the timeout, then answered", async () => {
    await locker.query("lock tables hosts write");
    try {
      await unavailableInTime(t.list);
    } finally {
      await locker.query("unlock tables");
    }
    assert.equal((await t.list()).statusCode, 200);
  });
});

for (const engine of ENGINES.filter((e) => e !== "sqlite")) {
  test(`on ${engine}, a query waiting for a free connection of a busy pool gives up as overloaded, not unavailable`, async () => {
    const database = await createTestDatabase(engine);
    const handle = openDatabase(database.url, { poolSize: 1, statementTimeoutMs: 1000 });
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    let holding = () => {};
    const taken = new Promise<void>((r) => {
      holding = r;
    });
    try {
      // The pool's only connection, held by a transaction that waits on the test.
      const busy = handle.db.transaction().execute(async () => {
        holding();
        await held;
      });
      await taken;
      const started = Date.now();
      const error = await handle.db
        .selectFrom("kysely_migration" as never)
        .selectAll()
        .execute()
        .then(
          () => null,
          (e: unknown) => e,
        );
      assert.equal(overloadOf(error), "pool_busy", `overloaded: ${String(error)}`);
      assert.equal(isDatabaseUnavailable(error), false, "the database answers");
      assert.ok(Date.now() - started < ANSWERED_WITHIN_MS);
      release();
      await busy;
    } finally {
      release();
      await handle.close();
      await database.drop();
    }
  });
}
