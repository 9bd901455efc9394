import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { INVENTORY_COLLECTORS, type InventoryCollector } from "@compliance/contract/collectors";
import { DEFAULT_SENSITIVE_FILES } from "./collectors/files.ts";
import {
  type ConfigFile,
  DEFAULT_CONFIG_DIR,
  findDefaultConfigFile,
  readConfigFile,
} from "./config-file.ts";
import { ConfigError } from "./errors.ts";
import { errnoOf } from "./linux/files.ts";
import { LOG_LEVELS, type LogLevel } from "./log.ts";
import { DEFAULT_CPU_WINDOW_MS, MAX_CPU_WINDOW_MS } from "./report.ts";
import { defaultStateDir } from "./state.ts";
import { type Pin, parsePins } from "./tls.ts";
import { DEFAULT_TIMEOUT_MS } from "./transport.ts";
import { formatDuration, parseDuration, parseSize } from "./units.ts";

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_INTERVAL_MS = 5 * 60_000;
export const DEFAULT_SPOOL_MAX_REPORTS = 1000;
export const DEFAULT_SPOOL_MAX_BYTES = 100 * 1024 * 1024;
export const DEFAULT_RETRY_INITIAL_MS = 1000;
export const DEFAULT_RETRY_MAX_MS = 5 * 60_000;

/** The agent's settings, read once at start, checked, and frozen. */
export interface AgentConfig {
  /** The API's base URL; undefined when none is configured (enough for `collect`). */
  readonly serverUrl: string | undefined;
  readonly enrollSecret: string | undefined;
  /** Undefined when there is no default (no HOME) and none was given. */
  readonly stateDir: string | undefined;
  readonly timeoutMs: number;
  readonly cpuWindowMs: number;
  readonly cmdline: boolean;
  /** Time between two reports of `run` (before jitter). */
  readonly intervalMs: number;
  /** Each wait is the interval plus or minus up to this much, at random. */
  readonly jitterMs: number;
  /** Extra CA certificates (PEM) trusted for https:// besides the system's. */
  readonly ca: string | undefined;
  readonly caFile: string | undefined;
  /** The API's certificate must match one of these (empty: no pinning). */
  readonly pins: readonly Pin[];
  readonly logLevel: LogLevel;
  readonly spoolMaxReports: number;
  readonly spoolMaxBytes: number;
  /** First wait after a failed delivery; it doubles up to retryMaxMs. */
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  /** Inventory collectors switched off: their sections are not sent at all. */
  readonly collectorsOff: readonly InventoryCollector[];
  /** Files whose owner, group and mode `settings.files` reports. */
  readonly sensitiveFiles: readonly string[];
  /** The configuration file that was read, if any. */
  readonly configFile: string | undefined;
}

/** What the command line said; absent values fall back to the environment, the file, defaults. */
export interface ConfigFlags {
  config?: string;
  server?: string;
  enrollSecret?: string;
  stateDir?: string;
  timeout?: string;
  cpuWindow?: string;
  cmdline?: boolean;
  interval?: string;
  jitter?: string;
  caFile?: string;
  pin?: string;
  logLevel?: string;
  spoolMaxReports?: string;
  spoolMaxBytes?: string;
  retryInitial?: string;
  retryMax?: string;
  /** false for each collector a --no-<name> flag switched off. */
  collect?: Partial<Record<InventoryCollector, boolean>>;
  sensitiveFiles?: string;
}

export interface ConfigInput {
  flags: ConfigFlags;
  env: Env;
  /** The user the agent runs as; root gets a system state directory. */
  uid: number | undefined;
  /** Relative paths of flags and variables are taken from here. */
  cwd: string;
  /** The configuration file, already parsed (see loadConfig). */
  file?: ConfigFile;
}

/** A raw setting and where it came from: `--interval`, `COMPLIANCE_INTERVAL`, `agent.interval (file:3)`. */
interface Raw {
  value: string | number | boolean;
  source: string;
  /** Relative paths are resolved from here. */
  base: string;
}

/** How one setting is found: its flag, its variables (first set wins), its file key. */
interface Lookup {
  /** A flag holding one value (the collector switches are looked up on their own). */
  flag?: Exclude<keyof ConfigFlags, "collect">;
  flagName?: string;
  env?: readonly string[];
  key?: string;
}

