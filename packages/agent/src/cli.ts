import { type ParseArgsConfig, parseArgs } from "node:util";
import type { Clock } from "./clock.ts";
import {
  type AgentConfig,
  COLLECTOR_SWITCHES,
  type ConfigFlags,
  type Env,
  loadConfig,
} from "./config.ts";
import { ConfigError, EXIT_CODES, exitCodeOf, messageOf, UsageError } from "./errors.ts";
import type { HttpClient } from "./http.ts";
import { createLogger } from "./log.ts";
import { PART_COMMANDS, type PartCommand, printPart } from "./parts.ts";
import type { CollectOptions } from "./report.ts";
import { collectReport } from "./report.ts";
import { AGENT_VERSION } from "./version.ts";

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Env;
  /** The user the agent runs as (default: this process's). */
  uid?: number;
  /** Base of relative paths (default: this process's working directory). */
  cwd?: string;
  /** Where config.json / config.ini are looked for (default /etc/compliance-agent). */
  configDir?: string;
  /** Stops `run` (SIGTERM, SIGINT); without one, `run` goes on until the process ends. */
  signal?: AbortSignal;
  http?: HttpClient;
  /** The program's only clock: the system's, unless a test runs the agent on its own. */
  clock: Clock;
  /** Collection settings the command line does not reach (e.g. system paths). */
  collect?: Omit<CollectOptions, "stateDir" | "clock" | "cpuWindowMs" | "cmdline">;
}

const EXIT_CODE_TEXT = `Exit codes: 0 done, 1 internal error, 2 bad usage or configuration, 3 API unreachable
(also an untrusted TLS certificate), 4 rejected by the API (4xx), 5 API server error (5xx),
6 the report (or the part asked for) could not be collected.`;

export const USAGE = `Usage: compliance-agent <command> [options]

Commands:
  run                  Report every interval until stopped (the service)
  run --once           Collect, send (with any spooled reports), exit
  collect              Print this host's report (JSON) on stdout; nothing is sent
  so-name              Print the operating system's name
  so-version           Print the operating system's version and kernel
  ps                   Print the running processes
  users                Print the users with an open session
  cpu                  Print the CPU model, count and use

  compliance-agent <command> --help   Options of a command
  -h, --help           This help
  -V, --version        The agent's version

Settings come from flags, then environment variables, then the configuration file
(--config, else /etc/compliance-agent/config.json or config.ini), then defaults.

${EXIT_CODE_TEXT}
`;

const COLLECTION_HELP = `${COLLECTOR_SWITCHES.map(
  ({ flag, env, key }) => `  ${flag.padEnd(26)} ${`${env}=false`.padEnd(35)} ${key}`,
).join("\n")}
                             each leaves that inventory section out of the report
  --sensitive-files <p,...>  COMPLIANCE_SENSITIVE_FILES  collect.sensitive_files  files whose mode is reported`;

const SETTINGS_HELP = `Settings (flag, environment variable, file key; flags win, then variables, then the file):
  --config <file>            COMPLIANCE_CONFIG           (default /etc/compliance-agent/config.{json,ini})
  --server <url>             COMPLIANCE_SERVER_URL, URL_API, API_IP+API_PORT   api.url, api.ip+api.port
  --enroll-secret <s>        COMPLIANCE_ENROLL_SECRET, API_KEY, TOKEN          api.enroll_secret
  --ca-file <file>           COMPLIANCE_CA_FILE          api.ca_file     extra trusted CA (PEM)
  --pin <sha256,...>         COMPLIANCE_PIN              api.pin         certificate pins
  --timeout <duration>       COMPLIANCE_TIMEOUT_MS       api.timeout     per request (30s; bare = ms)
  --interval <duration>      COMPLIANCE_INTERVAL         agent.interval  between reports (5m; bare = s)
  --jitter <duration>        COMPLIANCE_JITTER           agent.jitter    ± random (interval/10)
  --state-dir <dir>          COMPLIANCE_STATE_DIR        agent.state_dir node key and spool
  --cpu-window <duration>    COMPLIANCE_CPU_WINDOW_MS    agent.cpu_window (250ms; 0 = averages)
  --no-cmdline               COMPLIANCE_CMDLINE=false    agent.cmdline   leave command lines out
  --log-level <level>        COMPLIANCE_LOG_LEVEL        agent.log_level error|warn|info|debug
  --retry-initial <duration> COMPLIANCE_RETRY_INITIAL    agent.retry_initial (1s)
  --retry-max <duration>     COMPLIANCE_RETRY_MAX        agent.retry_max (5m)
  --spool-max-reports <n>    COMPLIANCE_SPOOL_MAX_REPORTS spool.max_reports (1000)
  --spool-max-bytes <size>   COMPLIANCE_SPOOL_MAX_BYTES  spool.max_bytes (100MiB)
${COLLECTION_HELP}`;

