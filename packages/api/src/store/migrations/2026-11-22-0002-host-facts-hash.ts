import type { Kysely } from "kysely";

// The hash of the host's current facts, so an unchanged check-in finds its facts row
// without a query.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("hosts").addColumn("facts_hash", "varchar(64)").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("hosts").dropColumn("facts_hash").execute();
}
