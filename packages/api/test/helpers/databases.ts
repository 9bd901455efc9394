import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnection } from "mysql2/promise";
import pg from "pg";

/**
 * Real databases for tests: a fresh SQLite file, and a fresh database on the PostgreSQL
 * and MariaDB servers of the machine (created and dropped by the test). A server that is
 * not there fails the test with a message saying which one and how to point at another.
 */

export type TestEngine = "sqlite" | "postgres" | "mysql";
export const ENGINES: readonly TestEngine[] = ["sqlite", "postgres", "mysql"];

const PG_ADMIN_URL =
  process.env.COMPLIANCE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const MYSQL_ADMIN_URL = process.env.COMPLIANCE_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test";

export interface TestDatabase {
  engine: TestEngine;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(engine: TestEngine): Promise<TestDatabase> {
  const name = `compliance_test_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  if (engine === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "compliance-test-"));
    return {
      engine,
      url: `sqlite:${join(dir, "compliance.db")}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (engine === "postgres") {
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await admin.connect();
    } catch (e) {
      throw new Error(
        `PostgreSQL is not reachable at ${PG_ADMIN_URL} (${(e as Error).message}). ` +
          "Start it or set COMPLIANCE_TEST_POSTGRES_URL.",
      );
    }
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    return {
      engine,
      url: url.toString(),
      drop: async () => {
        const c = new pg.Client({ connectionString: PG_ADMIN_URL });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  let admin: Awaited<ReturnType<typeof createConnection>>;
  try {
    admin = await createConnection({ uri: MYSQL_ADMIN_URL, connectTimeout: 3000 });
  } catch (e) {
    throw new Error(
      `MariaDB/MySQL is not reachable at ${MYSQL_ADMIN_URL} (${(e as Error).message}). ` +
        "Start it or set COMPLIANCE_TEST_MYSQL_URL.",
    );
  }
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const url = new URL(MYSQL_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    engine,
    url: url.toString(),
    drop: async () => {
      const c = await createConnection({ uri: MYSQL_ADMIN_URL });
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}
