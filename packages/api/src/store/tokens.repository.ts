import type { TokenRole } from "@compliance/contract";
import type { Kysely } from "kysely";
import type { Engine } from "./database.ts";
import type { Database } from "./schema.ts";

export interface TokenRecord {
  id: number;
  name: string;
  role: TokenRole;
  created_at: string;
  last_used_at: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** API tokens of people and scripts (admin or reader), stored as hashes only. */
export class TokensRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly reader: Kysely<Database>,
    private readonly engine: Engine,
    private readonly now: () => number,
  ) {}

  async create(name: string, role: TokenRole, tokenHash: string): Promise<number> {
    const values = {
      name,
      role,
      token_hash: tokenHash,
      created_at: this.now(),
      last_used_at: null,
    };
    if (this.engine === "postgres") {
      const r = await this.db
        .insertInto("api_tokens")
        .values(values)
        .returning("id")
        .executeTakeFirstOrThrow();
      return r.id;
    }
    const r = await this.db.insertInto("api_tokens").values(values).executeTakeFirstOrThrow();
    return Number(r.insertId);
  }

  async byHash(tokenHash: string): Promise<TokenRecord | null> {
    const row = await this.reader
      .selectFrom("api_tokens")
      .selectAll()
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async touch(id: number): Promise<void> {
    await this.db
      .updateTable("api_tokens")
      .set({ last_used_at: this.now() })
      .where("id", "=", id)
      .execute();
  }

  async list(): Promise<TokenRecord[]> {
    const rows = await this.reader.selectFrom("api_tokens").selectAll().orderBy("id").execute();
    return rows.map(toRecord);
  }

  async revoke(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom("api_tokens").where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async getSetting(name: string): Promise<string | null> {
    const row = await this.db
      .selectFrom("settings")
      .select("value")
      .where("name", "=", name)
      .executeTakeFirst();
    return row?.value ?? null;
  }

  /** Stores the value unless one is there already; returns the value that holds. */
  async settingOnce(name: string, value: string): Promise<string> {
    let q = this.db.insertInto("settings").values({ name, value });
    q =
      this.engine === "mysql"
        ? q.onDuplicateKeyUpdate({ name })
        : q.onConflict((oc) => oc.column("name").doNothing());
    await q.execute();
    return (await this.getSetting(name))!;
  }

  async setSetting(name: string, value: string): Promise<void> {
    let q = this.db.insertInto("settings").values({ name, value });
    q =
      this.engine === "mysql"
        ? q.onDuplicateKeyUpdate({ value })
        : q.onConflict((oc) => oc.column("name").doUpdateSet({ value }));
    await q.execute();
  }
}

function toRecord(row: {
  id: number;
  name: string;
  role: string;
  created_at: number;
  last_used_at: number | null;
}): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role as TokenRole,
    created_at: iso(row.created_at)!,
    last_used_at: iso(row.last_used_at),
  };
}
