import { join, resolve } from "node:path";
import { type Clock, runOnce, systemClock } from "@compliance/agent";
import type { Logger } from "pino";
import { buildApp } from "./app.ts";
import { Archiver, type ArchiverOptions } from "./archive/archiver.ts";
import { S3Target } from "./archive/s3-target.ts";
import type { Config } from "./config.ts";
import { restrictDataFiles } from "./data-files.ts";
import { migrateWhenReachable } from "./database-wait.ts";
import { createLoggers, type LogStream } from "./logging.ts";
import { formatProblem, loadPolicyDirectory, loadStarterPolicies } from "./policies/index.ts";
import { resolveSecrets } from "./secrets.ts";
import { SYSTEM_ACTOR } from "./services/audit.service.ts";
import { Background } from "./services/background.ts";
import { loadBases, saveBases } from "./services/delta-bases-file.ts";
import { localAgentCollectors } from "./services/local-agent.ts";
import type { PoliciesService } from "./services/policies.service.ts";
import { openStore } from "./store/sql-store.ts";
import type { Store } from "./store/store.ts";

export interface RunningServer {
  url: string;
  /** The API's log (JSON lines). */
  log: Logger;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Where the console's built files are, when it should be served. */
  consoleDir?: string | null;
  /** Lines for the operator (secrets, URLs); by default JSON log lines at info, whatever the level. */
  print?: (line: string) => void;
  /** The clock (epoch milliseconds) every part of the API reads; the system's by default. */
  now?: () => number;
  /** Where log lines (JSON) go; stdout by default. */
  logStream?: LogStream;
}

/** Said at start, on stdout and in the log, while the legacy routes need no credential. */
export const OPEN_LEGACY_WARNING =
  "WARNING: legacy ingest is on without COMPLIANCE_LEGACY_KEY: anyone who reaches this port " +
  "can write and read legacy hosts with no credential. Use it on a closed network only, or set COMPLIANCE_LEGACY_KEY.";

/**
 * The policies of the product's starter pack (unless switched off) and of
 * COMPLIANCE_POLICY_DIR (the directory is the source of truth: its policies are stored,
 * those it no longer has are deleted). A bad file stops the start, naming the file and line.
 */
async function loadPolicies(
  policies: PoliciesService,
  config: Pick<Config, "starterPolicies" | "policyDir">,
): Promise<void> {
  await policies.sync(config.starterPolicies ? loadStarterPolicies() : [], "starter");
  if (config.policyDir) {
    const loaded = loadPolicyDirectory(config.policyDir);
    if (!loaded.ok) {
      const p = loaded.problems[0]!;
      throw new Error(
        `COMPLIANCE_POLICY_DIR: ${p.file}: ${formatProblem(p)}` +
          (loaded.problems.length > 1 ? ` (and ${loaded.problems.length - 1} more)` : ""),
      );
    }
    await policies.sync(loaded.policies, "directory");
  }
}

/**
 * The built-in local agent's clock: its reports are dated by the API's clock, like
 * everything the API stores; the API keeps no monotonic clock or timers of its own, so the
 * agent's waits and CPU windows run on the system's.
 */
function localAgentClock(now: () => number): Clock {
  return { ...systemClock(), now };
}

/**
 * The archive of raw reports, when COMPLIANCE_ARCHIVE_URL is set: written by a loop of its
 * own, every background interval, apart from ingest.
 */
function startArchive(
  config: Config,
  store: Store,
  log: ArchiverOptions["log"],
  now: () => number,
): { where: string; stop(): Promise<void> } | null {
  if (!config.archive) return null;
  const target = new S3Target({
    location: config.archive,
    endpoint: config.archiveEndpoint,
    env: process.env,
  });
  const archiver = new Archiver(store, target, { now, log });
  archiver.start(config.backgroundIntervalSeconds * 1000);
  return {
    where: target.where,
    async stop() {
      await archiver.stop();
      target.close();
    },
  };
}

/**
 * Starts the API: migrates the database (waiting for it if it is not up yet), resolves the
 * secrets, listens, runs retention and, when asked, the built-in local agent. Closes
 * gracefully: in-flight requests finish, then the database pool closes.
 */