type Options = NonNullable<ParseArgsConfig["options"]>;
type Command = "collect" | "run" | PartCommand;

const COMMON: Options = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
};

const COLLECTION: Options = {
  ...COMMON,
  config: { type: "string" },
  "state-dir": { type: "string" },
  "cpu-window": { type: "string" },
  "no-cmdline": { type: "boolean" },
  "sensitive-files": { type: "string" },
  ...Object.fromEntries(COLLECTOR_SWITCHES.map(({ flag }) => [flag.slice(2), { type: "boolean" }])),
};

const RUN: Options = {
  ...COLLECTION,
  once: { type: "boolean" },
  server: { type: "string" },
  "enroll-secret": { type: "string" },
  timeout: { type: "string" },
  interval: { type: "string" },
  jitter: { type: "string" },
  "ca-file": { type: "string" },
  pin: { type: "string" },
  "log-level": { type: "string" },
  "retry-initial": { type: "string" },
  "retry-max": { type: "string" },
  "spool-max-reports": { type: "string" },
  "spool-max-bytes": { type: "string" },
};

const PART: Options = {
  ...COMMON,
  json: { type: "boolean" },
  config: { type: "string" },
  "cpu-window": { type: "string" },
  "no-cmdline": { type: "boolean" },
};

interface CommandSpec {
  options: Options;
  usage: string;
}

const partUsage = (
  name: PartCommand,
  what: string,
  extra = "",
) => `Usage: compliance-agent ${name} [--json]${extra}

${what}
Human-readable by default; --json prints JSON for scripts.

Options:
  --json                 JSON on stdout
${extra ? "  --cpu-window <ms>      CPU window (default 250; 0 = averages since start)\n" : ""}${name === "ps" ? "  --no-cmdline           Leave command lines out (JSON)\n" : ""}  -h, --help             This help
  -V, --version          The agent's version

${EXIT_CODE_TEXT}
`;

const COMMANDS: Readonly<Record<Command, CommandSpec>> = {
  run: {
    options: RUN,
    usage: `Usage: compliance-agent run [--once] [settings]

Without --once: the service. Reports at start and then every interval (± jitter) until
SIGTERM or SIGINT; each report goes to the spool in the state directory first and leaves
it only when the API has acknowledged it. While the API is unreachable or failing, the
spool keeps the reports (bounded; the oldest are dropped and counted) and delivery is
retried with exponential backoff and jitter, at least as late as the API's Retry-After.

With --once: one check-in (collect, then send the spool oldest first), then exit.

${SETTINGS_HELP}
  -h, --help                 This help
  -V, --version              The agent's version

${EXIT_CODE_TEXT}
`,
  },
  collect: {
    options: { ...COLLECTION, pretty: { type: "boolean" } },
    usage: `Usage: compliance-agent collect [--pretty] [--no-cmdline] [--cpu-window <ms>] [--config <file>] [--state-dir <dir>]

Prints this host's report (the wire contract's JSON, one line) on stdout. Nothing is sent.

Options:
  --pretty               Indent the JSON
  --cpu-window <ms>      CPU window (default 250; 0 = averages) [COMPLIANCE_CPU_WINDOW_MS]
  --no-cmdline           Leave process command lines out
  --config <file>        Configuration file [COMPLIANCE_CONFIG]
  --state-dir <dir>      Where a generated host id is kept [COMPLIANCE_STATE_DIR]
  --no-packages, --no-listening, --no-accounts, --no-services, --no-sysctl, --no-sshd, --no-files
                         Leave that inventory section out [COMPLIANCE_COLLECT_<NAME>=false]
  --sensitive-files <p,...>  Files whose owner and mode are reported [COMPLIANCE_SENSITIVE_FILES]
  -h, --help             This help
  -V, --version          The agent's version

${EXIT_CODE_TEXT}
`,
  },
  "so-name": {
    options: PART,
    usage: partUsage(
      "so-name",
      "Prints the operating system's name (e.g. Debian GNU/Linux, macOS).",
    ),
  },
  "so-version": {
    options: PART,
    usage: partUsage("so-version", "Prints the operating system's version and the kernel release."),
  },
  ps: {
    options: PART,
    usage: partUsage(
      "ps",
      "Prints the running processes: pid, parent, user, CPU %, memory, name.",
      " [--cpu-window <ms>] [--no-cmdline]",
    ),
  },
  users: {
    options: PART,
    usage: partUsage(
      "users",
      "Prints the users with an open session (terminal, remote host, since).",
    ),
  },
  cpu: {
    options: PART,
    usage: partUsage(
      "cpu",
      "Prints the CPU model, vendor, logical processors and whole-machine use.",
      " [--cpu-window <ms>]",
    ),
  },
};

