import type { Report } from "@compliance/contract";
import type { Clock } from "./clock.ts";
import { COLLECTORS } from "./collectors/index.ts";
import type { AgentConfig } from "./config.ts";
import { CollectError, EXIT_CODES } from "./errors.ts";
import { type CollectOptions, collectSections } from "./report.ts";

/**
 * The older agent's subcommands (seed 003): each prints one part of the report, for a
 * person (aligned text) or a script (--json). The part is collected by its own collector
 * only, so `cpu` does not walk every process.
 */
export const PART_COMMANDS = ["so-name", "so-version", "ps", "users", "cpu"] as const;
export type PartCommand = (typeof PART_COMMANDS)[number];

/**
 * The part of the command's CliIo that printing a part uses: a view of its own, so the
 * parts do not depend on the command that runs them.
 */
export interface PartIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  clock: Clock;
  collect?: Omit<CollectOptions, "stateDir" | "clock" | "cpuWindowMs" | "cmdline">;
}

type Sections = Omit<Report, "schema_version" | "report_id" | "collected_at" | "agent">;

interface PartSpec {
  collector: keyof typeof COLLECTORS & string;
  json(sections: Sections, config: AgentConfig): unknown;
  text(sections: Sections): string;
}

/** Columns padded to their widest cell; the last one is not padded. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)}M`;
}

const PARTS: Readonly<Record<PartCommand, PartSpec>> = {
  "so-name": {
    collector: "os",
    json: ({ os }) => ({ platform: os.platform, name: os.name }),
    text: ({ os }) => os.name,
  },
  "so-version": {
    collector: "os",
    json: ({ os }) => ({ version: os.version, kernel: os.kernel }),
    text: ({ os }) => `${os.version || "(unknown version)"} (kernel ${os.kernel})`,
  },
  ps: {
    collector: "processes",
    json: ({ processes }) => processes,
    text: ({ processes }) =>
      formatTable([
        ["PID", "PPID", "USER", "%CPU", "RSS", "NAME"],
        ...processes.map((p) => [
          String(p.pid),
          String(p.ppid),
          p.user,
          p.cpu_percent.toFixed(1),
          megabytes(p.rss_bytes),
          p.name,
        ]),
      ]),
  },
  users: {
    collector: "sessions",
    json: ({ sessions }) => sessions,
    text: ({ sessions }) =>
      sessions.length === 0
        ? "(nobody)"
        : formatTable([
            ["USER", "TERMINAL", "FROM", "SINCE"],
            ...sessions.map((s) => [s.user, s.terminal, s.remote_host ?? "-", s.started_at ?? "-"]),
          ]),
  },
  cpu: {
    collector: "cpu",
    json: ({ cpu }) => cpu,
    text: ({ cpu }) =>
      [
        `model:   ${cpu.model || "(unknown)"}`,
        `vendor:  ${cpu.vendor || "(unknown)"}`,
        `cores:   ${cpu.cores}`,
        `usage:   ${cpu.usage_percent}%`,
      ].join("\n"),
  },
};

/**
 * Prints one part. A collector that cannot work here (no utmp, no support for the
 * platform) is an error with its reason and exit 6, never an empty list that reads as
 * "nobody" or "nothing".
 */
export async function printPart(
  command: PartCommand,
  values: Record<string, string | boolean | undefined>,
  config: AgentConfig,
  io: PartIo,
): Promise<number> {
  const spec = PARTS[command];
  const { sections, errors, failed } = await collectSections({
    ...io.collect,
    cpuWindowMs: config.cpuWindowMs,
    cmdline: config.cmdline,
    stateDir: config.stateDir,
    clock: io.clock,
    collectors: { [spec.collector]: COLLECTORS[spec.collector]! },
  });
  if (failed.includes(spec.collector)) {
    const why = errors.find((e) => e.collector === spec.collector)?.message ?? "failed";
    throw new CollectError(`${spec.collector}: ${why}`);
  }
  for (const problem of errors) io.stderr.write(`compliance-agent: warning: ${problem.message}\n`);
  io.stdout.write(
    values.json ? `${JSON.stringify(spec.json(sections, config))}\n` : `${spec.text(sections)}\n`,
  );
  return EXIT_CODES.ok;
}
