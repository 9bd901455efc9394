/**
 * Command lines carry secrets (`--password=…`, tokens in URLs, `PGPASSWORD=…` in `sh -c`).
 * The report keeps the shape of the command so a reader can still tell what runs, and
 * replaces each secret value with REDACTED. Over-redacting a harmless value is preferred
 * to leaking a secret.
 */

export const REDACTED = "<redacted>";
export const TRUNCATED_MARKER = "...[truncated]";

/** A name (flag, variable, parameter, header) that holds a secret when followed by a value. */
const SECRET_WORD =
  /(?:password|passwd|passphrase|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credentials?|authorization)(?=$|[-_.])|(?:^|[-_.])(?:pass|pw|auth)$|[-_.]pwd$/;
/** Names that point at a secret (a file, a variable, an id) rather than hold one. */
const REFERENCE = /[-_.](?:file|path|stdin|fd|env|dir|id|name)$/;

export function isSecretName(name: string): boolean {
  const bare = name.replace(/^-+/, "").toLowerCase();
  return SECRET_WORD.test(bare) && !REFERENCE.test(bare);
}

/**
 * Short flags are too ambiguous to judge by name (`-p` is a port for ssh, a password for
 * mysql), so they are redacted only for the programs known to take a secret there.
 * `attached`: the value is glued to the flag (`-psecret`); `separate`: it is the next argument.
 */
const PROGRAM_SECRET_FLAGS: Readonly<
  Record<string, { attached?: readonly string[]; separate?: readonly string[] }>
> = {
  mysql: { attached: ["-p"] },
  mariadb: { attached: ["-p"] },
  mysqldump: { attached: ["-p"] },
  "mariadb-dump": { attached: ["-p"] },
  mysqladmin: { attached: ["-p"] },
  "mariadb-admin": { attached: ["-p"] },
  mysqlimport: { attached: ["-p"] },
  mysqlcheck: { attached: ["-p"] },
  mysqlshow: { attached: ["-p"] },
  sshpass: { attached: ["-p"], separate: ["-p"] },
  "redis-cli": { attached: ["-a"], separate: ["-a"] },
  "valkey-cli": { attached: ["-a"], separate: ["-a"] },
};

/** Programs whose `-u`/`--user` takes `user:password`. */
const USER_COLON_PASSWORD = new Set(["curl", "wget"]);
const USER_FLAGS = new Set(["-u", "--user"]);

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/@:]*):[^\s/]*@/gi;
const HEADER = /^([A-Za-z0-9-]+)\s*:\s*(?:(Bearer|Basic|Token|Digest)\s+)?\S.*$/s;
/** `--name=value`: the whole rest is the value, spaces included. */
const FLAG_ASSIGNMENT = /^(-{1,2}[\w.-]+)=(.*)$/s;
const EMBEDDED_ASSIGNMENT = /(?<![\w.-])([\w.-]+)=([^\s&;,]+)/g;
const FLAG_ALONE = /^--?[\w.-]+$/;

function programOf(args: readonly string[]): string {
  const first = args[0] ?? "";
  return first.slice(first.lastIndexOf("/") + 1);
}

/** Redacts secrets inside one argument: URLs with a password, headers, assignments. */
export function redactArgument(arg: string): string {
  const flag = FLAG_ASSIGNMENT.exec(arg);
  if (flag && isSecretName(flag[1]!)) return `${flag[1]}=${REDACTED}`;
  const header = HEADER.exec(arg);
  if (header && isSecretName(header[1]!)) {
    return `${header[1]}: ${header[2] ? `${header[2]} ` : ""}${REDACTED}`;
  }
  return arg
    .replace(URL_USERINFO, `$1:${REDACTED}@`)
    .replace(EMBEDDED_ASSIGNMENT, (match, name: string) =>
      isSecretName(name) ? `${name}=${REDACTED}` : match,
    );
}

/** Redacts the secrets of a command's argument vector; the result has the same length. */
export function redactArgs(args: readonly string[]): string[] {
  const program = programOf(args);
  const short = PROGRAM_SECRET_FLAGS[program];
  const out: string[] = [];
  let redactNext: "all" | "password" | undefined;
  for (const arg of args) {
    if (redactNext !== undefined && !arg.startsWith("-")) {
      const colon = arg.indexOf(":");
      out.push(
        redactNext === "password"
          ? colon >= 0
            ? `${arg.slice(0, colon)}:${REDACTED}`
            : arg
          : REDACTED,
      );
      redactNext = undefined;
      continue;
    }
    redactNext = undefined;
    if (FLAG_ALONE.test(arg) && isSecretName(arg)) {
      out.push(arg);
      redactNext = "all";
      continue;
    }
    if (short?.separate?.includes(arg)) {
      out.push(arg);
      redactNext = "all";
      continue;
    }
    if (USER_COLON_PASSWORD.has(program) && USER_FLAGS.has(arg)) {
      out.push(arg);
      redactNext = "password";
      continue;
    }
    const glued = short?.attached?.find((flag) => arg.startsWith(flag) && arg.length > flag.length);
    if (glued !== undefined && !arg.startsWith("--")) {
      out.push(`${glued}${REDACTED}`);
      continue;
    }
    out.push(redactArgument(arg));
  }
  return out;
}

/**
 * Cuts a command line to `max` UTF-16 units (never more code points than the contract
 * allows) and says so with a marker, rather than failing the whole report.
 */
export function boundCmdline(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - TRUNCATED_MARKER.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // do not split a surrogate pair
  return text.slice(0, end) + TRUNCATED_MARKER;
}

/** The report's `cmdline`: redacted arguments joined by spaces, within `max`. */
export function formatCmdline(args: readonly string[], max: number): string {
  return boundCmdline(redactArgs(args).join(" "), max);
}
