import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openStore } from "../src/store/sql-store.ts";

/** This process's open files under `dir`, from /proc. */
function openFilesUnder(dir: string): string[] {
  return readdirSync("/proc/self/fd").flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(dir) ? [target] : [];
    } catch {
      return []; // the descriptor readdir itself used, closed meanwhile
    }
  });
}

test("a closed SQLite store leaves no file of its database open, its unused reader's included", async () => {
  const dir = mkdtempSync(join(tmpdir(), "compliance-close-"));
  try {
    const store = openStore({ url: `sqlite:${join(dir, "compliance.db")}` });
    await store.migrate();
    assert.ok(openFilesUnder(dir).length > 0, "the store holds its files while open");
    await store.close();
    assert.deepEqual(openFilesUnder(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
