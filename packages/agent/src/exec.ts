import { execFile } from "node:child_process";
import type { ExecFn } from "./collectors/types.ts";
import { oneLine } from "./errors.ts";

const EXEC_TIMEOUT_MS = 15_000;
const EXEC_MAX_OUTPUT = 64 * 1024 * 1024;

/**
 * Runs a system command the way the macOS collectors need it: no shell, the C locale (so
 * dates and numbers have one format), a timeout, and an error that says which command
 * failed and why, for the report's `errors`.
 */
export const execCommand: ExecFn = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      {
        encoding: "utf8",
        timeout: EXEC_TIMEOUT_MS,
        maxBuffer: EXEC_MAX_OUTPUT,
        env: { ...process.env, LC_ALL: "C", LANG: "C" },
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = (error as NodeJS.ErrnoException).code;
        const command = [file, ...args].join(" ");
        if (code === "ENOENT") return reject(new Error(`${file} not found (${command})`));
        // sysctl exits 1 when one of several names is unknown, and still prints the rest.
        if (stdout.trim() !== "" && typeof code === "number") return resolve(stdout);
        const why = oneLine(String(stderr || error.message), 200);
        reject(new Error(`${command} failed: ${why}`));
      },
    );
  });
