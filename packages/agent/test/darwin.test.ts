import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { describe, test } from "node:test";
import { validateReport } from "@compliance/contract";
import { INVENTORY_COLLECTORS } from "@compliance/contract/collectors";
import { runCli } from "../src/cli.ts";
import type { ExecFn, HostApi } from "../src/collectors/types.ts";
import { parsePsArgs, parsePsTable } from "../src/darwin/ps.ts";
import { parseSwVers } from "../src/darwin/sw-vers.ts";
import { parseIoregUuid, parseSysctl, parseVmStat } from "../src/darwin/sysctl.ts";
import { parseWho } from "../src/darwin/who.ts";
import { collectReport } from "../src/report.ts";
import { FakeClock } from "./clock.ts";
import { tempDir } from "./harness.ts";
import { captureIo, fixture } from "./helpers.ts";

const darwin = (name: string) => fixture(`darwin/${name}`);

describe("macOS parsers, on recorded command output", () => {
  test("ps table: pid, parent, user, %cpu, rss in KiB, lstart in local time, comm's last part", () => {
    const rows = parsePsTable(darwin("ps-table.txt"));
    assert.equal(rows.length, 9);
    assert.deepEqual(rows[0], {
      pid: 0,
      ppid: 0,
      user: "root",
      cpuPercent: 12.1,
      rssBytes: 28672 * 1024,
      startedAt: new Date(2026, 10, 20, 8, 1, 10),
      name: "kernel_task",
    });
    const chrome = rows.find((r) => r.pid === 502)!;
    assert.equal(chrome.name, "Google Chrome", "a path with spaces");
    const renderer = rows.find((r) => r.pid === 644)!;
    assert.equal(renderer.name, "Google Chrome Helper (Renderer)");
    assert.equal(renderer.cpuPercent, 105.7, "more than one core");
    assert.deepEqual(
      renderer.startedAt,
      new Date(2026, 10, 2, 10, 0, 0),
      "a day padded with a space",
    );
    assert.equal(rows.find((r) => r.pid === 341)!.user, "_windowserver");
    assert.equal(rows.find((r) => r.pid === 955)!.name, "(zsh)");
    assert.deepEqual(parsePsTable("  PID  PPID USER\nnonsense\n"), []);
  });

  test("ps args: pid -> words", () => {
    const args = parsePsArgs(darwin("ps-args.txt"));
    assert.deepEqual(args.get(901), ["mysql", "-u", "root", "--password=hunter2", "shop"]);
    assert.deepEqual(args.get(0), ["kernel_task"]);
    assert.equal(args.size, 9);
  });

  test("who: user, terminal, remote host, start in local time of this year (or the last)", () => {
    const now = new Date(2026, 10, 22, 12, 0, 0);
    const sessions = parseWho(darwin("who.txt"), now);
    assert.equal(sessions.length, 4);
    assert.deepEqual(sessions[0], {
      user: "ana",
      terminal: "console",
      startedAt: new Date(2026, 10, 20, 8, 2, 0),
      remoteHost: undefined,
    });
    assert.equal(sessions[2]!.remoteHost, "10.0.0.9");
    const newYear = parseWho("ana ttys000  Dec 31 23:50 \n", new Date(2027, 0, 1, 0, 10));
    assert.deepEqual(newYear[0]!.startedAt, new Date(2026, 11, 31, 23, 50, 0));
  });

  test("sw_vers: both the current and the older product name", () => {
    assert.deepEqual(parseSwVers(darwin("sw_vers.txt")), {
      name: "macOS",
      version: "14.1.1",
      build: "23B81",
    });
    assert.equal(parseSwVers(darwin("sw_vers-catalina.txt")).name, "Mac OS X");
  });

  test("sysctl, vm_stat and ioreg", () => {
    const intel = parseSysctl(darwin("sysctl-intel.txt"));
    assert.equal(intel.get("machdep.cpu.brand_string"), "Intel(R) Core(TM) i7-8850H CPU @ 2.60GHz");
    assert.equal(intel.get("machdep.cpu.vendor"), "GenuineIntel");
    assert.equal(parseSysctl(darwin("sysctl-arm.txt")).get("machdep.cpu.vendor"), undefined);
    assert.deepEqual(parseVmStat(darwin("vm_stat.txt")), {
      pageSize: 16384,
      availableBytes: (3862 + 2127 + 252437) * 16384,
    });
    assert.throws(() => parseVmStat("nothing"), /no 'Pages free'/);
    assert.equal(parseIoregUuid(darwin("ioreg.txt")), "3F2504E0-4F89-11D3-9A0C-0305E82C3301");
  });
});

