import { type ParseArgsConfig, parseArgs } from "node:util";
import { type AgentConfig, type ConfigFlags, type Env, resolveConfig } from "./config.ts";
import { ConfigError, EXIT_CODES, exitCodeOf, messageOf, UsageError } from "./errors.ts";
import { type CollectOptions, collectReport } from "./report.ts";
import { runOnce } from "./run-once.ts";
import { AGENT_VERSION } from "./version.ts";

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Env;
  /** The user the agent runs as (default: this process's). */
  uid?: number;
  /** Base of relative paths (default: this process's working directory). */
  cwd?: string;
  fetch?: typeof fetch;
  now?: () => Date;
  /** Collection settings the command line does not reach (e.g. system paths). */
  collect?: Omit<CollectOptions, "stateDir" | "now" | "cpuWindowMs" | "cmdline">;
}

export const USAGE = `Usage: compliance-agent <command> [options]

Commands:
  collect              Print this host's report (JSON) on stdout
  run --once           Collect, enroll when needed, send the report to the API, exit

Options of collect and run:
  --cpu-window <ms>    CPU window (default 250; 0 = averages) [COMPLIANCE_CPU_WINDOW_MS]
  --no-cmdline         Leave process command lines out of the report
Options of collect:
  --pretty             Indent the JSON
Options of run:
  --once               One check-in, then exit
  --server <url>       API base URL          [COMPLIANCE_SERVER_URL, URL_API, API_IP+API_PORT]
  --enroll-secret <s>  Secret to enroll with [COMPLIANCE_ENROLL_SECRET]
  --state-dir <dir>    Node key and state    [COMPLIANCE_STATE_DIR]
  --timeout <ms>       Per request (default 30000) [COMPLIANCE_TIMEOUT_MS]

  -h, --help           This help
  -V, --version        The agent's version

Exit codes: 0 done, 1 internal error, 2 bad usage or configuration, 3 API unreachable,
4 rejected by the API (4xx), 5 API server error (5xx), 6 the report could not be made.
`;

type Options = NonNullable<ParseArgsConfig["options"]>;
type Command = "collect" | "run";

const COLLECTION_OPTIONS: Options = {
  "cpu-window": { type: "string" },
  "no-cmdline": { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

const COMMAND_OPTIONS: Readonly<Record<Command, Options>> = {
  collect: { ...COLLECTION_OPTIONS, pretty: { type: "boolean" } },
  run: {
    ...COLLECTION_OPTIONS,
    once: { type: "boolean" },
    server: { type: "string" },
    "enroll-secret": { type: "string" },
    "state-dir": { type: "string" },
    timeout: { type: "string" },
  },
};

function isCommand(name: string): name is Command {
  return Object.hasOwn(COMMAND_OPTIONS, name);
}

interface ParsedCommand {
  command: Command;
  values: Record<string, string | boolean | undefined>;
}

/** Parses the arguments; undefined means --help or --version was answered already. */
function parse(argv: readonly string[], io: CliIo): ParsedCommand | undefined {
  const [first, ...rest] = argv;
  if (first === undefined) {
    throw new UsageError("a command is needed: collect or run (see compliance-agent --help)");
  }
  if (first === "-h" || first === "--help" || first === "help") {
    io.stdout.write(USAGE);
    return undefined;
  }
  if (first === "-V" || first === "--version") {
    io.stdout.write(`${AGENT_VERSION}\n`);
    return undefined;
  }
  if (!isCommand(first)) {
    throw new UsageError(`unknown command ${JSON.stringify(first)}; try compliance-agent --help`);
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    // No option is `multiple`, so no value is an array.
    values = parseArgs({
      args: [...rest],
      options: COMMAND_OPTIONS[first],
      strict: true,
      allowPositionals: false,
    }).values as ParsedCommand["values"];
  } catch (error) {
    throw new UsageError(`${first}: ${messageOf(error)}`, { cause: error });
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return undefined;
  }
  return { command: first, values };
}

function flagsOf(values: ParsedCommand["values"]): ConfigFlags {
  const text = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === "string" ? value : undefined;
  };
  return {
    server: text("server"),
    enrollSecret: text("enroll-secret"),
    stateDir: text("state-dir"),
    timeout: text("timeout"),
    cpuWindow: text("cpu-window"),
    cmdline: values["no-cmdline"] ? false : undefined,
  };
}

async function collectCommand(config: AgentConfig, values: ParsedCommand["values"], io: CliIo) {
  const report = await collectReport({
    ...io.collect,
    cpuWindowMs: config.cpuWindowMs,
    cmdline: config.cmdline,
    stateDir: config.stateDir,
    now: io.now,
  });
  io.stdout.write(`${JSON.stringify(report, null, values.pretty ? 2 : undefined)}\n`);
}

async function runCommand(config: AgentConfig, values: ParsedCommand["values"], io: CliIo) {
  if (!values.once) {
    throw new UsageError("run needs --once (one check-in, then exit)");
  }
  if (config.serverUrl === undefined) {
    throw new ConfigError(
      "no API URL: set COMPLIANCE_SERVER_URL (or URL_API, or API_IP and API_PORT) or --server",
    );
  }
  if (config.stateDir === undefined) {
    throw new ConfigError(
      "no state directory: HOME is not set; set COMPLIANCE_STATE_DIR or --state-dir",
    );
  }
  const result = await runOnce({
    serverUrl: config.serverUrl,
    enrollSecret: config.enrollSecret,
    stateDir: config.stateDir,
    timeoutMs: config.timeoutMs,
    fetch: io.fetch,
    now: io.now,
    collect: { ...io.collect, cpuWindowMs: config.cpuWindowMs, cmdline: config.cmdline },
  });
  io.stdout.write(
    `stored report ${result.accepted.report_id} for host ${result.accepted.host_id}` +
      `${result.enrolled ? " (enrolled)" : ""}\n`,
  );
}

/**
 * The `compliance-agent` command. `argv` holds the arguments after the program name.
 * Resolves to the exit code; a failure is written to stderr as one line.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const parsed = parse(argv, io);
    if (!parsed) return EXIT_CODES.ok;
    const config = resolveConfig({
      flags: flagsOf(parsed.values),
      env: io.env,
      uid: io.uid ?? process.getuid?.(),
      cwd: io.cwd ?? process.cwd(),
    });
    if (parsed.command === "collect") await collectCommand(config, parsed.values, io);
    else await runCommand(config, parsed.values, io);
    return EXIT_CODES.ok;
  } catch (error) {
    io.stderr.write(`compliance-agent: ${messageOf(error)}\n`);
    return exitCodeOf(error);
  }
}
