import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { TokenRole } from "@compliance/contract";
import { parseArchiveUrl } from "./archive/location.ts";
import { S3Target } from "./archive/s3-target.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { exportCommand } from "./export.ts";
import { POLICY_USAGE, policyCommand } from "./policy-command.ts";
import { startServer } from "./server.ts";
import { AuditService, CLI_ACTOR } from "./services/audit.service.ts";
import { TokensService } from "./services/tokens.service.ts";
import { openStore } from "./store/sql-store.ts";
import type { Store } from "./store/store.ts";
import { API_VERSION } from "./version.ts";

export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /** The clock (epoch milliseconds); the system's by default. */
  now?: () => number;
}

export const USAGE = `compliance-api ${API_VERSION}: the Compliance API

Usage:
  compliance-api start [--local-agent]     serve the API (and the console)
  compliance-api migrate                   bring the database schema up to date
  compliance-api token create --name N [--role reader|admin] [--json]
  compliance-api token list [--json]
  compliance-api token revoke <id>
  compliance-api host revoke-key <id>      the host's agent (or a reinstalled one) may enroll again
  compliance-api prune (--older-than-days N | --before <time>) [--json]
  compliance-api export (--dir <directory> | --to s3://bucket/prefix) [--from <time>] [--to <time>] [--host <id>]
  compliance-api policy list [--json]
  compliance-api policy apply -f <file or directory>
  compliance-api policy test -f <file> [--host <id>] [--at <time>] [--json]
  compliance-api help [<command>] | <command> --help | --version

Configuration is read from the environment: PORT, HOST, DATABASE_URL,
COMPLIANCE_ENROLL_SECRET, COMPLIANCE_ADMIN_TOKEN and the others listed in the README.
`;

/** Each command's own help. */
const COMMAND_HELP: Record<string, string> = {
  start: `compliance-api start [--local-agent]

Serves the API (and the console) on HOST:PORT; waits up to COMPLIANCE_DB_START_TIMEOUT
seconds for the database. --local-agent also reports this machine. Logs are JSON lines.
`,
  migrate: `compliance-api migrate

Brings the database schema of DATABASE_URL up to date, then exits.
`,
  token: `compliance-api token create --name N [--role reader|admin] [--json]   prints the token once
compliance-api token list [--json]                                     id, role, name, created, last used
compliance-api token revoke <id>
`,
  prune: `compliance-api prune (--older-than-days N | --before <RFC 3339 time>) [--json]

Deletes executions collected before then, keeping each host's latest. --json prints what
was deleted as one JSON object.
`,
  export: `compliance-api export --dir <directory> [--from <time>] [--to <time>] [--host <id>]

Writes every stored report as <ip>_<YYYY_MM_DD_H_M_S>.json.
--to s3://bucket/prefix writes them to that bucket instead (COMPLIANCE_ARCHIVE_ENDPOINT
for an S3-compatible server; credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_REGION). A report already there under its name is not written again.
`,
  policy: POLICY_USAGE,
};

/** How to ask for help, said after every refusal of the command line. */
const HINT = 'Run "compliance-api help" or "compliance-api <command> --help".';

/** Where the console's build is, next to this package in the repository. */
const CONSOLE_DIR = fileURLToPath(new URL("../../console/dist", import.meta.url));

/**
 * Runs one command. Returns the exit code, or null for `start` (the process then lives
 * until a signal closes the server).
 */
export async function runCli(argv: string[], io: CliIo): Promise<number | null> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    io.stderr.write(`compliance-api: ${argumentProblem(e as Error)}\n${HINT}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.stdout.write(`${API_VERSION}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  const help = helpFor(command, rest, values.help === true);
  if (help !== null) {
    if (help.ok) io.stdout.write(help.text);
    else io.stderr.write(help.text);
    return help.ok ? 0 : 2;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(io.env, {
      localAgent: values["local-agent"] ?? false,
      consoleDir: CONSOLE_DIR,
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr.write(`compliance-api: configuration: ${e.message}\n`);
      return 2;
    }
    throw e;
  }

  const now = io.now ?? Date.now;
  if (command === "start") {
    const server = await startServer(config, { logStream: io.stdout, now });
    const stop = (signal: string) => {
      server.log.info({ signal }, "signal received");
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    return null;
  }

  const store = openStore({ url: config.databaseUrl, poolSize: 2, now });
  try {
    await store.migrate();
    switch (command) {
      case "migrate":
        io.stdout.write(`database ${store.where} is up to date\n`);
        return 0;
      case "token":
        return await tokenCommand(
          new TokensService(store, now, new AuditService(store, now)),
          rest,
          values,
          io,
        );
      case "host":
        return await hostCommand(store, rest, io);
      case "prune": {
        const days = values["older-than-days"];
        const before = values.before;
        const ms =
          before !== undefined
            ? Date.parse(before)
            : days !== undefined && /^\d+$/.test(days)
              ? now() - Number(days) * 86_400_000
              : Number.NaN;
        if (Number.isNaN(ms)) {
          io.stderr.write(
            "compliance-api prune: give --older-than-days <whole number> or --before <RFC 3339 time>\n",
          );
          return 2;
        }
        const r = await store.prune(ms);
        await new AuditService(store, now).record(CLI_ACTOR, "retention.prune", null, {
          ...r,
          before: new Date(ms).toISOString(),
        });
        if (values.json) {
          io.stdout.write(`${JSON.stringify({ ...r, before: new Date(ms).toISOString() })}\n`);
          return 0;
        }
        io.stdout.write(
          `pruned ${r.executions} executions of ${r.hosts} hosts collected before ${new Date(ms).toISOString()} ` +
            `(${r.processSpans} process, ${r.sessionSpans} session and ${r.inventorySpans} inventory lifetimes, ${r.facts} fact sets, ${r.legacyRequests} bodies of older agents)\n`,
        );
        return 0;
      }
      case "export":
        return await exportTo(store, config, values, io);
      case "policy":
        return await policyCommand(
          store,
          config,
          now,
          { sub: rest[0], file: values.file, host: values.host, at: values.at, json: values.json },
          io,
        );
      default:
        io.stderr.write(`compliance-api: unknown command "${command}"\n${HINT}\n`);
        return 2;
    }
  } finally {
    await store.close();
  }
}

/**
 * `export`: `--to` is the bucket when it is an s3:// URL, else the time bound; the bucket's
 * objects are written like the archive's.
 */
async function exportTo(
  store: Store,
  config: Config,
  values: ReturnType<typeof parse>["values"],
  io: CliIo,
): Promise<number> {
  const tos = values.to ?? [];
  const buckets = tos.filter((t) => t.startsWith("s3://"));
  const times = tos.filter((t) => !t.startsWith("s3://"));
  if (buckets.length > 1 || times.length > 1 || (buckets.length === 1 && values.dir)) {
    io.stderr.write(
      "compliance-api export: give one of --dir or --to s3://…, and --to <time> at most once\n",
    );
    return 2;
  }
  const args = { dir: values.dir, from: values.from, to: times[0], host: values.host };
  if (buckets.length === 0) return exportCommand(store, args, io);
  const parsed = parseArchiveUrl(buckets[0]!);
  if (!parsed.ok) {
    io.stderr.write(`compliance-api export: --to ${parsed.reason}\n`);
    return 2;
  }
  const target = new S3Target({
    location: parsed.location,
    endpoint: config.archiveEndpoint,
    env: io.env,
  });
  try {
    return await exportCommand(store, args, io, target);
  } finally {
    target.close();
  }
}

/** A short message of our own for what parseArgs refused (its own is long). */
function argumentProblem(e: Error & { code?: string }): string {
  const option = /'([^']+)'/.exec(e.message)?.[1];
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) return `unknown option "${option}"`;
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
    return `option "${option}" needs a value`;
  }
  return e.message.split(". ")[0] ?? e.message;
}

