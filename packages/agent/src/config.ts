import { isAbsolute, resolve } from "node:path";
import { ConfigError } from "./errors.ts";
import { DEFAULT_CPU_WINDOW_MS, MAX_CPU_WINDOW_MS } from "./report.ts";
import { defaultStateDir } from "./state.ts";
import { DEFAULT_TIMEOUT_MS } from "./transport.ts";

export type Env = Readonly<Record<string, string | undefined>>;

/** The agent's settings, read once at start and frozen. */
export interface AgentConfig {
  /** The API's base URL; undefined when none is configured (enough for `collect`). */
  readonly serverUrl: string | undefined;
  readonly enrollSecret: string | undefined;
  /** Undefined when there is no default (no HOME) and none was given. */
  readonly stateDir: string | undefined;
  readonly timeoutMs: number;
  readonly cpuWindowMs: number;
  readonly cmdline: boolean;
}

/** What the command line said; absent values fall back to the environment, then defaults. */
export interface ConfigFlags {
  server?: string;
  enrollSecret?: string;
  stateDir?: string;
  timeout?: string;
  cpuWindow?: string;
  cmdline?: boolean;
}

export interface ConfigInput {
  flags: ConfigFlags;
  env: Env;
  /** The user the agent runs as; root gets a system state directory. */
  uid: number | undefined;
  /** Relative state directories are taken from here. */
  cwd: string;
}

/** Checks an API base URL; `source` names the flag or variable it came from. */
export function checkServerUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${source} is not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(
      `${source} must be an http:// or https:// URL, not ${JSON.stringify(value)}`,
    );
  }
  if (url.search !== "" || url.hash !== "") {
    throw new ConfigError(`${source} must be the API's base URL, without ? or #`);
  }
  return url.toString();
}

/**
 * The server URL from the environment: COMPLIANCE_SERVER_URL, else the older agents'
 * URL_API, else API_IP and API_PORT (the port defaults to 8080, the API's own default).
 */
export function serverUrlFromEnv(env: Env): { value: string; source: string } | undefined {
  if (env.COMPLIANCE_SERVER_URL) {
    return { value: env.COMPLIANCE_SERVER_URL, source: "COMPLIANCE_SERVER_URL" };
  }
  if (env.URL_API) return { value: env.URL_API, source: "URL_API" };
  if (env.API_IP) {
    const port = env.API_PORT || "8080";
    const number = Number(port);
    if (!Number.isInteger(number) || number < 1 || number > 65_535) {
      throw new ConfigError(
        `API_PORT must be a port number from 1 to 65535, not ${JSON.stringify(port)}`,
      );
    }
    const ip =
      env.API_IP.includes(":") && !env.API_IP.startsWith("[") ? `[${env.API_IP}]` : env.API_IP;
    return { value: `http://${ip}:${number}`, source: "API_IP/API_PORT" };
  }
  if (env.API_PORT) throw new ConfigError("API_PORT is set but API_IP is not");
  return undefined;
}

function integerSetting(
  value: string | undefined,
  source: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined || value === "") return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
    throw new ConfigError(
      `${source} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`,
    );
  }
  return number;
}

/** Flags over environment over defaults; every bad value names its flag or variable. */
export function resolveConfig(input: ConfigInput): AgentConfig {
  const { flags, env } = input;
  const server =
    flags.server !== undefined
      ? { value: flags.server, source: "--server" }
      : serverUrlFromEnv(env);
  const stateDir = flags.stateDir ?? (env.COMPLIANCE_STATE_DIR || undefined);
  const stateSource = flags.stateDir !== undefined ? "--state-dir" : "COMPLIANCE_STATE_DIR";
  if (stateDir !== undefined && stateDir.trim() === "") {
    throw new ConfigError(`${stateSource} is empty`);
  }
  return Object.freeze({
    serverUrl: server ? checkServerUrl(server.value, server.source) : undefined,
    enrollSecret: flags.enrollSecret ?? (env.COMPLIANCE_ENROLL_SECRET || undefined),
    stateDir:
      stateDir === undefined
        ? defaultStateDir(env, input.uid)
        : isAbsolute(stateDir)
          ? stateDir
          : resolve(input.cwd, stateDir),
    timeoutMs:
      flags.timeout !== undefined
        ? integerSetting(flags.timeout, "--timeout", DEFAULT_TIMEOUT_MS, 1, 3_600_000)
        : integerSetting(
            env.COMPLIANCE_TIMEOUT_MS,
            "COMPLIANCE_TIMEOUT_MS",
            DEFAULT_TIMEOUT_MS,
            1,
            3_600_000,
          ),
    cpuWindowMs:
      flags.cpuWindow !== undefined
        ? integerSetting(
            flags.cpuWindow,
            "--cpu-window",
            DEFAULT_CPU_WINDOW_MS,
            0,
            MAX_CPU_WINDOW_MS,
          )
        : integerSetting(
            env.COMPLIANCE_CPU_WINDOW_MS,
            "COMPLIANCE_CPU_WINDOW_MS",
            DEFAULT_CPU_WINDOW_MS,
            0,
            MAX_CPU_WINDOW_MS,
          ),
    cmdline: flags.cmdline ?? true,
  });
}
