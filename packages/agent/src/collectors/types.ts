import type { NetworkInterfaceInfo } from "node:os";
import type { Report } from "@compliance/contract";
import type { Clock } from "../clock.ts";

/** Where a collector finds the system's files. Tests point these at fixtures. */
export interface SystemPaths {
  /** procfs mount point. */
  readonly proc: string;
  /** Configuration directory holding os-release, passwd and machine-id. */
  readonly etc: string;
  /** Where os-release lives when /etc has none. */
  readonly usrLib: string;
  /** The utmp file of open sessions. */
  readonly utmp: string;
  /** Variable state: dpkg's database is dpkg/status under it. */
  readonly varLib: string;
  /** Alpine's package database is apk/db/installed under it. */
  readonly lib: string;
  /** Runtime state: systemd/system under it exists when systemd is the running init. */
  readonly run: string;
  /**
   * Where absolute paths of the host's file system are looked up: the sensitive files of
   * `settings.files` and sshd's Include globs. Reports name them as seen from "/".
   */
  readonly root: string;
}

export const DEFAULT_PATHS: SystemPaths = Object.freeze({
  proc: "/proc",
  etc: "/etc",
  usrLib: "/usr/lib",
  utmp: "/run/utmp",
  varLib: "/var/lib",
  lib: "/lib",
  run: "/run",
  root: "/",
});

/** The part of `node:os` collectors use, so a test can describe another machine. */
export interface HostApi {
  hostname(): string;
  release(): string;
  type(): string;
  version(): string;
  arch(): string;
  endianness(): "BE" | "LE";
  cpus(): {
    model: string;
    times: { user: number; nice: number; sys: number; idle: number; irq: number };
  }[];
  networkInterfaces(): NodeJS.Dict<NetworkInterfaceInfo[]>;
}

/** A process's CPU counter at one moment, to measure its use until the next sample. */
export interface TickSample {
  startTime: number;
  ticks: number;
  /** When it was read (the clock's monotonic ms): each process gets its own interval. */
  at: number;
}

/** A package database as parsed, and the file's identity then (device, inode, size, mtime). */
export interface ParsedDatabase {
  identity: string;
  packages: Report["packages"] & object;
}

/** Where a socket was found: the process and which of its descriptors. */
export interface SocketHolder {
  pid: number;
  fd: string;
}

/**
 * What one collection leaves for the next (daemon mode). CPU use is measured from the
 * previous collection to this one, which needs no window of its own; and what is costly to
 * find again is checked rather than searched for.
 */
export interface CpuSamples {
  /** Per process, by pid (Linux). */
  processes?: Map<number, TickSample>;
  /** The whole machine's busy and total time. */
  machine?: { busy: number; total: number };
  /**
   * Package databases by path (rpm's by its query, "rpm -qa"): parsed or queried again only
   * when their files changed.
   */
  packageDatabases?: Map<string, ParsedDatabase>;
  /**
   * Listening sockets by inode: where each was found (checked with one readlink), or null
   * when a complete search found no process this user may see holding it.
   */
  socketHolders?: Map<number, SocketHolder | null>;
}

/** Runs a command and resolves to its standard output (macOS collectors). */
export type ExecFn = (file: string, args: readonly string[]) => Promise<string>;

export interface CollectContext {
  readonly platform: NodeJS.Platform;
  readonly paths: SystemPaths;
  readonly host: HostApi;
  /** Where a generated host id is kept when the system has no machine id; optional. */
  readonly stateDir: string | undefined;
  /** False leaves every process's command line out of the report. */
  readonly cmdline: boolean;
  /** Length of the CPU measuring window; 0 means averages since start (process) or boot (machine). */
  readonly cpuWindowMs: number;
  /**
   * Settles once the CPU measuring window has passed. Collectors that measure a rate take a
   * first sample, await this, and take the second, so all of them share one window.
   */
  readonly window: Promise<void>;
  /**
   * The previous collection's CPU samples (daemon mode): rates are measured since then and
   * the window was not waited. Undefined for a one-off collection.
   */
  readonly previous: CpuSamples | undefined;
  /** Where this collection leaves its samples for the next one (daemon mode), else undefined. */
  readonly record: CpuSamples | undefined;
  /** Files whose owner, group and mode `settings.files` reports (absolute paths). */
  readonly sensitiveFiles: readonly string[];
  /** Runs system commands (ps, who, sw_vers, sysctl on macOS; rpm, systemctl, sshd). */
  readonly exec: ExecFn;
  /** Elapsed time between CPU samples (monotonic), and the date `who` leaves out (wall). */
  readonly clock: Clock;
}

/** The slice of the report one collector fills. The `host` object is shared by several. */
export interface ReportPatch {
  host?: Partial<Report["host"]>;
  os?: Report["os"];
  cpu?: Report["cpu"];
  memory?: Report["memory"];
  processes?: Report["processes"];
  sessions?: Report["sessions"];
  packages?: Report["packages"];
  listening?: Report["listening"];
  accounts?: Report["accounts"];
  services?: Report["services"];
  /** The `settings` object is shared by its collectors (sysctl, sshd, files), like `host`. */
  settings?: Report["settings"];
  /** Problems that still let the collector send (part of) its data. */
  problems?: string[];
}

export type CollectFn = (ctx: CollectContext) => ReportPatch | Promise<ReportPatch>;

export interface Collector {
  readonly description: string;
  /**
   * How to collect, per platform; `any` serves the platforms not named. A platform with no
   * entry gets an `errors` entry in the report instead of made-up data.
   */
  readonly platforms: Partial<Record<NodeJS.Platform | "any", CollectFn>>;
  /** A report cannot be sent without this collector's data: its failure fails the collection. */
  readonly required?: boolean;
}

/** A collector failure whose message is meant for the report as is. */
export class CollectorFailure extends Error {
  override readonly name = "CollectorFailure";
}
