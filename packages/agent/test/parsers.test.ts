import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseCpuInfo } from "../src/collectors/cpu.ts";
import { parseMachineId } from "../src/collectors/identifier.ts";
import { memoryFacts, parseMeminfo } from "../src/collectors/memory.ts";
import { networkFacts, parseDefaultRouteInterface } from "../src/collectors/network.ts";
import { osNameAndVersion, parseOsRelease } from "../src/collectors/os.ts";
import {
  cpuPercentOverWindow,
  cpuPercentSinceStart,
  parseCmdline,
  parseEffectiveUid,
  parsePidStat,
  startedAt,
} from "../src/collectors/processes.ts";
import { DEFAULT_KERNEL_UNITS, parseAuxv } from "../src/linux/auxv.ts";
import { parsePasswd } from "../src/linux/passwd.ts";
import { cpuUsagePercent, parseMachineStat, parseUptime } from "../src/linux/proc-stat.ts";
import { fixture } from "./helpers.ts";

describe("/proc/<pid>/stat", () => {
  const lines = fixture("stat-lines.txt").trimEnd().split("\n");

  test("an ordinary process", () => {
    assert.deepEqual(parsePidStat(lines[0]!), {
      pid: 1,
      comm: "process_api",
      ppid: 0,
      utime: 136,
      stime: 483,
      startTime: 23,
      rssPages: 2593,
      kernelThread: false,
    });
  });

  test("a kernel thread is flagged by PF_KTHREAD", () => {
    const stat = parsePidStat(lines[1]!);
    assert.equal(stat?.comm, "kthreadd");
    assert.equal(stat?.kernelThread, true);
    assert.equal(stat?.rssPages, 0);
  });

  test("a name with a space, a colon and the fields after it", () => {
    const stat = parsePidStat(lines[2]!);
    assert.equal(stat?.comm, "tmux: server");
    assert.equal(stat?.ppid, 1);
    assert.equal(stat?.utime, 250);
    assert.equal(stat?.stime, 50);
    assert.equal(stat?.startTime, 180_000);
    assert.equal(stat?.rssPages, 1024);
  });

  test("a name in double parentheses", () => {
    const stat = parsePidStat(lines[3]!);
    assert.equal(stat?.comm, "(sd-pam)");
    assert.equal(stat?.ppid, 976);
  });

  test("a name holding ') (' ends at the last parenthesis", () => {
    const stat = parsePidStat(lines[4]!);
    assert.equal(stat?.pid, 31337);
    assert.equal(stat?.comm, "a) R (b");
    assert.equal(stat?.ppid, 4242);
    assert.equal(stat?.utime, 7);
    assert.equal(stat?.startTime, 200_000);
  });

  test("garbage is refused, not half-parsed", () => {
    assert.equal(parsePidStat(""), undefined);
    assert.equal(parsePidStat("12 no parentheses S 1"), undefined);
    assert.equal(parsePidStat("12 (short) S 1 2"), undefined);
  });
});

describe("/proc/<pid>/status and cmdline", () => {
  test("the effective uid is the second Uid field", () => {
    assert.equal(parseEffectiveUid(fixture("status.txt")), 1001);
    assert.equal(parseEffectiveUid("Name:\tx\nState:\tS\n"), undefined);
  });

  test("cmdline: NUL-separated arguments, trailing NUL dropped, empty for kernel threads", () => {
    assert.deepEqual(parseCmdline("/usr/bin/tmux\0new\0-s\0work session\0"), [
      "/usr/bin/tmux",
      "new",
      "-s",
      "work session",
    ]);
    assert.deepEqual(parseCmdline("nginx: worker process"), ["nginx: worker process"]);
    assert.deepEqual(parseCmdline(""), []);
    assert.deepEqual(parseCmdline("a\0\0b\0"), ["a", "", "b"]);
  });
});

