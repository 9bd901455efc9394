import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { validateReport } from "@compliance/contract";
import { systemClock } from "../src/clock.ts";
import { COLLECTORS } from "../src/collectors/index.ts";
import type { Collector } from "../src/collectors/types.ts";
import { collectReport } from "../src/report.ts";
import { StateDir } from "../src/state.ts";

const run = (file: string, args: string[] = []) =>
  execFileSync(file, args, { encoding: "utf8" }).trim();

describe("host facts on this machine", async () => {
  const report = await collectReport({ clock: systemClock(), cpuWindowMs: 100 });

  test("the report passes the contract", () => {
    const result = validateReport(report);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  });

  test("kernel is uname -r, platform and arch are node's", () => {
    assert.equal(report.os.kernel, run("uname", ["-r"]));
    assert.equal(report.os.platform, "linux");
    assert.equal(report.os.arch, process.arch);
  });

  test("OS name and version are /etc/os-release's", () => {
    const text = readFileSync("/etc/os-release", "utf8");
    const name = /^NAME="?([^"\n]*)"?$/m.exec(text)?.[1];
    assert.equal(report.os.name, name);
    assert.notEqual(report.os.version, "");
  });

  test("CPU model and count are /proc/cpuinfo's, usage is a percentage", () => {
    const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
    const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim();
    if (model !== undefined) assert.equal(report.cpu.model, model);
    assert.equal(report.cpu.cores, (cpuinfo.match(/^processor\s*:/gm) ?? []).length);
    assert.equal(report.cpu.cores, Number(run("getconf", ["_NPROCESSORS_CONF"])));
    assert.ok(report.cpu.usage_percent >= 0 && report.cpu.usage_percent <= 100);
  });

  test("memory total is /proc/meminfo's MemTotal", () => {
    const kb = Number(/^MemTotal:\s+(\d+) kB$/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1]);
    assert.equal(report.memory.total_bytes, kb * 1024);
    assert.ok(
      report.memory.available_bytes > 0 &&
        report.memory.available_bytes <= report.memory.total_bytes,
    );
  });

  test("hostname is hostname's, identifier is the machine id", () => {
    assert.equal(report.host.hostname, run("hostname"));
    assert.equal(report.host.identifier, readFileSync("/etc/machine-id", "utf8").trim());
  });

  test("addresses are the non-loopback ones, the primary one among them", () => {
    const expected = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && !i.internal)
      .map((i) => i!.address);
    assert.deepEqual(report.host.ip_addresses, [...new Set(expected)]);
    if (report.host.primary_ip !== undefined) {
      assert.ok(report.host.ip_addresses.includes(report.host.primary_ip));
      assert.match(report.host.primary_ip, /^\d+\.\d+\.\d+\.\d+$/);
    }
    // `ip route` names the default-route interface; the primary IP must be on it.
    const route = readFileSync("/proc/net/route", "utf8");
    const iface = /^(\S+)\s+00000000\s/m.exec(route)?.[1];
    if (iface !== undefined) {
      const onIface = networkInterfaces()[iface]?.map((i) => i.address) ?? [];
      assert.ok(
        onIface.includes(report.host.primary_ip ?? ""),
        `${report.host.primary_ip} on ${iface}`,
      );
    }
  });

  test("the agent's own version and footprint", () => {
    assert.equal(report.agent.version, "0.1.0");
    assert.ok((report.agent.rss_bytes ?? 0) > 0);
    assert.ok((report.agent.cpu_seconds ?? -1) >= 0);
  });
});

describe("the collector registry", () => {
  test("a platform without an implementation gets an errors entry, not empty data", async () => {
    const report = await collectReport({ clock: systemClock(), cpuWindowMs: 0, platform: "aix" });
    const failed = new Map((report.errors ?? []).map((e) => [e.collector, e.message]));
    assert.equal(failed.get("processes"), "not supported on aix: no data collected");
    assert.equal(failed.get("sessions"), "not supported on aix: no data collected");
    assert.equal(failed.get("memory"), "not supported on aix: no data collected");
    // Collectors with a portable implementation still report.
    assert.equal(failed.has("hostname"), false);
    assert.equal(failed.has("cpu"), false);
    assert.equal(report.os.platform, "aix");
    assert.ok(report.cpu.cores > 0);
    assert.deepEqual(report.processes, []);
    assert.ok(validateReport(report).ok);
  });

  test("a collector that throws becomes an errors entry; the others still report", async () => {
    const broken: Collector = {
      description: "always fails",
      platforms: {
        any: () => {
          throw new Error("disk on fire\nsecond line");
        },
      },
    };
    const report = await collectReport({
      clock: systemClock(),
      cpuWindowMs: 0,
      collectors: {
        identifier: COLLECTORS.identifier!,
        memory: broken,
        hostname: COLLECTORS.hostname!,
      },
    });
    assert.deepEqual(report.errors, [{ collector: "memory", message: "disk on fire second line" }]);
    assert.deepEqual(report.memory, { total_bytes: 0, available_bytes: 0 });
    assert.notEqual(report.host.hostname, "");
  });

  test("a required collector's failure fails the collection", async () => {
    const root = mkdtempSync(join(tmpdir(), "agent-noid-"));
    try {
      await assert.rejects(
        collectReport({
          clock: systemClock(),
          cpuWindowMs: 0,
          paths: { etc: root },
          collectors: { identifier: COLLECTORS.identifier! },
        }),
        { code: "collect_failed", exitCode: 6 },
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("no machine id: a generated id, kept in the state directory across runs", async () => {
    const root = mkdtempSync(join(tmpdir(), "agent-noid-"));
    try {
      const options = {
        clock: systemClock(),
        cpuWindowMs: 0,
        paths: { etc: root },
        stateDir: join(root, "state"),
        collectors: { identifier: COLLECTORS.identifier! },
      };
      const first = await collectReport(options);
      const second = await collectReport(options);
      assert.match(first.host.identifier, /^[0-9a-f-]{36}$/);
      assert.equal(second.host.identifier, first.host.identifier);
      assert.equal(new StateDir(options.stateDir).hostId(), first.host.identifier);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("a bad CPU window is a configuration error", async () => {
    await assert.rejects(collectReport({ clock: systemClock(), cpuWindowMs: -1 }), { exitCode: 2 });
    await assert.rejects(collectReport({ clock: systemClock(), cpuWindowMs: 1.5 }), {
      exitCode: 2,
    });
  });
});
