import { runCli } from "./cli.ts";
import { systemClock } from "./clock.ts";
import { EXIT_CODES } from "./errors.ts";

const argv = process.argv.slice(2);
const stop = new AbortController();

// Only the service (`run` without --once) stops gracefully: the first SIGTERM or SIGINT
// lets it spool or finish the report in flight; a second one ends it at once (whatever
// was collected is already on disk). Other commands keep the default: end at once.
if (
  argv[0] === "run" &&
  !argv.includes("--once") &&
  !argv.includes("--help") &&
  !argv.includes("-h")
) {
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(signal === "SIGINT" ? 130 : 143);
    stop.abort();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

// The exit code is set rather than process.exit() called, so a large report written to a
// pipe is flushed before the process ends.
runCli(argv, {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: stop.signal,
  clock: systemClock(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`compliance-agent: internal error: ${String(error)}\n`);
    process.exitCode = EXIT_CODES.internal;
  },
);
