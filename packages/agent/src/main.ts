import { runCli } from "./cli.ts";
import { EXIT_CODES } from "./errors.ts";

// The exit code is set rather than process.exit() called, so a large report written to a
// pipe is flushed before the process ends.
runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`compliance-agent: internal error: ${String(error)}\n`);
    process.exitCode = EXIT_CODES.internal;
  },
);
