import { existsSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { ConfigError } from "./errors.ts";
import { errnoOf } from "./linux/files.ts";

/** Where the service looks for its configuration when no --config is given. */
export const DEFAULT_CONFIG_DIR = "/etc/compliance-agent";

/** One value of a configuration file, with the line it is on (for messages). */
export interface FileValue {
  value: string | number | boolean;
  line: number;
}

/** A parsed configuration file: `section.key` -> value, keys in lower case. */
export interface ConfigFile {
  path: string;
  values: ReadonlyMap<string, FileValue>;
}

/** `path:line`, how messages point into a file. */
export function where(file: { path: string }, line: number): string {
  return `${file.path}:${line}`;
}

/**
 * INI as Python's configparser writes it (the seed agent's `config.ini`): `[section]`
 * headers, `key = value` or `key: value`, comments starting with # or ;. Keys are
 * case-insensitive; surrounding quotes of a value are removed.
 */
export function parseIni(text: string, path: string): ConfigFile {
  const values = new Map<string, FileValue>();
  let section: string | undefined;
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const raw = lines[index]!.trim();
    if (raw === "" || raw.startsWith("#") || raw.startsWith(";")) continue;
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(raw);
    if (header) {
      section = header[1]!.toLowerCase();
      continue;
    }
    const separator = raw.search(/[=:]/);
    if (separator <= 0) {
      throw new ConfigError(
        `${path}:${line}: expected "key = value" or [section], not ${JSON.stringify(raw)}`,
      );
    }
    const key = raw.slice(0, separator).trim().toLowerCase();
    let value = raw.slice(separator + 1).trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
      value = value.slice(1, -1);
    }
    if (section === undefined) {
      throw new ConfigError(
        `${path}:${line}: ${key} is outside any section; put it under [api], [agent], [spool] or [collect]`,
      );
    }
    const name = `${section}.${key}`;
    const previous = values.get(name);
    if (previous) {
      throw new ConfigError(
        `${path}:${line}: ${name} is set twice (first on line ${previous.line})`,
      );
    }
    values.set(name, { value, line });
  }
  return { path, values };
}

/** Line and column (1-based) of a character offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/**
 * Lines of the keys of a JSON object nested `depth` levels (sections, then keys): a small
 * scan over strings and brackets, since JSON.parse tells no positions.
 */
function jsonKeyLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  const path: string[] = [];
  let depth = 0;
  let line = 1;
  let lastString: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") line++;
    else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      try {
        lastString = JSON.parse(text.slice(i, j + 1)) as string;
      } catch {
        lastString = undefined;
      }
      i = j;
    } else if (c === ":" && lastString !== undefined) {
      path[depth - 1] = lastString;
      path.length = depth;
      lines.set(path.join(".").toLowerCase(), line);
      lastString = undefined;
    } else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    else if (c === ",") lastString = undefined;
  }
  return lines;
}

/**
 * JSON: `{"api": {"url": "..."}, "agent": {...}, "spool": {...}}`, values strings,
 * numbers or booleans. The same sections and keys as the INI form.
 */
export function parseJsonConfig(text: string, path: string): ConfigFile {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const offset = /position (\d+)/.exec(String((error as Error).message))?.[1];
    const at = offset === undefined ? "" : `:${lineAndColumn(text, Number(offset)).line}`;
    throw new ConfigError(`${path}${at}: not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new ConfigError(
      `${path}:1: must be a JSON object of sections, e.g. {"api": {"url": "…"}}`,
    );
  }
  const lines = jsonKeyLines(text);
  const values = new Map<string, FileValue>();
  for (const [sectionName, section] of Object.entries(document)) {
    const sectionKey = sectionName.toLowerCase();
    const sectionLine = lines.get(sectionKey) ?? 1;
    if (typeof section !== "object" || section === null || Array.isArray(section)) {
      throw new ConfigError(
        `${path}:${sectionLine}: ${sectionName} must be an object of settings (a section such as "api" or "agent")`,
      );
    }
    for (const [key, value] of Object.entries(section)) {
      const name = `${sectionKey}.${key.toLowerCase()}`;
      const line = lines.get(name) ?? sectionLine;
      if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
        throw new ConfigError(`${path}:${line}: ${name} must be a string, number or boolean`);
      }
      values.set(name, { value, line });
    }
  }
  return { path, values };
}

/** Reads and parses a configuration file; JSON by extension (or a leading `{`), else INI. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(
      `cannot read the configuration file ${path} (${errnoOf(error) ?? error})`,
      {
        cause: error,
      },
    );
  }
  const extension = extname(path).toLowerCase();
  const json = extension === ".json" || (extension !== ".ini" && text.trimStart().startsWith("{"));
  return json ? parseJsonConfig(text, path) : parseIni(text, path);
}

/** config.json or config.ini in the directory, whichever exists; both is a mistake. */
export function findDefaultConfigFile(dir: string = DEFAULT_CONFIG_DIR): string | undefined {
  const found = ["config.json", "config.ini"].map((name) => join(dir, name)).filter(existsSync);
  if (found.length > 1) {
    throw new ConfigError(`both ${found.join(" and ")} exist: keep one of them (or pass --config)`);
  }
  return found[0];
}
