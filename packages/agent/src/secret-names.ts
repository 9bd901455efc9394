/** What a secret is replaced with in a command line. */
export const REDACTED = "<redacted>";

/**
 * A word in a name (flag, variable, parameter, header, JSON key) that says the name holds
 * a secret when a value follows. Matched on the name in lower case, camelCase split with
 * dashes (`secretKey` → `secret-key`).
 */
const SECRET_WORD =
  /(?:password|passwd|passphrase|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credentials?|creds|authorization|bearer|cookie|signature|storepass|keypass|sshpass|psk)(?=$|[-_.:])|(?:^|[-_.:])(?:pass|pw|auth|sig)$|[-_.:]pwd$/;

/**
 * A last word that makes the name point at a secret (a file, a variable, an id), or say
 * something about one (its length, its mode, the helper that stores it), rather than hold it.
 */
const REFERENCE =
  /[-_.](?:file|path|stdin|fd|env|dir|id|name|count|length|len|size|limit|min|max|mode|prompt|helper|type|method|policy|required|timeout|ttl|expiry|expires|lifetime|format|url|uri|endpoint|store|jar|provider|ref|command|cmd|enabled|disabled|authentication|webhook)$/;

/** A first word that makes the name a switch: `--no-password`, `--enable-auth`. */
const SWITCH = /^(?:no|enable|disable|skip|require|requires|allow|ask|prompt|without|show|hide)-/;

/** Names that end like a reference and are secrets all the same. */
const ALWAYS_SECRET = /secret[-_.]?id$/;

/** The name in lower case, dashes gone from its front, camelCase words split with a dash. */
function bareName(name: string): string {
  return name
    .replace(/^-+/, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase();
}

/** Whether a value that follows this name (`--name value`, `NAME=value`, `"name": "value"`) is a secret. */
export function isSecretName(name: string): boolean {
  const bare = bareName(name);
  if (ALWAYS_SECRET.test(bare)) return true;
  return SECRET_WORD.test(bare) && !REFERENCE.test(bare) && !SWITCH.test(bare);
}
