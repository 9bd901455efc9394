import { LIMITS } from "@compliance/contract";
import { type ArchiveLocation, parseArchiveUrl } from "./archive/location.ts";
import {
  HTTP_DEFAULTS,
  type HttpLimits,
  parseRate,
  RATE_DEFAULTS,
  type Rate,
  type RateLimits,
  trustProxyProblem,
} from "./http/settings.ts";

/**
 * The API's configuration, read once from the environment at start, checked, and frozen.
 * A bad value stops the start with a message that names the variable.
 */
export interface Config extends HttpLimits {
  host: string;
  port: number;
  databaseUrl: string;
  databasePoolSize: number;
  /** SQLite only: FULL (an acknowledged report survives power loss) or NORMAL (faster). */
  sqliteSynchronous: "FULL" | "NORMAL";
  /** Where generated secrets are saved (admin token, enroll secret) and the SQLite default lives. */
  dataDir: string;
  enrollSecret: string | null;
  adminToken: string | null;
  /** The interval agents report at; a host is offline after two of them without a report. */
  agentIntervalSeconds: number;
  /** Executions older than this are pruned (the latest of each host is always kept); 0 keeps all. */
  retentionDays: number;
  /** How often the retention job runs. */
  retentionIntervalSeconds: number;
  bodyLimitBytes: number;
  logLevel: string;
  /** Report this machine from inside the API process (npm start). */
  localAgent: boolean;
  localAgentIntervalSeconds: number;
  /** Accept the older systems' agents at their original routes. */
  legacyIngest: boolean;
  legacyKey: string | null;
  /** IANA zone of the seeds' times sent without one (COMPLIANCE_LEGACY_TZ). */
  legacyTimeZone: string;
  /** Serve the web console from this directory at /; null disables it. */
  consoleDir: string | null;
  /** Policies loaded from this directory at start, its files the source of truth; null: none. */
  policyDir: string | null;
  /** Load the starter pack of policies shipped with the product. */
  starterPolicies: boolean;
  /** Deliver webhooks to loopback, link-local and private addresses. */
  webhookAllowPrivate: boolean;
  /**
   * Memory kept for the latest report of recently active hosts, which their delta
   * check-ins apply to without a rebuild from the database (MB; 0: none kept).
   */
  deltaCacheMegabytes: number;
  /** Seconds between two passes of the background work (policy jobs, webhook deliveries). */
  backgroundIntervalSeconds: number;
  /** How often agents and callers may ask; each API process counts its own. */
  rateLimits: RateLimits;
  /**
   * PostgreSQL, MySQL/MariaDB: the longest a request's statement may run, lock waits
   * included, before the request is answered 503 + Retry-After; 0: no limit. Migrations,
   * retention and policy evaluations over the history are not bounded by it.
   */
  databaseStatementTimeoutSeconds: number;
  /**
   * Reports per shared commit at most (COMPLIANCE_DB_WRITE_BATCH); null: the engine's
   * default (SQLite 64, MySQL 32; PostgreSQL 1: each report in a transaction of its own).
   */
  databaseWriteBatch: number | null;
  /** How long the start waits for an unreachable database before giving up. */
  databaseStartTimeoutSeconds: number;
  /** The bearer token of GET /metrics; null turns /metrics off. */
  metricsToken: string | null;
  /** COMPLIANCE_ARCHIVE_URL: every stored report is also written there; null: no archive. */
  archive: ArchiveLocation | null;
  /** An S3-compatible server (path-style requests) instead of AWS; null: AWS S3. */
  archiveEndpoint: string | null;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new ConfigError(name, `must be 1/0, true/false, yes/no or on/off (got "${env[name]}")`);
}

function secret(env: Env, name: string): string | null {
  const raw = env[name];
  if (raw === undefined || raw === "") return null;
  if (raw.length < 16) throw new ConfigError(name, "must be at least 16 characters");
  return raw;
}

function sqliteSynchronous(env: Env): "FULL" | "NORMAL" {
  const raw = (env.COMPLIANCE_SQLITE_SYNCHRONOUS || "full").toUpperCase();
  if (raw !== "FULL" && raw !== "NORMAL") {
    throw new ConfigError(
      "COMPLIANCE_SQLITE_SYNCHRONOUS",
      `must be full or normal (got "${env.COMPLIANCE_SQLITE_SYNCHRONOUS}")`,
    );
  }
  return raw;
}

