/**
 * Keywords sshd collects over several lines instead of taking the first: each line adds
 * values (ports, addresses, host keys, environment names, user and group lists,
 * subsystems). Their values are joined with a space, the way one line would list them.
 */
const CUMULATIVE = new Set([
  "acceptenv",
  "allowgroups",
  "allowusers",
  "denygroups",
  "denyusers",
  "hostcertificate",
  "hostkey",
  "listenaddress",
  "port",
  "subsystem",
]);

/** sshd's own limit on nested Include (SERVCONF_MAX_DEPTH). */
const MAX_INCLUDE_DEPTH = 16;

/** How the parser reaches files; undefined when a file does not exist. */
export interface ConfigFiles {
  read(path: string): string | undefined;
  /** The paths matching an absolute glob pattern, sorted as glob(3) sorts them. */
  glob(pattern: string): string[];
}

type Options = Map<string, string>;

function set(options: Options, key: string, value: string, cumulative: boolean): void {
  const previous = options.get(key);
  if (previous === undefined) options.set(key, value);
  else if (cumulative && value !== "")
    options.set(key, previous === "" ? value : `${previous} ${value}`);
}

/**
 * Parses `sshd -T`: one "keyword value" line per option, keywords lower case already.
 * Options sshd prints on several lines (hostkey, listenaddress, acceptenv, ...) are joined.
 */
export function parseSshdT(text: string): Options {
  const options: Options = new Map();
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    const space = trimmed.search(/\s/);
    const key = (space < 0 ? trimmed : trimmed.slice(0, space)).toLowerCase();
    const value = space < 0 ? "" : trimmed.slice(space + 1).trim();
    set(options, key, value, true);
  }
  return options;
}

/**
 * "Keyword value", "Keyword=value" or "Keyword = value" (sshd_config(5)). sshd splits the
 * arguments at whitespace, so runs of blanks and tabs between them become one space.
 */
function splitLine(line: string): { key: string; value: string } | undefined {
  const match = /^([^\s=]+)(?:\s*=\s*|\s+|$)(.*)$/.exec(line);
  if (!match) return undefined;
  return { key: match[1]!.toLowerCase(), value: match[2]!.trim().replace(/\s+/g, " ") };
}

/** Include arguments are globs; relative ones are taken from the directory of sshd_config. */
function includePatterns(value: string, configDir: string): string[] {
  return value
    .split(/\s+/)
    .filter((word) => word !== "")
    .map((word) => (word.startsWith("/") ? word : `${configDir}/${word}`));
}

interface ParseState {
  files: ConfigFiles;
  configDir: string;
  options: Options;
  depth: number;
}

function include(value: string, state: ParseState): void {
  if (state.depth >= MAX_INCLUDE_DEPTH) return;
  for (const pattern of includePatterns(value, state.configDir)) {
    for (const path of state.files.glob(pattern)) {
      const included = state.files.read(path);
      if (included !== undefined) parseFile(included, { ...state, depth: state.depth + 1 });
    }
  }
}

/**
 * One file's lines. A Match line starts a conditional block that lasts until the next
 * Match or the end of this file (sshd restores the state after an Include): its options
 * and its Includes do not apply globally, except after "Match all".
 */
function parseFile(text: string, state: ParseState): void {
  let global = true;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const entry = splitLine(line);
    if (!entry) continue;
    if (entry.key === "match") {
      global = entry.value.toLowerCase() === "all";
      continue;
    }
    if (!global) continue;
    if (entry.key === "include") include(entry.value, state);
    else set(state.options, entry.key, entry.value, CUMULATIVE.has(entry.key));
  }
}

/**
 * The options sshd_config sets for every connection: keywords lower case, the first value
 * of a keyword wins as in sshd (cumulative keywords gather all of theirs), Includes read in
 * place. Only what the files say: sshd's built-in defaults are `sshd -T`'s to tell.
 */
export function parseSshdConfig(text: string, configDir: string, files: ConfigFiles): Options {
  const options: Options = new Map();
  parseFile(text, { files, configDir, options, depth: 0 });
  return options;
}
