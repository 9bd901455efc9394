import { randomUUID } from "node:crypto";
import {
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { isAbsolute, join } from "node:path";
import { StateError } from "./errors.ts";
import { errnoOf } from "./linux/files.ts";

export const NODE_KEY_FILE = "node-key";
export const HOST_ID_FILE = "host-id";
/** The last report the API acknowledged, which the next one is sent as a delta of. */
export const LAST_REPORT_FILE = "last-report.json";

/**
 * Where the agent keeps its state when not told otherwise: the directory systemd made for
 * the service (StateDirectory= sets $STATE_DIRECTORY), a system directory for root, the
 * XDG state directory for anyone else; undefined without a home.
 */
export function defaultStateDir(
  env: Readonly<Record<string, string | undefined>>,
  uid: number | undefined,
): string | undefined {
  const systemd = env.STATE_DIRECTORY?.split(":")[0];
  if (systemd && isAbsolute(systemd)) return systemd;
  if (uid === 0) return "/var/lib/compliance-agent";
  const xdg = env.XDG_STATE_HOME;
  // The XDG spec says a relative value is invalid and must be ignored.
  if (xdg && isAbsolute(xdg)) return join(xdg, "compliance-agent");
  if (env.HOME && isAbsolute(env.HOME))
    return join(env.HOME, ".local", "state", "compliance-agent");
  return undefined;
}

function stateError(action: string, path: string, error: unknown): StateError {
  const reason = errnoOf(error) ?? (error instanceof Error ? error.message : String(error));
  return new StateError(
    `cannot ${action} ${path} (${reason}); choose another with COMPLIANCE_STATE_DIR or --state-dir`,
    { cause: error },
  );
}

/**
 * The agent's state directory: its node key (a credential, so mode 0600 in a 0700
 * directory) and, on hosts without a machine id, the host id it generated once.
 */
export class StateDir {
  constructor(readonly path: string) {}

  get nodeKeyPath(): string {
    return join(this.path, NODE_KEY_FILE);
  }

  get hostIdPath(): string {
    return join(this.path, HOST_ID_FILE);
  }

  get lastReportPath(): string {
    return join(this.path, LAST_REPORT_FILE);
  }

  /** Creates the directory (and its parents) with mode 0700 when it does not exist. */
  ensure(): void {
    try {
      mkdirSync(this.path, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw stateError("create", this.path, error);
    }
  }

  /** The saved node key, or undefined when the agent has not enrolled yet. */
  readNodeKey(): string | undefined {
    return this.readValue(this.nodeKeyPath);
  }

  saveNodeKey(nodeKey: string): void {
    this.ensure();
    this.writeSecret(this.nodeKeyPath, nodeKey);
  }

  deleteNodeKey(): void {
    try {
      rmSync(this.nodeKeyPath, { force: true });
    } catch (error) {
      throw stateError("delete", this.nodeKeyPath, error);
    }
  }

  /**
   * The last report the API acknowledged, as sent (JSON text); undefined when there is
   * none. It holds command lines, so it is kept like a secret (0600).
   */
  readLastReport(): string | undefined {
    return this.readValue(this.lastReportPath);
  }

  saveLastReport(text: string): void {
    this.ensure();
    this.writeSecret(this.lastReportPath, text);
  }

  deleteLastReport(): void {
    try {
      rmSync(this.lastReportPath, { force: true });
    } catch (error) {
      throw stateError("delete", this.lastReportPath, error);
    }
  }

  /** The host id generated for this host, created on first use and then kept forever. */
  hostId(generate: () => string = randomUUID): string {
    const saved = this.readValue(this.hostIdPath);
    if (saved !== undefined) return saved;
    this.ensure();
    const id = generate();
    this.writeSecret(this.hostIdPath, id);
    return id;
  }

  private readValue(path: string): string | undefined {
    try {
      const value = readFileSync(path, "utf8").trim();
      return value === "" ? undefined : value;
    } catch (error) {
      if (errnoOf(error) === "ENOENT") return undefined;
      throw stateError("read", path, error);
    }
  }

  /**
   * Writes through a temporary file and a rename, so a crash never leaves a half-written
   * key; the file is created 0600 and chmod'ed again in case the umask interfered.
   */
  private writeSecret(path: string, value: string): void {
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      const fd = openSync(temporary, "w", 0o600);
      try {
        writeSync(fd, `${value}\n`);
      } finally {
        closeSync(fd);
      }
      chmodSync(temporary, 0o600);
      renameSync(temporary, path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw stateError("write", path, error);
    }
  }
}
