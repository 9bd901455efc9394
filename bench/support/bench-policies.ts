import type { Policy } from "@compliance/contract";

/**
 * Policies of the kinds people write beyond the starter pack: forbidden or required
 * processes, vulnerable package versions, services that must run or must not. Each one
 * is a real rule an operator would keep; `generatedPolicies(n)` cycles through them with
 * different names and versions so that n distinct policies are enabled.
 */

const header = (id: string, name: string, tags: string[]) => ({
  id,
  name,
  severity: "medium" as const,
  description: `${name}.`,
  resolution: "See the evidence.",
  tags,
  platforms: ["linux"],
});

type Maker = (i: number) => Policy;

const MAKERS: Maker[] = [
  (i) => ({
    ...header(`bench-no-shell-from-web-${i}`, `No shell run by the web server (${i})`, [
      "processes",
    ]),
    check: { none: [{ process: { user: "www-data", name: ["sh", "bash", "dash", `nc${i}`] } }] },
  }),
  (i) => ({
    ...header(`bench-vulnerable-openssl-${i}`, `OpenSSL is patched (${i})`, ["packages"]),
    check: {
      none: [{ package: { name: ["openssl", "libssl3"], version: `lt:3.0.${11 + (i % 4)}` } }],
    },
  }),
  (i) => ({
    ...header(`bench-ssh-running-${i}`, `The SSH service runs (${i})`, ["services"]),
    check: { all: [{ service: { name: "ssh.service", active: true } }] },
  }),
  (i) => ({
    ...header(`bench-no-debugger-${i}`, `No debugger attached in production (${i})`, ["processes"]),
    check: { none: [{ process: { name: ["gdb", "strace", "ltrace", `perf${i}`] } }] },
  }),
  (i) => ({
    ...header(`bench-sudo-patched-${i}`, `sudo is not vulnerable (${i})`, ["packages"]),
    check: { none: [{ package: { name: "sudo", version: `lt:1.9.${13 + (i % 3)}p3-1+deb12u1` } }] },
  }),
  (i) => ({
    ...header(`bench-no-ftp-service-${i}`, `No FTP service (${i})`, ["services"]),
    check: {
      none: [{ service: { name: ["vsftpd.service", "proftpd.service", `ftp${i}.service`] } }],
    },
  }),
  (i) => ({
    ...header(`bench-no-reverse-shell-${i}`, `No reverse shell command line (${i})`, ["processes"]),
    check: {
      none: [{ process: { cmdline: ["*/dev/tcp/*", "*nc -e *", `/(bash|sh) -i.*${i}/`] } }],
    },
  }),
  (i) => ({
    ...header(`bench-glibc-patched-${i}`, `glibc has the latest stable update (${i})`, [
      "packages",
    ]),
    check: { none: [{ package: { name: "libc6", version: `lt:2.36-9+deb12u${4 + (i % 4)}` } }] },
  }),
  (i) => ({
    ...header(`bench-time-sync-${i}`, `Time is synchronised (${i})`, ["services"]),
    check: {
      any: [
        { service: { name: ["chrony.service", "ntpsec.service"], active: true } },
        { service: { name: "systemd-timesyncd.service", active: true } },
      ],
    },
  }),
];

/** `n` distinct policies over processes, packages and services. */
export function generatedPolicies(n: number): Policy[] {
  return Array.from({ length: n }, (_, k) => MAKERS[k % MAKERS.length]!(k));
}

/** A new policy over processes, to evaluate over the stored history. */
export const PROCESS_POLICY: Policy = {
  ...header("bench-no-miner-or-tmp", "No miner and nothing run from /tmp", ["processes"]),
  check: {
    none: [
      { process: { name: ["xmrig*", "minerd", "kinsing"] } },
      { process: { cmdline: ["/tmp/*", "/dev/shm/*", "*stratum+tcp://*"] } },
    ],
  },
};

/** A new policy over packages, to evaluate over the stored history. */
export const PACKAGE_POLICY: Policy = {
  ...header("bench-openssl-3-0-13", "OpenSSL is 3.0.13 or later", ["packages"]),
  check: { none: [{ package: { name: ["openssl", "libssl3"], version: "lt:3.0.13" } }] },
};