function isCommand(name: string): name is Command {
  return Object.hasOwn(COMMANDS, name);
}

type Values = Record<string, string | boolean | undefined>;

interface ParsedCommand {
  command: Command;
  values: Values;
}

/** Parses the arguments; undefined means --help or --version was answered already. */
function parse(argv: readonly string[], io: CliIo): ParsedCommand | undefined {
  const [first, ...rest] = argv;
  if (first === undefined) {
    throw new UsageError(
      "a command is needed: run, collect, so-name, so-version, ps, users or cpu (see compliance-agent --help)",
    );
  }
  if (first === "-h" || first === "--help" || first === "help") {
    const topic = rest[0];
    io.stdout.write(topic !== undefined && isCommand(topic) ? COMMANDS[topic].usage : USAGE);
    return undefined;
  }
  if (first === "-V" || first === "--version" || first === "version") {
    io.stdout.write(`${AGENT_VERSION}\n`);
    return undefined;
  }
  if (!isCommand(first)) {
    throw new UsageError(`unknown command ${JSON.stringify(first)}; try compliance-agent --help`);
  }
  let values: Values;
  try {
    // No option is `multiple`, so no value is an array.
    values = parseArgs({
      args: [...rest],
      options: COMMANDS[first].options,
      strict: true,
      allowPositionals: false,
    }).values as Values;
  } catch (error) {
    const option = /'([^']+)'/.exec(messageOf(error))?.[1];
    const problem =
      (error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option
        ? `unknown option "${option}"`
        : messageOf(error);
    throw new UsageError(`${first}: ${problem}; try compliance-agent ${first} --help`, {
      cause: error,
    });
  }
  if (values.help) {
    io.stdout.write(COMMANDS[first].usage);
    return undefined;
  }
  if (values.version) {
    io.stdout.write(`${AGENT_VERSION}\n`);
    return undefined;
  }
  return { command: first, values };
}

function flagsOf(values: Values): ConfigFlags {
  const text = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === "string" ? value : undefined;
  };
  return {
    config: text("config"),
    server: text("server"),
    enrollSecret: text("enroll-secret"),
    stateDir: text("state-dir"),
    timeout: text("timeout"),
    cpuWindow: text("cpu-window"),
    cmdline: values["no-cmdline"] ? false : undefined,
    interval: text("interval"),
    jitter: text("jitter"),
    caFile: text("ca-file"),
    pin: text("pin"),
    logLevel: text("log-level"),
    retryInitial: text("retry-initial"),
    retryMax: text("retry-max"),
    spoolMaxReports: text("spool-max-reports"),
    spoolMaxBytes: text("spool-max-bytes"),
    collect: Object.fromEntries(
      COLLECTOR_SWITCHES.filter(({ flag }) => values[flag.slice(2)]).map(({ name }) => [
        name,
        false,
      ]),
    ),
    sensitiveFiles: text("sensitive-files"),
  };
}

