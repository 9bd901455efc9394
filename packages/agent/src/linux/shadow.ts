/** What the report may say about an account's password: never the hash itself. */
export type PasswordState = "set" | "empty" | "locked" | "none";

/**
 * The state of a shadow password field: empty (no password is asked for), locked (a "!"
 * or "*" prefix, which no crypt hash starts with; "!" alone or "*" alone too), else set.
 */
export function passwordState(field: string): Exclude<PasswordState, "none"> {
  if (field === "") return "empty";
  if (field.startsWith("!") || field.startsWith("*")) return "locked";
  return "set";
}

/**
 * Parses /etc/shadow into each name's password state. The hash is looked at only here and
 * is not kept: nothing downstream can leak what it never received.
 */
export function parseShadow(text: string): Map<string, Exclude<PasswordState, "none">> {
  const states = new Map<string, Exclude<PasswordState, "none">>();
  for (const line of text.split("\n")) {
    const clean = line.replace(/\r$/, "");
    const colon = clean.indexOf(":");
    if (colon <= 0 || clean.startsWith("#")) continue;
    const name = clean.slice(0, colon);
    const end = clean.indexOf(":", colon + 1);
    const field = clean.slice(colon + 1, end < 0 ? undefined : end);
    if (!states.has(name)) states.set(name, passwordState(field));
  }
  return states;
}

/** An account's state: its shadow entry's, or "none" when the file has no entry for it. */
export function accountPasswordState(
  states: ReadonlyMap<string, Exclude<PasswordState, "none">>,
  name: string,
): PasswordState {
  return states.get(name) ?? "none";
}