/**
 * A Mac described by recorded outputs: what `exec` answers per command, and a clock at the
 * moment they were recorded (`who` prints no year: it is read from the clock).
 */
function fakeMac(outputs: Record<string, string | Error>): {
  exec: ExecFn;
  host: HostApi;
  clock: FakeClock;
  calls: string[];
} {
  const calls: string[] = [];
  const exec: ExecFn = async (file, args) => {
    const key = [file, ...args].join(" ");
    calls.push(key);
    const answer = outputs[file] ?? outputs[key];
    if (answer === undefined || answer instanceof Error) {
      throw answer ?? new Error(`${file} not found (${key})`);
    }
    return answer;
  };
  const times = { user: 1000, nice: 0, sys: 500, idle: 8500, irq: 0 };
  const host: HostApi = {
    hostname: () => "mac-1",
    release: () => "23.1.0",
    type: () => "Darwin",
    version: () => "Darwin Kernel Version 23.1.0",
    arch: () => "arm64",
    endianness: () => "LE",
    cpus: () => Array.from({ length: 12 }, () => ({ model: "Apple M2 Pro", times })),
    networkInterfaces: () => ({
      lo0: [
        {
          address: "127.0.0.1",
          netmask: "255.0.0.0",
          family: "IPv4",
          mac: "00:00:00:00:00:00",
          internal: true,
          cidr: "127.0.0.1/8",
        },
      ],
      en0: [
        {
          address: "192.168.1.23",
          netmask: "255.255.255.0",
          family: "IPv4",
          mac: "aa:bb:cc:dd:ee:ff",
          internal: false,
          cidr: "192.168.1.23/24",
        },
      ],
    }),
  };
  const clock = new FakeClock({ wall: new Date(2026, 10, 22, 12, 0, 0) });
  return { exec, host, clock, calls };
}

const MAC_OUTPUTS = {
  "ps -axo pid=,ppid=,user=,%cpu=,rss=,lstart=,comm=": darwin("ps-table.txt"),
  "ps -axww -o pid=,args=": darwin("ps-args.txt"),
  who: darwin("who.txt"),
  sw_vers: darwin("sw_vers.txt"),
  "sysctl machdep.cpu.brand_string machdep.cpu.vendor hw.logicalcpu hw.memsize":
    darwin("sysctl-arm.txt"),
  "sysctl hw.memsize": "hw.memsize: 17179869184\n",
  vm_stat: darwin("vm_stat.txt"),
  ioreg: darwin("ioreg.txt"),
};