function configOf(values: Values, io: CliIo): AgentConfig {
  return loadConfig({
    flags: flagsOf(values),
    env: io.env,
    uid: io.uid ?? process.getuid?.(),
    cwd: io.cwd ?? process.cwd(),
    configDir: io.configDir,
  });
}

async function collectCommand(config: AgentConfig, values: Values, io: CliIo) {
  const report = await collectReport({
    ...io.collect,
    cpuWindowMs: config.cpuWindowMs,
    cmdline: config.cmdline,
    skip: config.collectorsOff,
    sensitiveFiles: config.sensitiveFiles,
    stateDir: config.stateDir,
    clock: io.clock,
  });
  io.stdout.write(`${JSON.stringify(report, null, values.pretty ? 2 : undefined)}\n`);
}

function requireRunSettings(config: AgentConfig): { serverUrl: string; stateDir: string } {
  if (config.serverUrl === undefined) {
    throw new ConfigError(
      "no API URL: set COMPLIANCE_SERVER_URL (or URL_API, or API_IP and API_PORT), --server, or api.url in the configuration file",
    );
  }
  if (config.stateDir === undefined) {
    throw new ConfigError(
      "no state directory: HOME is not set; set COMPLIANCE_STATE_DIR or --state-dir",
    );
  }
  return { serverUrl: config.serverUrl, stateDir: config.stateDir };
}

async function runCommand(config: AgentConfig, values: Values, io: CliIo) {
  const { serverUrl, stateDir } = requireRunSettings(config);
  const log = createLogger(io.stderr, config.logLevel);
  const common = {
    serverUrl,
    enrollSecret: config.enrollSecret,
    stateDir,
    timeoutMs: config.timeoutMs,
    ca: config.ca,
    pins: config.pins,
    http: io.http,
    clock: io.clock,
    spool: { maxReports: config.spoolMaxReports, maxBytes: config.spoolMaxBytes },
    log,
  };
  const collect = {
    ...io.collect,
    cpuWindowMs: config.cpuWindowMs,
    cmdline: config.cmdline,
    skip: config.collectorsOff,
    sensitiveFiles: config.sensitiveFiles,
  };
  // The HTTP client, TLS, compression and the spool load only for `run`: `collect` and the
  // part commands start without them.
  if (values.once) {
    const { runOnce } = await import("./run-once.ts");
    const result = await runOnce({ ...common, collect });
    io.stdout.write(
      `stored report ${result.accepted.report_id} for host ${result.accepted.host_id}` +
        `${result.enrolled ? " (enrolled)" : ""}` +
        `${result.backlogDelivered > 0 ? ` after ${result.backlogDelivered} spooled reports` : ""}\n`,
    );
    return;
  }
  const { runDaemon } = await import("./daemon.ts");
  await runDaemon({
    ...common,
    collect,
    intervalMs: config.intervalMs,
    jitterMs: config.jitterMs,
    retry: { initialMs: config.retryInitialMs, maxMs: config.retryMaxMs },
    signal: io.signal ?? new AbortController().signal,
    onReport: (report) =>
      log.info(`collected report ${report.report_id} (${report.processes.length} processes)`),
  });
}

/**
 * The `compliance-agent` command. `argv` holds the arguments after the program name.
 * Resolves to the exit code; a failure is written to stderr as one line.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const parsed = parse(argv, io);
    if (!parsed) return EXIT_CODES.ok;
    const { command, values } = parsed;
    const config = configOf(values, io);
    if ((PART_COMMANDS as readonly string[]).includes(command)) {
      return await printPart(command as PartCommand, values, config, io);
    }
    if (command === "collect") await collectCommand(config, values, io);
    else await runCommand(config, values, io);
    return EXIT_CODES.ok;
  } catch (error) {
    io.stderr.write(`compliance-agent: ${messageOf(error)}\n`);
    return exitCodeOf(error);
  }
}
