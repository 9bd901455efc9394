// The API as operators run it (`compliance-api start`, from source) in a child process of
// its own, on a fresh SQLite file, for benchmarks that must not measure the client's work
// with the server's.
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
  stop(): Promise<void>;
}

/** Starts the API with the given settings over quiet defaults; resolves once it listens. */
export async function startApiProcess(env: Record<string, string> = {}): Promise<ApiProcess> {
  const root = new URL("../..", import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), "compliance-bench-api-"));
  const child = spawn(
    process.execPath,
    ["--conditions=source", "--import", "tsx", join(root, "packages/api/src/main.ts"), "start"],
    {
      env: {
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
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the API exited with ${code}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = /Compliance API on (http:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
  });
  return {
    url,
    child,
    dir,
    async stop() {
      const exited = new Promise((done) => child.once("exit", done));
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