/** Every key a configuration file may hold, by section. */
export const FILE_KEYS: readonly string[] = [
  "api.url",
  "api.ip",
  "api.port",
  "api.puerto",
  "api.enroll_secret",
  "api.ca_file",
  "api.pin",
  "api.timeout",
  "agent.interval",
  "agent.jitter",
  "agent.state_dir",
  "agent.cpu_window",
  "agent.cmdline",
  "agent.log_level",
  "agent.retry_initial",
  "agent.retry_max",
  "spool.max_reports",
  "spool.max_bytes",
  ...INVENTORY_COLLECTORS.map((name) => `collect.${name}`),
  "collect.sensitive_files",
];

/** How each inventory collector is switched off: flag, environment variable, file key. */
export const COLLECTOR_SWITCHES: readonly {
  name: InventoryCollector;
  flag: string;
  env: string;
  key: string;
}[] = INVENTORY_COLLECTORS.map((name) => ({
  name,
  flag: `--no-${name}`,
  env: `COMPLIANCE_COLLECT_${name.toUpperCase()}`,
  key: `collect.${name}`,
}));

class Sources {
  constructor(private readonly input: ConfigInput) {}

  fromFile(key: string): Raw | undefined {
    const file = this.input.file;
    const entry = file?.values.get(key);
    if (!file || !entry) return undefined;
    return {
      value: entry.value,
      source: `${key} (${file.path}:${entry.line})`,
      base: dirname(file.path),
    };
  }

  fromEnv(names: readonly string[]): Raw | undefined {
    for (const name of names) {
      const value = this.input.env[name];
      if (value !== undefined && value !== "") {
        return { value, source: name, base: this.input.cwd };
      }
    }
    return undefined;
  }

  /** Flags over environment over the file. */
  get(lookup: Lookup): Raw | undefined {
    if (lookup.flag !== undefined) {
      const value = this.input.flags[lookup.flag];
      if (value !== undefined) {
        return { value, source: lookup.flagName ?? `--${lookup.flag}`, base: this.input.cwd };
      }
    }
    return (
      (lookup.env ? this.fromEnv(lookup.env) : undefined) ??
      (lookup.key ? this.fromFile(lookup.key) : undefined)
    );
  }
}

const show = (value: unknown): string => JSON.stringify(value);

/** Checks an API base URL; `source` names the flag, variable or file key it came from. */
export function checkServerUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${source} is not a URL: ${show(value)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${source} must be an http:// or https:// URL, not ${show(value)}`);
  }
  if (url.search !== "" || url.hash !== "") {
    throw new ConfigError(`${source} must be the API's base URL, without ? or #`);
  }
  return url.toString();
}

function urlFromIpAndPort(ip: Raw, port: Raw | undefined): { value: string; source: string } {
  const portText = port === undefined ? "8080" : String(port.value).trim();
  const number = Number(portText);
  if (!/^\d+$/.test(portText) || number < 1 || number > 65_535) {
    throw new ConfigError(
      `${port?.source ?? "the port"} must be a port number from 1 to 65535, not ${show(port?.value)}`,
    );
  }
  const host = String(ip.value).trim();
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return { value: `http://${bracketed}:${number}`, source: ip.source };
}

/**
 * The server URL from the environment: COMPLIANCE_SERVER_URL, else the older agents'
 * URL_API, else API_IP and API_PORT (the port defaults to 8080, the API's own default).
 */
export function serverUrlFromEnv(env: Env): { value: string; source: string } | undefined {
  const sources = new Sources({ flags: {}, env, uid: undefined, cwd: "/" });
  const url = sources.fromEnv(["COMPLIANCE_SERVER_URL", "URL_API"]);
  if (url) return { value: String(url.value), source: url.source };
  const ip = sources.fromEnv(["API_IP"]);
  const port = sources.fromEnv(["API_PORT"]);
  if (ip) return { ...urlFromIpAndPort(ip, port), source: port ? "API_IP/API_PORT" : "API_IP" };
  if (port) throw new ConfigError("API_PORT is set but API_IP is not");
  return undefined;
}

/** The file's api.url, else api.ip with api.port (or the seed's api.puerto). */
function serverUrlFromFile(sources: Sources): { value: string; source: string } | undefined {
  const url = sources.fromFile("api.url");
  if (url) return { value: String(url.value), source: url.source };
  const ip = sources.fromFile("api.ip");
  const port = sources.fromFile("api.port") ?? sources.fromFile("api.puerto");
  if (ip) return urlFromIpAndPort(ip, port);
  if (port) throw new ConfigError(`${port.source} is set but api.ip is not`);
  return undefined;
}

