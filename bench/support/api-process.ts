// The API as operators run it (`compliance-api start`, from source) in a child process of
// its own, on a fresh SQLite file, for benchmarks that must not measure the client's work
// with the server's. Other servers a benchmark compares with start the same way.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export const PROCESS_ENROLL_SECRET = "bench-enroll-secret-0123456789";

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  /** Its data directory, which the benchmark may use for files of its own. */
  dir: string;
  /** Ends the process; removes its directory unless `keepDir` (to start again on it). */
  stop(options?: { keepDir?: boolean }): Promise<void>;
}

const ROOT = new URL("../..", import.meta.url).pathname;

/**
 * Starts the API with the given settings over quiet defaults; resolves once it listens.
 * `dir` starts it on the data directory of an earlier one (stopped with `keepDir`).
 */
export async function startApiProcess(
  env: Record<string, string> = {},
  options: { dir?: string } = {},
): Promise<ApiProcess> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "compliance-bench-api-"));
  return startServerProcess(
    [join(ROOT, "packages/api/src/main.ts"), "start"],
    dir,
    /Compliance API on (http:\/\/\S+)/,
    {
      ...process.env,
      PORT: "0",
      COMPLIANCE_DATA_DIR: dir,
      COMPLIANCE_ENROLL_SECRET: PROCESS_ENROLL_SECRET,
      COMPLIANCE_ADMIN_TOKEN: "bench-admin-token-0123456789",
      COMPLIANCE_STARTER_POLICIES: "0",
      COMPLIANCE_LOCAL_AGENT: "0",
      COMPLIANCE_CONSOLE_DIR: "",
      LOG_LEVEL: "silent",
      ...env,
    },
  );
}

/**
 * Runs a TypeScript server (`args`: its file and arguments) in a child process with the
 * given environment; resolves once it prints the line `listening` matches (its URL first).
 */
export async function startServerProcess(
  args: string[],
  dir: string,
  listening: RegExp,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ApiProcess> {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", ...args], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the API exited with ${code}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = listening.exec(line);
      if (m) resolve(m[1]!);
    });
  });
  return {
    url,
    child,
    dir,
    async stop(options = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((done) => child.once("exit", done));
        child.kill("SIGTERM");
        await exited;
      }
      if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
