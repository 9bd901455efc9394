import { execFile } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { ExecFn } from "./collectors/types.ts";
import { oneLine } from "./errors.ts";

/**
 * The command is not installed: for some collectors a normal answer ("this host has no
 * rpm"), not a failure.
 */
export class CommandNotFoundError extends Error {
  override readonly name = "CommandNotFoundError";
}

const EXEC_TIMEOUT_MS = 15_000;
const EXEC_MAX_OUTPUT = 64 * 1024 * 1024;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Whether `file` can be run: a path as it is, a bare name on PATH. Looking costs a few
 * stat calls; spawning only to learn that a command is missing costs a fork, every cycle,
 * for each command a host does not have (rpm on Debian, sshd on a desktop).
 */
export function commandExists(file: string, path = process.env.PATH ?? ""): boolean {
  if (file.includes("/")) return isExecutable(file);
  return path
    .split(delimiter)
    .filter((dir) => dir !== "")
    .some((dir) => isExecutable(join(dir, file)));
}

/**
 * Runs a system command the way the collectors need it: no shell, the C locale (so
 * dates and numbers have one format), a timeout, and an error that says which command
 * failed and why, for the report's `errors`. A command that is not there is a
 * CommandNotFoundError, found without spawning anything.
 */
export const execCommand: ExecFn = (file, args) =>
  new Promise((resolve, reject) => {
    if (!commandExists(file)) {
      reject(new CommandNotFoundError(`${file} not found (${[file, ...args].join(" ")})`));
      return;
    }
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
        if (code === "ENOENT") {
          return reject(new CommandNotFoundError(`${file} not found (${command})`));
        }
        // sysctl exits 1 when one of several names is unknown, and still prints the rest.
        if (stdout.trim() !== "" && typeof code === "number") return resolve(stdout);
        const why = oneLine(String(stderr || error.message), 200);
        reject(new Error(`${command} failed: ${why}`));
      },
    );
  });