function duration(
  raw: Raw | undefined,
  fallback: number,
  bareUnit: "ms" | "s",
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const ms = parseDuration(String(raw.value), bareUnit);
  if (ms === undefined || ms < min || ms > max) {
    const bare = bareUnit === "ms" ? "milliseconds" : "seconds";
    throw new ConfigError(
      `${raw.source} must be a duration from ${formatDuration(min)} to ${formatDuration(max)} ` +
        `(a number of ${bare}, or with a unit: 250ms, 30s, 5m, 1h), not ${show(raw.value)}`,
    );
  }
  return ms;
}

function count(raw: Raw | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const text = String(raw.value).trim();
  const number = Number(text);
  if (!/^\d+$/.test(text) || number < min || number > max) {
    throw new ConfigError(
      `${raw.source} must be a whole number from ${min} to ${max}, not ${show(raw.value)}`,
    );
  }
  return number;
}

function size(raw: Raw | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const bytes = parseSize(String(raw.value));
  if (bytes === undefined || bytes < min) {
    throw new ConfigError(
      `${raw.source} must be a size of at least ${min} bytes (a number of bytes, or with a unit: 50MB, 100MiB, 1GiB), not ${show(raw.value)}`,
    );
  }
  return bytes;
}

function bool(raw: Raw | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  if (typeof raw.value === "boolean") return raw.value;
  const text = String(raw.value).trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(text)) return true;
  if (["0", "false", "no", "off"].includes(text)) return false;
  throw new ConfigError(
    `${raw.source} must be true or false (also 1/0, yes/no, on/off), not ${show(raw.value)}`,
  );
}

function text(raw: Raw | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw.value !== "string") {
    throw new ConfigError(`${raw.source} must be a string, not ${show(raw.value)}`);
  }
  return raw.value;
}

function path(raw: Raw | undefined): string | undefined {
  const value = text(raw);
  if (raw === undefined || value === undefined) return undefined;
  if (value.trim() === "") throw new ConfigError(`${raw.source} is empty`);
  return isAbsolute(value) ? value : resolve(raw.base, value);
}

/** The CA file's certificates, checked now so a bad file stops the start, not the first send. */
function readCa(raw: Raw | undefined, file: string | undefined): string | undefined {
  if (raw === undefined || file === undefined) return undefined;
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`${raw.source}: cannot read ${file} (${errnoOf(error) ?? error})`, {
      cause: error,
    });
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) {
    throw new ConfigError(`${raw.source}: ${file} holds no PEM certificate (BEGIN CERTIFICATE)`);
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new ConfigError(`${raw.source}: ${file} holds a certificate that cannot be read`, {
        cause: error,
      });
    }
  }
  return pem;
}

/** The collectors a flag, variable or file key switched off, in registry order. */
function collectorsOff(sources: Sources, flags: ConfigFlags): InventoryCollector[] {
  return COLLECTOR_SWITCHES.filter(({ name, flag, env, key }) => {
    const flagged = flags.collect?.[name];
    const raw =
      flagged === undefined
        ? sources.get({ env: [env], key })
        : { value: flagged, source: flag, base: "" };
    return !bool(raw, true);
  }).map(({ name }) => name);
}

/** Absolute paths separated by commas; an empty list is allowed (no file is looked at). */
function sensitiveFiles(sources: Sources): string[] {
  const raw = sources.get({
    flag: "sensitiveFiles",
    flagName: "--sensitive-files",
    env: ["COMPLIANCE_SENSITIVE_FILES"],
    key: "collect.sensitive_files",
  });
  const value = text(raw);
  if (raw === undefined || value === undefined) return [...DEFAULT_SENSITIVE_FILES];
  const paths = value
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  const relative = paths.find((p) => !isAbsolute(p));
  if (relative !== undefined) {
    throw new ConfigError(
      `${raw.source} must be absolute paths separated by commas, not ${show(relative)}`,
    );
  }
  return [...new Set(paths)];
}

function unknownKeys(file: ConfigFile | undefined): void {
  if (!file) return;
  for (const [key, { line }] of file.values) {
    if (!FILE_KEYS.includes(key)) {
      const [section] = key.split(".");
      const known = FILE_KEYS.filter((k) => k.startsWith(`${section}.`));
      const hint =
        known.length > 0
          ? `; [${section}] takes ${known.map((k) => k.split(".")[1]).join(", ")}`
          : "; the sections are [api], [agent], [spool] and [collect]";
      throw new ConfigError(`${file.path}:${line}: unknown setting ${key}${hint}`);
    }
  }
}

