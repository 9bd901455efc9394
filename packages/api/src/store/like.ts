import { type RawBuilder, sql } from "kysely";

// LIKE patterns that behave the same on SQLite, PostgreSQL and MySQL: "!" is the escape
// character everywhere (backslash is not an escape on SQLite and doubles in MySQL strings),
// and both sides are lower-cased so matching ignores case on every engine.

const escapeLike = (text: string) => text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`);

/** Matches rows whose column contains `text` anywhere, ignoring case. */
export function contains(column: string, text: string): RawBuilder<boolean> {
  return sql<boolean>`lower(${sql.ref(column)}) like ${`%${escapeLike(text)}%`} escape '!'`;
}

/** Matches a glob (`ngin*`, `?sh`), ignoring case. */
export function matchesGlob(column: string, glob: string): RawBuilder<boolean> {
  const pattern = escapeLike(glob).replace(/\*/g, "%").replace(/\?/g, "_");
  return sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '!'`;
}

/** Whether a search term is a glob rather than an exact name. */
export const isGlob = (term: string) => /[*?]/.test(term);
