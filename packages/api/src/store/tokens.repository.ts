import type { TokenRole } from "@compliance/contract";
import type { Kysely, Selectable } from "kysely";
import type { Dialect } from "./dialect.ts";
import { isoOrNull } from "./positions.ts";
import type { TokenRecord } from "./records.ts";
import type { ApiTokensTable, Database } from "./schema.ts";

function tokenRecordOf(row: Selectable<ApiTokensTable>): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role as TokenRole,
    created_at: new Date(row.created_at).toISOString(),
    last_used_at: isoOrNull(row.last_used_at),
  };
}

/** API tokens of people and scripts (admin or reader), stored as hashes only; and settings. */
export class TokensRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly reader: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async create(input: {
    name: string;
    role: TokenRole;
    tokenHash: string;
    createdAt: number;
  }): Promise<TokenRecord> {
    const values = {
      name: input.name,
      role: input.role,
      token_hash: input.tokenHash,
      created_at: input.createdAt,
      last_used_at: null,
    };
    const id = await this.dialect.insertReturningId(this.db, "api_tokens", values);
    return tokenRecordOf({ id, ...values });
  }

  async byHash(tokenHash: string): Promise<TokenRecord | null> {
    const row = await this.reader
      .selectFrom("api_tokens")
      .selectAll()
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
    return row ? tokenRecordOf(row) : null;
  }

  async touch(id: number, at: number): Promise<void> {
    await this.db
      .updateTable("api_tokens")
      .set({ last_used_at: at })
      .where("id", "=", id)
      .execute();
  }

  async list(): Promise<TokenRecord[]> {
    const rows = await this.reader.selectFrom("api_tokens").selectAll().orderBy("id").execute();
    return rows.map(tokenRecordOf);
  }

  async revoke(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom("api_tokens").where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async setting(name: string): Promise<string | null> {
    const row = await this.db
      .selectFrom("settings")
      .select("value")
      .where("name", "=", name)
      .executeTakeFirst();
    return row?.value ?? null;
  }

  /** Stores the value unless one is there already; returns the value that holds. */
  async settingOnce(name: string, value: string): Promise<string> {
    await this.dialect.upsert(this.db, "settings", { name, value }, "name", null);
    return (await this.setting(name))!;
  }
}