/** The API URL's setting, unchecked: the flag, else the environment, else the file. */
function serverSetting(
  input: ConfigInput,
  sources: Sources,
): { value: string; source: string } | undefined {
  return input.flags.server !== undefined
    ? { value: input.flags.server, source: "--server" }
    : (serverUrlFromEnv(input.env) ?? serverUrlFromFile(sources));
}

/** The service's pace: the interval and its jitter, and the retry backoff's bounds. */
function paceSettings(sources: Sources) {
  const intervalMs = duration(
    sources.get({
      flag: "interval",
      env: ["COMPLIANCE_INTERVAL", "COMPLIANCE_AGENT_INTERVAL"],
      key: "agent.interval",
    }),
    DEFAULT_INTERVAL_MS,
    "s",
    10,
    7 * 86_400_000,
  );
  const jitterMs = duration(
    sources.get({ flag: "jitter", env: ["COMPLIANCE_JITTER"], key: "agent.jitter" }),
    Math.round(intervalMs / 10),
    "s",
    0,
    intervalMs,
  );
  const retryInitialMs = duration(
    sources.get({
      flag: "retryInitial",
      flagName: "--retry-initial",
      env: ["COMPLIANCE_RETRY_INITIAL"],
      key: "agent.retry_initial",
    }),
    DEFAULT_RETRY_INITIAL_MS,
    "s",
    10,
    86_400_000,
  );
  const retryMaxRaw = sources.get({
    flag: "retryMax",
    flagName: "--retry-max",
    env: ["COMPLIANCE_RETRY_MAX"],
    key: "agent.retry_max",
  });
  const retryMaxMs = duration(
    retryMaxRaw,
    Math.max(DEFAULT_RETRY_MAX_MS, retryInitialMs),
    "s",
    retryInitialMs,
    86_400_000,
  );
  return { intervalMs, jitterMs, retryInitialMs, retryMaxMs };
}

/** The CA file's path (readCa reads the file) and the certificate pins. */
function trustSettings(sources: Sources) {
  const caRaw = sources.get({
    flag: "caFile",
    flagName: "--ca-file",
    env: ["COMPLIANCE_CA_FILE"],
    key: "api.ca_file",
  });
  const caFile = path(caRaw);
  const pinRaw = sources.get({ flag: "pin", env: ["COMPLIANCE_PIN"], key: "api.pin" });
  const pins = pinRaw === undefined ? [] : parsePins(String(pinRaw.value));
  if (pins === undefined) {
    throw new ConfigError(
      `${pinRaw!.source} must be sha256 pins separated by commas: the public key's as base64 ` +
        `(sha256//… as curl prints it) or the certificate's fingerprint as hex (AB:CD:…), not ${show(pinRaw!.value)}`,
    );
  }
  return { caRaw, caFile, pinRaw, pins };
}

function logLevelSetting(sources: Sources): LogLevel {
  const logRaw = sources.get({
    flag: "logLevel",
    flagName: "--log-level",
    env: ["COMPLIANCE_LOG_LEVEL"],
    key: "agent.log_level",
  });
  const logLevel = (text(logRaw) ?? "info").toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(
      `${logRaw!.source} must be one of ${LOG_LEVELS.join(", ")}, not ${show(logRaw!.value)}`,
    );
  }
  return logLevel as LogLevel;
}

/** The checked API URL; pins make sense only for an https:// one. */
function checkedServerUrl(
  server: { value: string; source: string } | undefined,
  { pinRaw, pins }: { pinRaw: Raw | undefined; pins: readonly Pin[] },
): string | undefined {
  const serverUrl = server ? checkServerUrl(server.value, server.source) : undefined;
  if (pins.length > 0 && serverUrl !== undefined && !serverUrl.startsWith("https:")) {
    throw new ConfigError(`${pinRaw!.source} is set but the API URL ${serverUrl} is not https://`);
  }
  return serverUrl;
}

/** How a one-off collection measures CPU, and whether command lines are sent. */
function collectionSettings(sources: Sources): { cpuWindowMs: number; cmdline: boolean } {
  return {
    cpuWindowMs: duration(
      sources.get({
        flag: "cpuWindow",
        flagName: "--cpu-window",
        env: ["COMPLIANCE_CPU_WINDOW_MS"],
        key: "agent.cpu_window",
      }),
      DEFAULT_CPU_WINDOW_MS,
      "ms",
      0,
      MAX_CPU_WINDOW_MS,
    ),
    cmdline: bool(
      sources.get({
        flag: "cmdline",
        flagName: "--no-cmdline",
        env: ["COMPLIANCE_CMDLINE"],
        key: "agent.cmdline",
      }),
      true,
    ),
  };
}