/**
 * The help asked for, if any: `help [command]`, `<command> --help`, or no command at all
 * (help rather than serving: `start` is always said).
 */
function helpFor(
  command: string | undefined,
  rest: string[],
  flag: boolean,
): { ok: boolean; text: string } | null {
  if (command === undefined) return { ok: true, text: USAGE };
  const topic = command === "help" ? rest[0] : flag ? command : null;
  if (command !== "help" && !flag) return null;
  if (topic === undefined || topic === null) return { ok: true, text: USAGE };
  const text = COMMAND_HELP[topic];
  if (text) return { ok: true, text };
  return { ok: false, text: `compliance-api: unknown command "${topic}"\n${HINT}\n` };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "V" },
      "local-agent": { type: "boolean" },
      name: { type: "string" },
      role: { type: "string" },
      "older-than-days": { type: "string" },
      before: { type: "string" },
      dir: { type: "string" },
      from: { type: "string" },
      // A time bound, or the bucket of an export (s3://bucket/prefix); may be given twice.
      to: { type: "string", multiple: true },
      host: { type: "string" },
      file: { type: "string", short: "f" },
      at: { type: "string" },
      json: { type: "boolean" },
    },
  });
}

/** `host revoke-key <id>`: the key stops working and the next enrollment is let through. */
async function hostCommand(store: Store, args: string[], io: CliIo): Promise<number> {
  const [sub, id] = args;
  if (sub === "revoke-key" && id && /^\d{1,15}$/.test(id)) {
    const ok = await store.revokeHostKey(Number(id));
    if (!ok) {
      io.stderr.write(`compliance-api host: no host ${id}\n`);
      return 1;
    }
    io.stdout.write(`host ${id}: node key revoked; its agent may enroll again\n`);
    return 0;
  }
  io.stderr.write("compliance-api host: revoke-key <id>\n");
  return 2;
}

async function tokenCommand(
  tokens: TokensService,
  args: string[],
  values: ReturnType<typeof parse>["values"],
  io: CliIo,
): Promise<number> {
  const [sub, id] = args;
  if (sub === "create") {
    const role = (values.role ?? "reader") as TokenRole;
    if (!values.name || !["reader", "admin"].includes(role)) {
      io.stderr.write("compliance-api token create: give --name <name> and --role reader|admin\n");
      return 2;
    }
    const created = await tokens.create(values.name, role, CLI_ACTOR);
    if (values.json) {
      io.stdout.write(`${JSON.stringify(created)}\n`);
      return 0;
    }
    io.stdout.write(
      `token ${created.id} (${role}, "${values.name}"): ${created.token}\nIt is shown only now.\n`,
    );
    return 0;
  }
  if (sub === "list") {
    const list = await tokens.list();
    if (values.json) {
      io.stdout.write(`${JSON.stringify(list)}\n`);
      return 0;
    }
    for (const t of list) {
      io.stdout.write(
        `${t.id}\t${t.role}\t${t.name}\tcreated ${t.created_at}\tlast used ${t.last_used_at ?? "never"}\n`,
      );
    }
    return 0;
  }
  if (sub === "revoke" && id && /^\d+$/.test(id)) {
    const ok = await tokens.revoke(Number(id), CLI_ACTOR).then(
      () => true,
      () => false,
    );
    io.stdout.write(ok ? `token ${id} revoked\n` : `no token ${id}\n`);
    return ok ? 0 : 1;
  }
  io.stderr.write(
    "compliance-api token: create --name N [--role reader|admin] | list | revoke <id>\n",
  );
  return 2;
}