export interface ConfigDefaults {
  localAgent?: boolean;
  consoleDir?: string | null;
}

export function loadConfig(env: Env, defaults: ConfigDefaults = {}): Readonly<Config> {
  const dataDir = env.COMPLIANCE_DATA_DIR || "./data";
  const databaseUrl = env.DATABASE_URL || `sqlite:${dataDir}/compliance.db`;
  if (!/^(sqlite:|postgres(ql)?:\/\/|mysql:\/\/|mariadb:\/\/)/.test(databaseUrl)) {
    throw new ConfigError("DATABASE_URL", "must be sqlite:<path>, postgres://… or mysql://…");
  }
  const host = env.HOST || "127.0.0.1";
  if (!/^[0-9A-Za-z.:_-]+$/.test(host))
    throw new ConfigError("HOST", `is not an address (got "${host}")`);
  const logLevel = env.LOG_LEVEL || "info";
  if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(logLevel)) {
    throw new ConfigError(
      "LOG_LEVEL",
      "must be one of fatal, error, warn, info, debug, trace, silent",
    );
  }
  return Object.freeze({
    host,
    port: int(env, "PORT", 8080, 0, 65535),
    databaseUrl,
    databasePoolSize: int(env, "DATABASE_POOL_SIZE", 10, 1, 1000),
    sqliteSynchronous: sqliteSynchronous(env),
    dataDir,
    enrollSecret: secret(env, "COMPLIANCE_ENROLL_SECRET"),
    adminToken: secret(env, "COMPLIANCE_ADMIN_TOKEN"),
    agentIntervalSeconds: int(env, "COMPLIANCE_AGENT_INTERVAL", 300, 1, 86_400 * 7),
    retentionDays: int(env, "COMPLIANCE_RETENTION_DAYS", 0, 0, 36_500),
    retentionIntervalSeconds: int(env, "COMPLIANCE_RETENTION_INTERVAL", 3600, 10, 86_400 * 7),
    bodyLimitBytes: int(env, "COMPLIANCE_BODY_LIMIT", LIMITS.bodyBytes, 1024, 1024 ** 3),
    logLevel,
    localAgent: bool(env, "COMPLIANCE_LOCAL_AGENT", defaults.localAgent ?? false),
    localAgentIntervalSeconds: int(env, "COMPLIANCE_LOCAL_AGENT_INTERVAL", 60, 1, 86_400),
    legacyIngest: bool(env, "COMPLIANCE_LEGACY_INGEST", false),
    legacyKey: env.COMPLIANCE_LEGACY_KEY || null,
    legacyTimeZone: legacyTimeZone(env),
    consoleDir:
      env.COMPLIANCE_CONSOLE_DIR === ""
        ? null
        : (env.COMPLIANCE_CONSOLE_DIR ?? defaults.consoleDir ?? null),
    policyDir: env.COMPLIANCE_POLICY_DIR || null,
    starterPolicies: bool(env, "COMPLIANCE_STARTER_POLICIES", true),
    webhookAllowPrivate: bool(env, "COMPLIANCE_WEBHOOK_ALLOW_PRIVATE", false),
    backgroundIntervalSeconds: int(env, "COMPLIANCE_BACKGROUND_INTERVAL", 2, 1, 3600),
    ...httpLimits(env),
    rateLimits: rateLimits(env),
    databaseStatementTimeoutSeconds: int(env, "COMPLIANCE_DB_STATEMENT_TIMEOUT", 10, 0, 3600),
    databaseStartTimeoutSeconds: int(env, "COMPLIANCE_DB_START_TIMEOUT", 120, 1, 86_400),
    databaseWriteBatch: env.COMPLIANCE_DB_WRITE_BATCH
      ? int(env, "COMPLIANCE_DB_WRITE_BATCH", 32, 1, 1000)
      : null,
    metricsToken: secret(env, "COMPLIANCE_METRICS_TOKEN"),
    archive: archiveLocation(env),
    archiveEndpoint: archiveEndpoint(env),
    deltaCacheMegabytes: int(env, "COMPLIANCE_DELTA_CACHE_MB", 128, 0, 1024 * 1024),
  });
}