/** The spool's bounds: how many reports, and how many bytes. */
function spoolSettings(sources: Sources): { spoolMaxReports: number; spoolMaxBytes: number } {
  return {
    spoolMaxReports: count(
      sources.get({
        flag: "spoolMaxReports",
        flagName: "--spool-max-reports",
        env: ["COMPLIANCE_SPOOL_MAX_REPORTS"],
        key: "spool.max_reports",
      }),
      DEFAULT_SPOOL_MAX_REPORTS,
      1,
      1_000_000,
    ),
    spoolMaxBytes: size(
      sources.get({
        flag: "spoolMaxBytes",
        flagName: "--spool-max-bytes",
        env: ["COMPLIANCE_SPOOL_MAX_BYTES"],
        key: "spool.max_bytes",
      }),
      DEFAULT_SPOOL_MAX_BYTES,
      64 * 1024,
    ),
  };
}

/**
 * Flags over environment over the file over defaults; a bad value names where it came from.
 * Settings are checked in a fixed order, so of several bad ones the same is always told.
 */
export function resolveConfig(input: ConfigInput): AgentConfig {
  unknownKeys(input.file);
  const sources = new Sources(input);
  const server = serverSetting(input, sources);
  const stateRaw = sources.get({
    flag: "stateDir",
    flagName: "--state-dir",
    env: ["COMPLIANCE_STATE_DIR"],
    key: "agent.state_dir",
  });
  const pace = paceSettings(sources);
  const trust = trustSettings(sources);
  const logLevel = logLevelSetting(sources);
  const serverUrl = checkedServerUrl(server, trust);
  const enrollSecret = text(
    sources.get({
      flag: "enrollSecret",
      flagName: "--enroll-secret",
      env: ["COMPLIANCE_ENROLL_SECRET", "API_KEY", "TOKEN"],
      key: "api.enroll_secret",
    }),
  );
  const stateDir = path(stateRaw) ?? defaultStateDir(input.env, input.uid);
  const timeoutMs = duration(
    sources.get({ flag: "timeout", env: ["COMPLIANCE_TIMEOUT_MS"], key: "api.timeout" }),
    DEFAULT_TIMEOUT_MS,
    "ms",
    1,
    3_600_000,
  );
  const collection = collectionSettings(sources);
  const ca = readCa(trust.caRaw, trust.caFile);
  const spool = spoolSettings(sources);

  return Object.freeze({
    serverUrl,
    enrollSecret,
    stateDir,
    timeoutMs,
    cpuWindowMs: collection.cpuWindowMs,
    cmdline: collection.cmdline,
    intervalMs: pace.intervalMs,
    jitterMs: pace.jitterMs,
    caFile: trust.caFile,
    ca,
    pins: Object.freeze(trust.pins),
    logLevel,
    spoolMaxReports: spool.spoolMaxReports,
    spoolMaxBytes: spool.spoolMaxBytes,
    retryInitialMs: pace.retryInitialMs,
    retryMaxMs: pace.retryMaxMs,
    collectorsOff: Object.freeze(collectorsOff(sources, input.flags)),
    sensitiveFiles: Object.freeze(sensitiveFiles(sources)),
    configFile: input.file?.path,
  });
}

export interface LoadConfigInput extends Omit<ConfigInput, "file"> {
  /** Where config.json / config.ini are looked for without --config (default /etc/compliance-agent). */
  configDir?: string;
}

/**
 * Finds and reads the configuration file (--config, else COMPLIANCE_CONFIG, else
 * config.json or config.ini in the configuration directory), then resolves everything.
 */
export function loadConfig(input: LoadConfigInput): AgentConfig {
  const explicit = input.flags.config ?? (input.env.COMPLIANCE_CONFIG || undefined);
  const explicitPath =
    explicit === undefined
      ? undefined
      : isAbsolute(explicit)
        ? explicit
        : resolve(input.cwd, explicit);
  const path = explicitPath ?? findDefaultConfigFile(input.configDir ?? DEFAULT_CONFIG_DIR);
  return resolveConfig({ ...input, file: path === undefined ? undefined : readConfigFile(path) });
}