describe("a report of a Mac", () => {
  test("every collector works from the commands' output, and the report passes the contract", async () => {
    const mac = fakeMac(MAC_OUTPUTS);
    const report = await collectReport({
      platform: "darwin",
      exec: mac.exec,
      host: mac.host,
      cpuWindowMs: 0,
      clock: mac.clock,
    });
    const check = validateReport(report);
    assert.ok(check.ok, JSON.stringify(!check.ok && check.problems));
    // The inventory sections are Linux's only so far: unknown here, each saying so.
    assert.deepEqual(
      report.errors,
      INVENTORY_COLLECTORS.map((collector) => ({
        collector,
        message: "not supported on darwin: no data collected",
      })),
    );
    assert.equal(report.host.identifier, "3F2504E0-4F89-11D3-9A0C-0305E82C3301");
    assert.equal(report.host.primary_ip, "192.168.1.23");
    assert.deepEqual(report.os, {
      platform: "darwin",
      name: "macOS",
      version: "14.1.1",
      kernel: "23.1.0",
      arch: "arm64",
    });
    assert.deepEqual(report.cpu, {
      model: "Apple M2 Pro",
      vendor: "Apple",
      cores: 12,
      usage_percent: 15,
    });
    assert.deepEqual(report.memory, {
      total_bytes: 17179869184,
      available_bytes: (3862 + 2127 + 252437) * 16384,
    });
    assert.equal(report.processes.length, 9);
    const mysql = report.processes.find((p) => p.pid === 901)!;
    assert.equal(mysql.cmdline, "mysql -u root --password=<redacted> shop");
    assert.equal(mysql.user, "bob");
    assert.equal(mysql.started_at, new Date(2026, 10, 21, 10, 16, 30).toISOString());
    assert.deepEqual(
      report.sessions.map((s) => [s.user, s.terminal, s.remote_host]),
      [
        ["ana", "console", undefined],
        ["ana", "ttys000", undefined],
        ["bob", "ttys001", "10.0.0.9"],
      ],
      "the repeated line merged",
    );
    // Dated by the clock it was given, and `who`'s dates take their year from it.
    assert.equal(report.collected_at, new Date(2026, 10, 22, 12, 0, 0).toISOString());
    assert.equal(report.sessions[0]!.started_at, new Date(2026, 10, 20, 8, 2, 0).toISOString());
  });

  test("a command that cannot run: its collector says why in errors, the others still report", async () => {
    const mac = fakeMac({
      ...MAC_OUTPUTS,
      who: new Error("who not found (who)"),
      ioreg: new Error("ioreg not found"),
    });
    const stateDir = tempDir("agent-mac-");
    try {
      const report = await collectReport({
        platform: "darwin",
        exec: mac.exec,
        host: mac.host,
        cpuWindowMs: 0,
        stateDir,
        clock: mac.clock,
        skip: INVENTORY_COLLECTORS,
      });
      assert.deepEqual(report.errors, [{ collector: "sessions", message: "who not found (who)" }]);
      assert.deepEqual(report.sessions, []);
      assert.match(
        report.host.identifier,
        /^[0-9a-f-]{36}$/,
        "a generated id instead of the hardware UUID",
      );
      assert.equal(report.processes.length, 9);
      assert.ok(validateReport(report).ok);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test("command lines off: ps runs once", async () => {
    const mac = fakeMac(MAC_OUTPUTS);
    const report = await collectReport({
      platform: "darwin",
      exec: mac.exec,
      host: mac.host,
      cpuWindowMs: 0,
      cmdline: false,
      clock: mac.clock,
    });
    assert.ok(report.processes.every((p) => p.cmdline === undefined));
    assert.equal(mac.calls.filter((c) => c.startsWith("ps ")).length, 1);
  });

  test("the seed subcommands on a Mac", async () => {
    const mac = fakeMac(MAC_OUTPUTS);
    const run = async (...args: string[]) => {
      const out = captureIo({ HOME: "/tmp" }, mac.clock);
      const code = await runCli(args, {
        ...out.io,
        configDir: "/nonexistent",
        collect: { platform: "darwin", exec: mac.exec, host: mac.host },
      });
      return { code, stdout: out.stdout(), stderr: out.stderr() };
    };
    assert.equal((await run("so-name")).stdout, "macOS\n");
    assert.equal((await run("so-version")).stdout, "14.1.1 (kernel 23.1.0)\n");
    const users = await run("users", "--json");
    assert.equal(JSON.parse(users.stdout).length, 3);
    const broken = fakeMac({ ...MAC_OUTPUTS, who: new Error("who not found (who)") });
    const out = captureIo({ HOME: "/tmp" }, broken.clock);
    const code = await runCli(["users"], {
      ...out.io,
      configDir: "/nonexistent",
      collect: { platform: "darwin", exec: broken.exec, host: broken.host },
    });
    assert.equal(code, 6, "cannot collect: exit 6, not an empty list");
    assert.equal(out.stderr(), "compliance-agent: sessions: who not found (who)\n");
    assert.equal(out.stdout(), "");
  });
});
