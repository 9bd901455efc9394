/**
 * Command lines carry secrets (`--password=…`, tokens in URLs, `PGPASSWORD=…` in `sh -c`).
 * The report keeps the shape of the command so a reader can still tell what runs, and
 * replaces each secret value with REDACTED. Over-redacting a harmless value is preferred
 * to leaking a secret.
 *
 * Four layers, each cheap: patterns inside any argument (`NAME=value`, `"name": "value"`,
 * `scheme://user:password@`, `Authorization:` headers, well-known token formats); a flag
 * whose name says it holds a secret takes the next argument with it; each known program's
 * own rules (redact-tools.ts); and the commands inside shell scripts (`sh -c "…"`, a
 * command given to ssh or su), which go through all of this again.
 */
import { applyToolRule, TOOL_RULES } from "./redact-tools.ts";
import { isSecretName, REDACTED } from "./secret-names.ts";
import { shellCommands, shellQuoted } from "./shell-words.ts";

export { isSecretName, REDACTED };
export const TRUNCATED_MARKER = "...[truncated]";

/** An argument without any of these holds nothing the patterns below would redact. */
const MAYBE_SECRET = /[=:@<"']|gh[pousr]_|github_pat_|glpat-|xox[abposr]-|sk_live_|npm_|eyJ/;
/** `--name=value`: the whole rest is the value, spaces included. */
const FLAG_ASSIGNMENT = /^(-{1,2}[\w.-]+)=(.*)$/s;
const FLAG_ALONE = /^--?[\w.-]+$/;
const AUTH_SCHEME = "Bearer|Basic|Token|Digest|Negotiate|NTLM|ApiKey";
const HEADER = new RegExp(`^([\\w-]+)\\s*:\\s*(?:(${AUTH_SCHEME})\\s+)?\\S.*$`, "is");
/** A header whose value is the next argument (`Authorization:` `Bearer` `X`, as macOS's ps splits it). */
const HEADER_ALONE = /^([\w-]+):$/;
const SCHEME_ALONE = new RegExp(`^(?:${AUTH_SCHEME})$`, "i");
const URL_USERINFO = /\b([a-z][a-z0-9+.-]{0,31}:\/\/[^\s/@:]*):[^\s/]*@/gi;
/** `"name": "value"` (JSON, or Python's quotes); the value may hold escaped quotes. */
const QUOTED_PAIR = /(["'])([\w.$:-]{1,64})\1(\s*:\s*)(["'])((?:\\.|(?!\4)[^\\])*)\4/g;
/** The same inside a string that escapes its quotes: `{\"password\":\"x\"}`. */
const ESCAPED_PAIR = /\\"([\w.$:-]{1,64})\\"(\s*:\s*)\\"(.*?)\\"/g;
const XML_ELEMENT = /<([\w:.-]{1,64})>([^<]*)<\/\1>/g;
const EMBEDDED_ASSIGNMENT = /(?<![\w.-])([\w.-]+)=('[^']*'|"[^"]*"|[^\s&;,]+)/g;
/** Tokens whose format gives them away wherever they are (GitHub, GitLab, Slack, Stripe, npm, JWT). */
const KNOWN_TOKEN =
  /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|glpat-[\w-]{20,}|xox[abposr]-[\w-]{10,}|sk_live_\w{16,}|npm_[A-Za-z0-9]{30,}|eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,})/g;
const PRIVATE_KEY =
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;

/** Programs that take a script: `sh -c "…"`, `su -c "…"`. */
const SHELLS = new Set([
  "sh",
  "bash",
  "dash",
  "zsh",
  "ksh",
  "mksh",
  "ash",
  "fish",
  "csh",
  "tcsh",
  "busybox",
  "su",
  "runuser",
  "script",
]);
/** `-c`, `-lc`, `-ec`: the next argument is the script. */
const SCRIPT_FLAG = /^(?:-[A-Za-z]*c[A-Za-z]*|--command)$/;
/** Programs that run another command given in their arguments. */
const RUNNERS = new Set([
  "sudo",
  "doas",
  "env",
  "nohup",
  "nice",
  "ionice",
  "timeout",
  "stdbuf",
  "exec",
  "time",
  "chroot",
  "setsid",
  "taskset",
  "chrt",
  "flock",
  "xargs",
  "watch",
  "unbuffer",
  "firejail",
  "systemd-run",
  "ssh",
  "docker",
  "podman",
  "kubectl",
  "nerdctl",
  "crictl",
  "nsenter",
  "strace",
  "gosu",
  "su-exec",
  "tini",
  "dumb-init",
]);
const ASSIGNMENT = /^[A-Za-z_]\w*=/;
/** Scripts within scripts are followed this deep. */
const MAX_DEPTH = 4;

function baseName(arg: string): string {
  return arg.slice(arg.lastIndexOf("/") + 1);
}

/** Whether a word names a program with rules of its own, or a shell. */
function isKnownProgram(word: string): boolean {
  const name = baseName(word);
  return Object.hasOwn(TOOL_RULES, name) || SHELLS.has(name);
}

/** Patterns anywhere in a text: URLs, quoted pairs, XML, assignments, known tokens, keys. */
function redactInside(text: string): string {
  return text
    .replace(PRIVATE_KEY, REDACTED)
    .replace(URL_USERINFO, `$1:${REDACTED}@`)
    .replace(QUOTED_PAIR, (match, q: string, name: string, colon: string, vq: string) =>
      isSecretName(name) ? `${q}${name}${q}${colon}${vq}${REDACTED}${vq}` : match,
    )
    .replace(ESCAPED_PAIR, (match, name: string, colon: string) =>
      isSecretName(name) ? `\\"${name}\\"${colon}\\"${REDACTED}\\"` : match,
    )
    .replace(XML_ELEMENT, (match, name: string) =>
      isSecretName(name) ? `<${name}>${REDACTED}</${name}>` : match,
    )
    .replace(EMBEDDED_ASSIGNMENT, (match, name: string) =>
      isSecretName(name) ? `${name}=${REDACTED}` : match,
    )
    .replace(KNOWN_TOKEN, REDACTED);
}

/** Redacts secrets inside one argument: assignments, headers, URLs with a password, JSON, tokens. */
export function redactArgument(arg: string): string {
  if (!MAYBE_SECRET.test(arg) && !arg.includes("PRIVATE KEY")) return arg;
  const flag = FLAG_ASSIGNMENT.exec(arg);
  if (flag) {
    const [, name, value] = flag as unknown as [string, string, string];
    return isSecretName(name) ? `${name}=${REDACTED}` : `${name}=${redactArgument(value)}`;
  }
  const header = HEADER.exec(arg);
  if (header && isSecretName(header[1]!)) {
    return `${header[1]}: ${header[2] ? `${header[2]} ` : ""}${REDACTED}`;
  }
  return redactInside(arg);
}

/** `--password X`, `Authorization:` `Bearer` `X`: a name that says the next argument is a secret. */
function redactFlagValues(args: readonly string[], out: string[], done: boolean[]): void {
  for (let i = 0; i + 1 < args.length; i++) {
    const arg = args[i]!;
    let value = -1;
    if (FLAG_ALONE.test(arg) && isSecretName(arg) && !args[i + 1]!.startsWith("-")) {
      value = i + 1;
    } else {
      const header = HEADER_ALONE.exec(arg);
      if (header && isSecretName(header[1]!)) {
        value = SCHEME_ALONE.test(args[i + 1]!) && i + 2 < args.length ? i + 2 : i + 1;
      }
    }
    if (value < 0) continue;
    out[value] = REDACTED;
    done[value] = true;
    i = value;
  }
}

/**
 * Where the programs of a command line are: the first word that is not an assignment
 * and, when that one runs another command (sudo, env, ssh, docker exec, …), the first
 * known program after it.
 */
function programsOf(args: readonly string[]): number[] {
  let first = 0;
  while (first < args.length && ASSIGNMENT.test(args[first]!)) first++;
  if (first >= args.length) return [];
  const found = [first];
  if (RUNNERS.has(baseName(args[first]!))) {
    const inner = args.findIndex((arg, i) => i > first && isKnownProgram(arg));
    if (inner > 0) found.push(inner);
  }
  return found;
}

/** Whether a text with spaces reads as a command line of a known program. */
function looksLikeCommand(text: string): boolean {
  const words = text
    .trim()
    .replace(/^(?:\$\(|`|\()+/, "")
    .split(/\s+/);
  const first = words.find((word) => !ASSIGNMENT.test(word)) ?? "";
  return isKnownProgram(first) || RUNNERS.has(baseName(first));
}

/** Each command of a script redacted, the script otherwise kept as written. */
function redactScript(script: string, depth: number): string {
  const edits: { start: number; end: number; text: string }[] = [];
  for (const words of shellCommands(script)) {
    const redacted = redactCommand(
      words.map((word) => word.value),
      depth + 1,
    );
    words.forEach((word, k) => {
      const value = redacted[k]!;
      if (value !== word.value) {
        edits.push({ start: word.start, end: word.end, text: shellQuoted(value, word.quote) });
      }
    });
  }
  let result = script;
  for (const { start, end, text } of edits.reverse()) {
    result = result.slice(0, start) + text + result.slice(end);
  }
  return redactArgument(result);
}

/** The script of a shell at `shell` (`sh -c "…"`), as one argument or split into words. */
function redactShell(
  args: readonly string[],
  out: string[],
  done: boolean[],
  shell: number,
  depth: number,
): void {
  const flag = args.findIndex((arg, i) => i > shell && SCRIPT_FLAG.test(arg));
  if (flag < 0 || flag + 1 >= args.length) return;
  const script = args[flag + 1]!;
  if (/\s/.test(script)) {
    out[flag + 1] = redactScript(script, depth);
    done[flag + 1] = true;
    return;
  }
  // macOS's ps gives the words of the script split at spaces: they are one command.
  const inner = redactCommand(args.slice(flag + 1), depth + 1);
  inner.forEach((value, k) => {
    const at = flag + 1 + k;
    if (value !== args[at] && !done[at]) {
      out[at] = value;
      done[at] = true;
    }
  });
}

/** A command's arguments with each secret replaced; the result has the same length. */
function redactCommand(args: readonly string[], depth: number): string[] {
  const out = args.map(redactArgument);
  const done = args.map(() => false);
  redactFlagValues(args, out, done);
  const programs = programsOf(args);
  for (const at of programs) {
    const rule = TOOL_RULES[baseName(args[at]!)];
    if (rule) applyToolRule(rule, args, out, at, done);
  }
  if (depth >= MAX_DEPTH) return out;
  for (const at of programs) {
    if (SHELLS.has(baseName(args[at]!))) redactShell(args, out, done, at, depth);
  }
  // A command given whole to another program: `ssh host "mysql -pX"`, `watch "curl -u …"`.
  args.forEach((arg, i) => {
    if (!done[i] && /\s/.test(arg) && looksLikeCommand(arg)) out[i] = redactScript(arg, depth);
  });
  return out;
}

/** Redacts the secrets of a command's argument vector; the result has the same length. */
export function redactArgs(args: readonly string[]): string[] {
  return redactCommand(args, 0);
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