describe("process CPU and start time", () => {
  test("CPU % over the window: delta ticks / CLK_TCK / window", () => {
    // 50 ticks at 100 Hz = 0.5 s of CPU in a 250 ms window: two cores busy.
    assert.equal(cpuPercentOverWindow(1000, 1050, 100, 250), 200);
    assert.equal(cpuPercentOverWindow(1000, 1000, 100, 250), 0);
    // Born inside the window: measured from zero.
    assert.equal(cpuPercentOverWindow(undefined, 5, 100, 250), 20);
    assert.equal(cpuPercentOverWindow(0, 10, 100, 0), 0);
  });

  test("CPU % since start, as ps shows it", () => {
    // Started at 10 s after boot, uptime 110 s, 50 s of CPU -> 50 %.
    assert.equal(cpuPercentSinceStart(5000, 1000, 110, 100), 50);
    assert.equal(cpuPercentSinceStart(10, 1000, 5, 100), 0);
  });

  test("start time from boot time and start ticks", () => {
    assert.equal(startedAt(1_795_325_702, 180_000, 100), "2026-11-22T06:05:02.000Z");
    assert.equal(startedAt(1_795_325_702, 23, 100), "2026-11-22T05:35:02.230Z");
  });
});

describe("/proc/stat and /proc/uptime", () => {
  test("boot time and the aggregate cpu line", () => {
    const stat = parseMachineStat(fixture("proc-stat.txt"));
    assert.equal(stat.bootTime, 1_795_325_702);
    // user nice system idle iowait irq softirq steal = 26153 0 7766 163720 1168 0 391 28
    assert.deepEqual(stat.cpu, { busy: 26153 + 7766 + 391 + 28, total: 199226 });
  });

  test("machine CPU % between two samples, and since boot without a first one", () => {
    assert.equal(cpuUsagePercent({ busy: 100, total: 1000 }, { busy: 150, total: 1200 }), 25);
    assert.equal(cpuUsagePercent(undefined, { busy: 1, total: 4 }), 25);
    assert.equal(cpuUsagePercent({ busy: 5, total: 10 }, { busy: 5, total: 10 }), 0);
  });

  test("uptime", () => {
    assert.equal(parseUptime("1234.56 2345.67\n"), 1234.56);
    assert.equal(parseUptime("nonsense"), undefined);
  });
});

describe("/etc/passwd", () => {
  test("uid to name, first entry wins, junk lines skipped", () => {
    const users = parsePasswd(fixture("passwd.txt"));
    assert.equal(users.get(0), "root");
    assert.equal(users.get(1000), "malasia");
    assert.equal(users.get(1001), "svc-app");
    assert.equal(users.get(65534), "nobody");
    assert.equal(users.size, 5);
  });
});

describe("os-release", () => {
  const cases: [file: string, name: string, version: string][] = [
    ["debian", "Debian GNU/Linux", "12 (bookworm)"],
    ["ubuntu", "Ubuntu", "24.04.1 LTS (Noble Numbat)"],
    ["alpine", "Alpine Linux", "3.20.3"],
    ["pretty-only", "Acme OS", ""],
    ["escaped", 'Quote "Linux"', "1.0 $special\\edition"],
  ];
  for (const [file, name, version] of cases) {
    test(file, () => {
      assert.deepEqual(osNameAndVersion(parseOsRelease(fixture(`os-release/${file}`))), {
        name,
        version,
      });
    });
  }

  test("keys and unquoted values", () => {
    const fields = parseOsRelease(fixture("os-release/debian"));
    assert.equal(fields.ID, "debian");
    assert.equal(fields.VERSION_CODENAME, "bookworm");
  });
});

describe("/proc/cpuinfo", () => {
  test("x86: model, vendor, logical processors", () => {
    assert.deepEqual(parseCpuInfo(fixture("cpuinfo-intel.txt")), {
      model: "Intel(R) Core(TM) i7-7500U CPU @ 2.70GHz",
      vendor: "GenuineIntel",
      cores: 4,
    });
  });

  test("ARM: no model name or vendor, processors still counted", () => {
    assert.deepEqual(parseCpuInfo(fixture("cpuinfo-arm.txt")), { model: "", vendor: "", cores: 2 });
  });
});

