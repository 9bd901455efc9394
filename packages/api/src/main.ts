import { runCli } from "./cli.ts";

// The bin: runs the command and maps failures to exit codes. All the work is in cli.ts.
// Whatever the API creates (database, secrets, exports) is readable by its owner only.
process.umask(0o077);
runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
}).then(
  (code) => {
    if (code !== null) process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`compliance-api: ${(e as Error).message}\n`);
    // What failed may have left a database pool or a timer open: leave anyway.
    process.exit(1);
  },
);
