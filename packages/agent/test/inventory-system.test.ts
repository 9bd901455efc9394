import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { describe, test } from "node:test";
import { type Report, validateReport } from "@compliance/contract";
import { INVENTORY_COLLECTORS } from "@compliance/contract/collectors";
import { systemClock } from "../src/clock.ts";
import { DEFAULT_SENSITIVE_FILES } from "../src/collectors/files.ts";
import { COLLECTORS } from "../src/collectors/index.ts";
import { collectReport } from "../src/report.ts";

const run = (file: string, args: string[]) =>
  execFileSync(file, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });

/** The inventory sections of this machine, and the identifier a report needs. */
const collectInventory = () =>
  collectReport({
    clock: systemClock(),
    cpuWindowMs: 0,
    collectors: {
      identifier: COLLECTORS.identifier!,
      ...Object.fromEntries(INVENTORY_COLLECTORS.map((name) => [name, COLLECTORS[name]!])),
    },
  });

const sorted = (items: Iterable<string>) => [...items].sort();

/** `ss -H -tuln` per family, as "protocol address port": the family tells tcp from tcp6. */
function ssListening(): Set<string> {
  const sockets = new Set<string>();
  for (const [flag, suffix, wildcard] of [
    ["-4", "", "0.0.0.0"],
    ["-6", "6", "::"],
  ] as const) {
    for (const line of run("ss", ["-H", "-tuln", flag]).split("\n")) {
      const [netid, , , , local] = line.trim().split(/\s+/);
      if (!netid || !local) continue;
      const colon = local.lastIndexOf(":");
      let address = local.slice(0, colon).replace(/^\[|\]$/g, "");
      // A socket bound to one device prints as addr%dev; /proc/net does not say.
      address = address.replace(/%.*$/, "");
      if (address === "*") address = wildcard;
      sockets.add(`${netid}${suffix} ${address} ${local.slice(colon + 1)}`);
    }
  }
  return sockets;
}

const agentListening = (report: Report) =>
  new Set((report.listening ?? []).map((l) => `${l.protocol} ${l.address} ${l.port}`));

const intersect = (a: Set<string>, b: Set<string>) => new Set([...a].filter((x) => b.has(x)));