/** COMPLIANCE_ARCHIVE_URL, s3://bucket/prefix. */
function archiveLocation(env: Env): ArchiveLocation | null {
  const raw = env.COMPLIANCE_ARCHIVE_URL;
  if (raw === undefined || raw === "") return null;
  const parsed = parseArchiveUrl(raw);
  if (!parsed.ok) throw new ConfigError("COMPLIANCE_ARCHIVE_URL", parsed.reason);
  return parsed.location;
}

/** COMPLIANCE_ARCHIVE_ENDPOINT, the http(s) URL of an S3-compatible server. */
function archiveEndpoint(env: Env): string | null {
  const raw = env.COMPLIANCE_ARCHIVE_ENDPOINT;
  if (raw === undefined || raw === "") return null;
  if (!/^https?:\/\/[^/\s]+\/?$/.test(raw)) {
    throw new ConfigError(
      "COMPLIANCE_ARCHIVE_ENDPOINT",
      `must be http(s)://host[:port] (got "${raw}")`,
    );
  }
  return raw.replace(/\/$/, "");
}

/**
 * The zone the older systems' agents wrote their local times in. Their servers read those
 * times as their own local time, so the default is this machine's zone.
 */
function legacyTimeZone(env: Env): string {
  const name = env.COMPLIANCE_LEGACY_TZ || Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    throw new ConfigError(
      "COMPLIANCE_LEGACY_TZ",
      `must be an IANA time zone such as UTC or America/Argentina/Buenos_Aires (got "${name}")`,
    );
  }
}

/** The limits on one request and on connections (see http/settings.ts). */
function httpLimits(env: Env): HttpLimits {
  const d = HTTP_DEFAULTS;
  const requestTimeoutSeconds = int(
    env,
    "COMPLIANCE_REQUEST_TIMEOUT",
    d.requestTimeoutSeconds,
    1,
    3600,
  );
  const headersTimeoutSeconds = int(
    env,
    "COMPLIANCE_HEADERS_TIMEOUT",
    Math.min(d.headersTimeoutSeconds, requestTimeoutSeconds),
    1,
    3600,
  );
  if (headersTimeoutSeconds > requestTimeoutSeconds) {
    throw new ConfigError(
      "COMPLIANCE_HEADERS_TIMEOUT",
      `must not exceed COMPLIANCE_REQUEST_TIMEOUT (${requestTimeoutSeconds})`,
    );
  }
  const trustProxy = env.COMPLIANCE_TRUST_PROXY?.trim() || null;
  const problem = trustProxy === null ? null : trustProxyProblem(trustProxy);
  if (problem) throw new ConfigError("COMPLIANCE_TRUST_PROXY", problem);
  return {
    reportBodyLimitBytes: int(
      env,
      "COMPLIANCE_REPORT_BODY_LIMIT",
      d.reportBodyLimitBytes,
      1024,
      1024 ** 3,
    ),
    jsonMaxDepth: int(env, "COMPLIANCE_JSON_MAX_DEPTH", d.jsonMaxDepth, 8, 10_000),
    jsonMaxItems: int(env, "COMPLIANCE_JSON_MAX_ITEMS", d.jsonMaxItems, 1, 100_000_000),
    requestTimeoutSeconds,
    headersTimeoutSeconds,
    keepAliveTimeoutSeconds: int(
      env,
      "COMPLIANCE_KEEP_ALIVE_TIMEOUT",
      d.keepAliveTimeoutSeconds,
      1,
      3600,
    ),
    maxConnections: int(env, "COMPLIANCE_MAX_CONNECTIONS", d.maxConnections, 1, 1_000_000),
    trustProxy,
    maxPendingReports: int(
      env,
      "COMPLIANCE_MAX_PENDING_REPORTS",
      d.maxPendingReports,
      1,
      1_000_000,
    ),
  };
}

function rate(env: Env, name: string, fallback: Rate | null): Rate | null {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const parsed = parseRate(raw);
  if (typeof parsed === "string") throw new ConfigError(name, `${parsed} (got "${raw}")`);
  return parsed;
}

function rateLimits(env: Env): RateLimits {
  return {
    reports: rate(env, "COMPLIANCE_RATE_LIMIT_REPORTS", RATE_DEFAULTS.reports),
    enroll: rate(env, "COMPLIANCE_RATE_LIMIT_ENROLL", RATE_DEFAULTS.enroll),
    authFailures: rate(env, "COMPLIANCE_RATE_LIMIT_AUTH", RATE_DEFAULTS.authFailures),
  };
}
