/**
 * A throwaway root file system for installing a package with `dpkg --root` or
 * `rpm --root`. Both run the maintainer scripts chrooted into it, so it holds what those
 * scripts call: this machine's shell, coreutils and shadow's useradd, each with the shared
 * libraries `ldd` names, plus a passwd/group/shadow with only root. Nothing of the
 * machine itself is touched.
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

/** What the packages' maintainer scripts run. */
const PROGRAMS = [
  "sh",
  "getent",
  "groupadd",
  "useradd",
  "nologin",
  "chown",
  "chmod",
  "install",
  "grep",
  "rm",
  "rmdir",
];

function which(program: string): string {
  const found = spawnSync("sh", ["-c", `command -v ${program}`], {
    encoding: "utf8",
    env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
  });
  const path = found.stdout.trim();
  if (found.status !== 0 || !path.startsWith("/")) throw new Error(`${program} is not installed`);
  return path;
}

/** Copies `file` (following links) to the same path under `root`, and its libraries. */
export function copyWithLibraries(root: string, file: string): void {
  const place = (path: string) => {
    // The directory as the machine resolves it (/lib → usr/lib), the name as asked for.
    const target = join(root, realpathSync(dirname(path)), basename(path));
    if (existsSync(target)) return;
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(realpathSync(path), target);
    chmodSync(target, lstatSync(realpathSync(path)).mode & 0o7777);
  };
  place(file);
  const ldd = spawnSync("ldd", [file], { encoding: "utf8" });
  for (const match of ldd.stdout.matchAll(/(\/\S+) \(0x/g)) place(match[1]!);
}

/** A root with the programs the maintainer scripts need, and only root as a user. */
export function makeRoot(root: string): string {
  mkdirSync(root, { recursive: true, mode: 0o755 });
  chmodSync(root, 0o755);
  // The machine's merged /usr (bin → usr/bin, …), mirrored so library paths resolve alike.
  for (const top of ["bin", "sbin", "lib", "lib64"]) {
    const host = `/${top}`;
    if (existsSync(host) && lstatSync(host).isSymbolicLink()) {
      mkdirSync(join(root, dirname(host), readlinkSync(host)), { recursive: true });
      symlinkSync(readlinkSync(host), join(root, top));
    }
  }
  for (const dir of ["etc", "tmp", "dev", "usr/bin", "usr/sbin"]) {
    mkdirSync(join(root, dir), { recursive: true });
  }
  chmodSync(join(root, "tmp"), 0o1777);
  execFileSync("mknod", ["-m", "0666", join(root, "dev/null"), "c", "1", "3"]);
  for (const program of PROGRAMS) copyWithLibraries(root, which(program));
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  writeFileSync(join(root, "etc/group"), "root:x:0:\n");
  writeFileSync(join(root, "etc/shadow"), "root:*:20000:0:99999:7:::\n", { mode: 0o640 });
  writeFileSync(join(root, "etc/gshadow"), "root:*::\n", { mode: 0o640 });
  if (existsSync("/etc/login.defs")) copyFileSync("/etc/login.defs", join(root, "etc/login.defs"));
  return root;
}

/** A user of the root's /etc/passwd: its uid and primary gid, or undefined. */
export function rootUser(root: string, name: string): { uid: number; gid: number } | undefined {
  for (const line of readFileSync(join(root, "etc/passwd"), "utf8").split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** A group's gid in the root's /etc/group, or undefined. */
export function rootGroup(root: string, name: string): number | undefined {
  for (const line of readFileSync(join(root, "etc/group"), "utf8").split("\n")) {
    const [group, , gid] = line.split(":");
    if (group === name) return Number(gid);
  }
  return undefined;
}
