import { readFileSync } from "node:fs";
import type { ReportAccount } from "@compliance/contract";
import { LIMITS } from "@compliance/contract/limits";
import { errnoOf, isGone } from "../linux/files.ts";
import { parsePasswdAccounts } from "../linux/passwd.ts";
import { accountPasswordState, type PasswordState, parseShadow } from "../linux/shadow.ts";
import { bounded, canonicalList } from "./canonical-list.ts";
import {
  type CollectContext,
  type Collector,
  CollectorFailure,
  type ReportPatch,
} from "./types.ts";

type ShadowStates = ReadonlyMap<string, Exclude<PasswordState, "none">>;

/**
 * The password states of /etc/shadow; an empty map when the host has no shadow file
 * (every account then has no entry: "none"); undefined when it cannot be read (not root),
 * which leaves the states out rather than guessing them.
 */
function readShadow(path: string): ShadowStates | undefined {
  try {
    return parseShadow(readFileSync(path, "utf8"));
  } catch (error) {
    return isGone(error) ? new Map() : undefined;
  }
}

function account(
  entry: ReturnType<typeof parsePasswdAccounts>[number],
  shadow: ShadowStates | undefined,
): ReportAccount {
  const item: ReportAccount = {
    name: entry.name.slice(0, LIMITS.name),
    uid: entry.uid,
    gid: entry.gid,
    home: entry.home.slice(0, LIMITS.path),
    shell: entry.shell.slice(0, LIMITS.path),
  };
  if (shadow) item.password = accountPasswordState(shadow, entry.name);
  return item;
}

/** Local accounts of /etc/passwd, with their password state from /etc/shadow (never the hash). */
function collectLinuxAccounts(ctx: CollectContext): ReportPatch {
  const path = `${ctx.paths.etc}/passwd`;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new CollectorFailure(`cannot read ${path} (${errnoOf(error) ?? String(error)})`);
  }
  const shadow = readShadow(`${ctx.paths.etc}/shadow`);
  const accounts = parsePasswdAccounts(text).map((entry) => account(entry, shadow));
  const { items, problems } = bounded(canonicalList(accounts), LIMITS.accounts, "accounts");
  return { accounts: items, problems };
}

export const accountsCollector: Collector = {
  description: "Local accounts (/etc/passwd) and whether each has a password (/etc/shadow)",
  platforms: { linux: collectLinuxAccounts },
};
