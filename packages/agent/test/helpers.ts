import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Clock, systemClock } from "../src/clock.ts";

export const FIXTURES = join(import.meta.dirname, "fixtures");

export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), "utf8");
}

/**
 * Collects what a CLI run writes, for runCli's io. The run is on the system's clock unless
 * the test gives its own (a test that fixes any time fixes them all).
 */
export function captureIo(env: Record<string, string | undefined> = {}, clock?: Clock) {
  let stdout = "";
  let stderr = "";
  return {
    io: {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env,
      clock: clock ?? systemClock(),
    },
    stdout: () => stdout,
    stderr: () => stderr,
  };
}