export async function startServer(
  config: Config,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const { log, notice } = createLoggers(config.logLevel, options.logStream);
  const print = options.print ?? ((line: string) => notice.info(line.trim()));
  const now = options.now ?? Date.now;
  for (const problem of restrictDataFiles(config)) {
    if (options.print) print(`warning: ${problem}`);
    else log.warn(problem);
  }
  const store = openStore({
    now,
    url: config.databaseUrl,
    poolSize: config.databasePoolSize,
    sqliteSynchronous: config.sqliteSynchronous,
    statementTimeoutMs: config.databaseStatementTimeoutSeconds * 1000,
    onlineWindowMs: 2 * config.agentIntervalSeconds * 1000 + 60_000,
    archive: config.archive !== null,
    writeBatch: config.databaseWriteBatch ?? undefined,
  });
  try {
    await migrateWhenReachable(store, config.databaseStartTimeoutSeconds * 1000, log);
  } catch (e) {
    await store.close().catch(() => {});
    throw e;
  }
  const secrets = await resolveSecrets(config, store);
  const app = await buildApp({
    store,
    config: { ...config, consoleDir: options.consoleDir ?? config.consoleDir },
    secrets,
    loggerInstance: log,
    rateLimits: config.rateLimits,
    now,
  });
  if (config.legacyIngest && !config.legacyKey) app.log.warn(OPEN_LEGACY_WARNING);
  // The delta bases the last process held when it closed (delta-bases-file.ts).
  const basesFile = join(config.dataDir, "delta-bases.bin");
  const basesLoaded = loadBases(app.services.ingest.bases, basesFile);
  await loadPolicies(app.services.policies, config);
  const background = new Background(app.services.jobs, app.services.webhooks, app.log);
  background.start(config.backgroundIntervalSeconds * 1000);
  const archive = startArchive(config, store, app.log, now);
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
  print(`Compliance API on ${url} (database ${store.where})`);
  print(`  console:  ${url}/`);
  print(`  API docs: ${url}/docs`);
  for (const line of secrets.notices) print(`  ${line}`);
  if (basesLoaded > 0) print(`  delta bases: ${basesLoaded} hosts' latest reports read back`);
  if (archive) print(`  archive:  every report is written to ${archive.where}`);
  if (config.legacyIngest && !config.legacyKey && options.print) print(OPEN_LEGACY_WARNING);

  const timers: NodeJS.Timeout[] = [];
  if (config.retentionDays > 0) {
    const prune = async () => {
      try {
        const before = now() - config.retentionDays * 86_400_000;
        const r = await store.prune(before);
        if (r.executions > 0) {
          app.log.info({ retention: r }, "pruned old executions");
          await app.services.audit.record(SYSTEM_ACTOR, "retention.prune", null, {
            ...r,
            before: new Date(before).toISOString(),
          });
        }
      } catch (e) {
        app.log.warn({ err: e }, "retention failed; will retry");
      }
    };
    timers.push(setInterval(prune, config.retentionIntervalSeconds * 1000).unref());
    void prune();
  }

  let agentRun: Promise<unknown> = Promise.resolve();
  if (config.localAgent) {
    const stateDir = resolve(join(config.dataDir, "local-agent"));
    const clock = localAgentClock(now);
    const report = () => {
      agentRun = runOnce({
        serverUrl: url,
        enrollSecret: secrets.enrollSecret ?? undefined,
        stateDir,
        clock,
        collect: { collectors: localAgentCollectors() },
      }).then(
        (r) =>
          app.log.info(
            { report_id: r.accepted.report_id, host_id: r.accepted.host_id },
            "local agent reported",
          ),
        (e) => app.log.warn({ err: e }, "local agent could not report"),
      );
    };
    report();
    timers.push(setInterval(report, config.localAgentIntervalSeconds * 1000).unref());
    print(
      `  local agent: reports this machine every ${config.localAgentIntervalSeconds} s (COMPLIANCE_LOCAL_AGENT=0 turns it off)`,
    );
  }

  let closing: Promise<void> | null = null;
  return {
    url,
    log,
    close() {
      closing ??= (async () => {
        log.info("closing: finishing requests in flight");
        for (const t of timers) clearInterval(t);
        await background.stop();
        await archive?.stop();
        await agentRun;
        await app.close();
        try {
          const { kept, packed } = app.services.ingest.bases.sizes;
          if (kept + packed > 0) {
            const saved = saveBases(app.services.ingest.bases, basesFile);
            log.info({ hosts: saved, file: basesFile }, "delta bases written for the next start");
          }
        } catch (e) {
          log.warn({ err: e }, "delta bases could not be written; the next start rebuilds them");
        }
        await store.close();
        log.info("closed");
      })();
      return closing;
    },
  };
}