describe("/proc/meminfo", () => {
  test("kB are KiB", () => {
    assert.deepEqual(memoryFacts(parseMeminfo(fixture("meminfo.txt"))), {
      total_bytes: 24_684_084 * 1024,
      available_bytes: 23_808_684 * 1024,
    });
    assert.equal(parseMeminfo(fixture("meminfo.txt")).get("HugePages_Total"), 0);
  });

  test("kernels without MemAvailable: free + buffers + cache", () => {
    assert.deepEqual(memoryFacts(parseMeminfo(fixture("meminfo-old.txt"))), {
      total_bytes: 2_048_000 * 1024,
      available_bytes: (512_000 + 102_400 + 409_600) * 1024,
    });
  });

  test("no MemTotal is an error", () => {
    assert.throws(() => memoryFacts(parseMeminfo("MemFree: 1 kB\n")), /MemTotal/);
  });
});

describe("/proc/net/route and addresses", () => {
  test("the default route's interface", () => {
    assert.equal(parseDefaultRouteInterface(fixture("route.txt")), "eth0");
    assert.equal(parseDefaultRouteInterface(fixture("route-metrics.txt")), "eth0");
    assert.equal(parseDefaultRouteInterface(fixture("route-nodefault.txt")), undefined);
  });

  const iface = (address: string, family: "IPv4" | "IPv6", internal = false) => ({
    address,
    family,
    internal,
    netmask: "",
    mac: "00:00:00:00:00:00",
    cidr: null,
    ...(family === "IPv6" ? { scopeid: 0 } : {}),
  });
  const interfaces = {
    lo: [iface("127.0.0.1", "IPv4", true), iface("::1", "IPv6", true)],
    docker0: [iface("172.17.0.1", "IPv4")],
    eth0: [iface("10.0.2.15", "IPv4"), iface("fe80::1", "IPv6")],
  } as unknown as Parameters<typeof networkFacts>[0];

  test("primary IP is the default-route interface's IPv4, loopback skipped", () => {
    assert.deepEqual(networkFacts(interfaces, "eth0"), {
      primary_ip: "10.0.2.15",
      ip_addresses: ["172.17.0.1", "10.0.2.15", "fe80::1"],
    });
  });

  test("without a default route: the first non-loopback IPv4", () => {
    assert.equal(networkFacts(interfaces, undefined).primary_ip, "172.17.0.1");
    assert.equal(networkFacts(interfaces, "wlan9").primary_ip, "172.17.0.1");
  });

  test("only loopback: no primary IP and no addresses", () => {
    const lo = { lo: interfaces.lo } as Parameters<typeof networkFacts>[0];
    assert.deepEqual(networkFacts(lo, undefined), { ip_addresses: [] });
  });
});

describe("auxv and machine-id", () => {
  test("page size and clock ticks from 64-bit little-endian pairs", () => {
    const words = [33n, 0x7ffcn, 6n, 16384n, 17n, 250n, 0n, 0n];
    const bytes = new Uint8Array(words.length * 8);
    const view = new DataView(bytes.buffer);
    for (const [i, w] of words.entries()) view.setBigUint64(i * 8, w, true);
    assert.deepEqual(parseAuxv(bytes, 8, true), { pageSize: 16384, clockTicks: 250 });
  });

  test("32-bit big-endian, and defaults for what is missing", () => {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 6, false);
    view.setUint32(4, 65536, false);
    assert.deepEqual(parseAuxv(bytes, 4, false), { pageSize: 65536, clockTicks: 100 });
    assert.deepEqual(parseAuxv(new Uint8Array(0), 8, true), DEFAULT_KERNEL_UNITS);
  });

  test("machine-id: trimmed first line, nothing when empty", () => {
    assert.equal(
      parseMachineId("3d1219c7c4c5404aaa1f6d2a48adfda4\n"),
      "3d1219c7c4c5404aaa1f6d2a48adfda4",
    );
    assert.equal(parseMachineId("\n"), undefined);
    assert.equal(parseMachineId(""), undefined);
  });
});
