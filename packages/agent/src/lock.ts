import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { StateError } from "./errors.ts";
import { errnoOf } from "./linux/files.ts";

export const LOCK_FILE = "agent.lock";

/** Start time of a process (clock ticks after boot, /proc/<pid>/stat field 22), where there is a /proc. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) === "EPERM";
  }
}

/**
 * One agent per state directory: two would send the same spooled reports and race on the
 * node key. The lock file holds the owner's pid and start time; a lock whose process is
 * gone (killed, or a reboot reused its pid) is taken over.
 */
export class StateLock {
  private constructor(readonly path: string) {}

  static acquire(stateDir: string): StateLock {
    const path = join(stateDir, LOCK_FILE);
    const content = `${process.pid} ${startTimeOf(process.pid) ?? "-"}\n`;
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd: number;
      try {
        fd = openSync(path, "wx", 0o600);
      } catch (error) {
        if (errnoOf(error) !== "EEXIST") {
          throw new StateError(`cannot create ${path} (${errnoOf(error) ?? error})`, {
            cause: error,
          });
        }
        const [pidText, started] = (readText(path) ?? "").trim().split(" ");
        const pid = Number(pidText);
        const held =
          Number.isInteger(pid) &&
          pid > 0 &&
          isAlive(pid) &&
          (started === undefined || started === "-" || startTimeOf(pid) === started);
        if (held) {
          throw new StateError(
            `another compliance-agent (pid ${pid}) is using ${stateDir}; stop it or choose another state directory`,
          );
        }
        rmSync(path, { force: true });
        continue;
      }
      try {
        writeSync(fd, content);
      } finally {
        closeSync(fd);
      }
      return new StateLock(path);
    }
    throw new StateError(`cannot take the lock ${path}: another agent keeps taking it`);
  }

  release(): void {
    rmSync(this.path, { force: true });
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
