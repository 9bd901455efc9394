import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { runCompiled } from "../src/store/compiled-once.ts";
import { type DatabaseHandle, openDatabase } from "../src/store/database.ts";
import { openStore } from "../src/store/sql-store.ts";
import { createTestDatabase, ENGINES, type TestDatabase } from "./helpers/databases.ts";

/**
 * A statement compiled once runs again with each call's values, keeps the values it fixed,
 * and refuses a call that lacks one of its parameters rather than binding nothing.
 */
/** node:sqlite's rows have no prototype. */
const plain = (rows: unknown[]) => rows.map((r) => ({ ...(r as object) }));

for (const engine of ENGINES)
  describe(`statements compiled once on ${engine}`, () => {
    let database: TestDatabase;
    let handle: DatabaseHandle;
    before(async () => {
      database = await createTestDatabase(engine);
      const store = openStore({ url: database.url });
      await store.migrate();
      await store.close();
      handle = openDatabase(database.url, { poolSize: 2 });
    });
    after(async () => {
      await handle?.close();
      await database?.drop();
    });

    test("each run binds its own values; fixed values stay", async () => {
      const db = handle.db;
      const built: string[] = [];
      const insert = (name: string, value: string) =>
        runCompiled(db, "test insert", { name, value }, (param) => {
          built.push("insert");
          return db.insertInto("settings").values({ name: param("name"), value: param("value") });
        });
      for (let i = 0; i < 5; i++) await insert(`compiled-${i}`, `value ${i}`);
      await insert("compiled-skip", "skip");

      const read = (name: string) =>
        runCompiled(db, "test read", { name }, (param) => {
          built.push("read");
          return (
            db
              .selectFrom("settings")
              .select(["name", "value"])
              .where("name", "=", param("name"))
              // A plain value is part of the statement: no run can change it.
              .where("value", "!=", "skip")
          );
        });
      for (let i = 0; i < 5; i++) {
        assert.deepEqual(plain((await read(`compiled-${i}`)).rows), [
          { name: `compiled-${i}`, value: `value ${i}` },
        ]);
      }
      assert.deepEqual((await read("compiled-skip")).rows, []);
      assert.deepEqual(built, ["insert", "read"], "each statement is built once");
    });

    test("a missing value is an error, not a null bound", async () => {
      const db = handle.db;
      await assert.rejects(
        runCompiled(db, "test missing", {}, (param) =>
          db.selectFrom("settings").select("name").where("name", "=", param("name")),
        ),
        /no value for the parameter name/,
      );
    });
  });