describe("inventory of this machine", async () => {
  const report = await collectInventory();

  test("the report passes the contract", () => {
    const check = validateReport(report);
    assert.ok(check.ok, JSON.stringify(!check.ok && check.problems));
  });

  test("packages are dpkg-query's installed ones: names, versions and architectures", (t) => {
    if (!existsSync("/var/lib/dpkg/status")) return t.skip("not a dpkg system");
    const expected = run("dpkg-query", [
      "-W",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's format, not a template
      "-f=${Package} ${Version} ${Architecture} ${db:Status-Status}\\n",
    ])
      .split("\n")
      .filter((line) => line.endsWith(" installed"))
      .map((line) => line.slice(0, -" installed".length));
    const deb = (report.packages ?? []).filter((p) => p.source === "deb");
    assert.deepEqual(sorted(deb.map((p) => `${p.name} ${p.version} ${p.arch}`)), sorted(expected));
    assert.ok(expected.length > 100);
  });

  test("listening sockets are ss -tuln's (what stayed across two reads of each)", async () => {
    const agent1 = agentListening(await collectInventory());
    const ss1 = ssListening();
    const agent2 = agentListening(await collectInventory());
    const ss2 = ssListening();
    // Other tests open and close sockets meanwhile: compare what was there both times
    // on one side with what was there at least once on the other.
    const stableAgent = intersect(agent1, agent2);
    const stableSs = intersect(ss1, ss2);
    const missingFromSs = [...stableAgent].filter((s) => !ss1.has(s) && !ss2.has(s));
    const missingFromAgent = [...stableSs].filter((s) => !agent1.has(s) && !agent2.has(s));
    assert.deepEqual(missingFromSs, [], "the agent saw sockets ss never listed");
    assert.deepEqual(missingFromAgent, [], "ss listed sockets the agent never saw");
    assert.ok(stableSs.size > 0);
  });

  test("a socket of this process: its pid and name, TCP and UDP, IPv4 and IPv6", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const udp = createSocket("udp6");
    await new Promise<void>((resolve) => udp.bind(0, "::1", resolve));
    try {
      const tcpPort = (server.address() as { port: number }).port;
      const udpPort = udp.address().port;
      const { listening = [] } = await collectInventory();
      const name = readFileSync("/proc/self/comm", "utf8").trim();
      const own = { pid: process.pid, process: name };
      assert.deepEqual(
        listening.find((l) => l.port === tcpPort && l.protocol === "tcp"),
        { protocol: "tcp", address: "127.0.0.1", port: tcpPort, ...own },
      );
      assert.deepEqual(
        listening.find((l) => l.port === udpPort && l.protocol === "udp6"),
        { protocol: "udp6", address: "::1", port: udpPort, ...own },
      );
    } finally {
      server.close();
      udp.close();
    }
  });

  test("account names are getent passwd's, with their ids, home and shell", () => {
    const expected = run("getent", ["passwd"])
      .trim()
      .split("\n")
      .map((line) => line.split(":"));
    const byName = new Map((report.accounts ?? []).map((a) => [a.name, a]));
    assert.deepEqual(sorted(byName.keys()), sorted(new Set(expected.map((f) => f[0]!))));
    for (const [name, , uid, gid, , home, shell] of expected) {
      const account = byName.get(name!)!;
      assert.deepEqual(
        [account.uid, account.gid, account.home, account.shell],
        [Number(uid), Number(gid), home, shell],
      );
    }
  });

  test("with /etc/shadow readable, every account has a state, and no hash is in the report", (t) => {
    let shadow: string;
    try {
      shadow = readFileSync("/etc/shadow", "utf8");
    } catch {
      return t.skip("/etc/shadow is not readable by this user");
    }
    assert.ok((report.accounts ?? []).every((a) => a.password !== undefined));
    const text = JSON.stringify(report);
    for (const line of shadow.split("\n")) {
      const field = line.split(":")[1] ?? "";
      // "!" and "*" alone are markers, not hashes; anything longer must stay on the host.
      if (field.length > 2) assert.ok(!text.includes(field), "a password hash reached the report");
    }
  });

  test("services: systemd's when it runs, else unknown with the reason", () => {
    const error = report.errors?.find((e) => e.collector === "services");
    if (existsSync("/run/systemd/system")) {
      assert.equal(error, undefined);
      assert.ok((report.services ?? []).length > 0);
    } else {
      assert.equal(report.services, undefined, "never an empty list");
      assert.match(error?.message ?? "", /systemd is not running/);
    }
  });

  test("sshd settings, or an error entry saying why there are none", () => {
    const error = report.errors?.find((e) => e.collector === "sshd");
    const installed = existsSync("/etc/ssh/sshd_config") || existsSync("/usr/sbin/sshd");
    if (installed) assert.ok(report.settings?.sshd !== undefined || error !== undefined);
    else {
      assert.equal(report.settings?.sshd, undefined);
      assert.match(error?.message ?? "", /sshd settings unknown/);
    }
  });

  test("kernel parameters are /proc/sys's; file modes are stat's", () => {
    const sysctl = report.settings?.sysctl ?? {};
    assert.equal(
      sysctl["net.ipv4.ip_forward"],
      readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim(),
    );
    assert.equal(
      sysctl["kernel.randomize_va_space"],
      readFileSync("/proc/sys/kernel/randomize_va_space", "utf8").trim(),
    );
    const expected = DEFAULT_SENSITIVE_FILES.filter((path) => existsSync(path)).map((path) => {
      const [mode, uid, gid] = run("stat", ["-L", "-c", "%a %u %g", path]).trim().split(" ");
      return `${path} ${mode!.padStart(4, "0")} ${uid} ${gid}`;
    });
    const files = (report.settings?.files ?? []).map(
      (f) => `${f.path} ${f.mode} ${f.uid} ${f.gid}`,
    );
    assert.deepEqual(sorted(files), sorted(expected));
    assert.ok(statSync("/etc/passwd") && files.some((f) => f.startsWith("/etc/passwd ")));
  });
});
