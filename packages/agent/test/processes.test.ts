import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ReportProcess } from "@compliance/contract";
import { systemClock } from "../src/clock.ts";
import { processesCollector } from "../src/collectors/processes.ts";
import { CpuBaseline, collectReport } from "../src/report.ts";
import { FakeClock, HANG_LIMIT } from "./clock.ts";
import { fixture } from "./helpers.ts";

const onlyProcesses = { processes: processesCollector };

function uptimeSeconds(): number {
  return Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
}

/** Start time of a live process in seconds after boot, or undefined when it is gone. */
function startSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]) / 100;
  } catch {
    return undefined;
  }
}

describe("processes on this machine", () => {
  test("the same processes as ps, except those that started or ended in between", async () => {
    const uptimeBefore = uptimeSeconds();
    const report = await collectReport({
      cpuWindowMs: 0,
      collectors: onlyProcesses,
      clock: systemClock(),
    });
    const ps = spawnSync("ps", ["-e", "-o", "pid="], { encoding: "utf8" });
    assert.equal(ps.status, 0, ps.stderr);

    const ours = new Set(report.processes.map((p) => p.pid));
    const theirs = new Set(
      ps.stdout
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map(Number),
    );
    assert.ok(ours.size > 1 && theirs.size > 1);
    assert.equal(ours.size, report.processes.length, "pids are unique");

    const onlyOurs = [...ours].filter((pid) => !theirs.has(pid));
    const onlyTheirs = [...theirs].filter((pid) => !ours.has(pid));
    // Seen by us, not by ps: it must have exited before ps looked.
    for (const pid of onlyOurs) {
      assert.equal(
        existsSync(`/proc/${pid}`),
        false,
        `pid ${pid} is still running but ps missed it`,
      );
    }
    // Seen by ps, not by us: ps itself, or a process that started after we began (or is
    // already gone again, so short-lived that it cannot have been there when we looked).
    for (const pid of onlyTheirs) {
      if (pid === ps.pid) continue;
      const start = startSeconds(pid);
      if (start === undefined) continue;
      assert.ok(
        start >= uptimeBefore - 0.01,
        `pid ${pid} started ${uptimeBefore - start}s before the collection but is missing`,
      );
    }
    assert.ok(
      onlyOurs.length + onlyTheirs.length < 50,
      "the difference is a few processes at most",
    );
  });

  test("this test's own process, with its parent, user, name and command line", async () => {
    const report = await collectReport({
      cpuWindowMs: 100,
      collectors: onlyProcesses,
      clock: systemClock(),
    });
    const self = report.processes.find((p) => p.pid === process.pid);
    assert.ok(self, "own pid present");
    assert.equal(self.ppid, process.ppid);
    assert.equal(self.user, userInfo().username);
    assert.equal(self.name, readFileSync("/proc/self/comm", "utf8").trim());
    assert.ok(self.cmdline?.includes("processes.test.ts"), self.cmdline);
    const rss = process.memoryUsage.rss();
    assert.ok(self.rss_bytes > rss / 2 && self.rss_bytes < rss * 2, `${self.rss_bytes} vs ${rss}`);
    // btime is whole seconds, so a start time may read up to a second early.
    const started = Date.parse(self.started_at ?? "");
    const expected = Date.now() - process.uptime() * 1000;
    assert.ok(
      Math.abs(started - expected) < 2500,
      `${self.started_at} vs ${new Date(expected).toISOString()}`,
    );
    assert.ok(self.cpu_percent >= 0);
  });

  describe("CPU over the window", () => {
    let busy: ReturnType<typeof spawn>;
    let idle: ReturnType<typeof spawn>;
    before(() => {
      // A shell loop: one thread, unlike node, whose helper threads add their own CPU.
      busy = spawn("sh", ["-c", "while :; do :; done"], { stdio: "ignore" });
      idle = spawn("sleep", ["30"], { stdio: "ignore" });
    });
    after(() => {
      busy.kill();
      idle.kill();
    });

    test("a spinning process shows near one core, a sleeping one nothing", async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      // What the kernel says the spinning process got around the collection: on a loaded
      // machine it may be far from a full core, and the agent must say the same.
      const ticks = (pid: number) => {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return Number(fields[11]) + Number(fields[12]);
      };
      const ticksBefore = ticks(busy.pid!);
      const started = performance.now();
      const report = await collectReport({
        cpuWindowMs: 400,
        collectors: onlyProcesses,
        clock: systemClock(),
      });
      const kernelPercent =
        ((ticks(busy.pid!) - ticksBefore) / 100 / ((performance.now() - started) / 1000)) * 100;
      const find = (pid: number | undefined) => report.processes.find((p) => p.pid === pid);
      const spinning = find(busy.pid);
      const sleeping = find(idle.pid);
      assert.ok(spinning && sleeping);
      // One core is 100 %; the window is most of the kernel's interval, and ticks are 10 ms.
      assert.ok(
        spinning.cpu_percent > 5 &&
          spinning.cpu_percent <= 105 &&
          Math.abs(spinning.cpu_percent - kernelPercent) <= Math.max(15, kernelPercent * 0.4),
        `agent ${spinning.cpu_percent} %, kernel ${kernelPercent.toFixed(1)} %`,
      );
      assert.equal(sleeping.cpu_percent, 0);
      assert.equal(sleeping.name, "sleep");
      assert.equal(sleeping.cmdline, "sleep 30");
    });

    test("daemon mode: measured from the previous collection, with no window of its own", async () => {
      const ticks = (pid: number) => {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return Number(fields[11]) + Number(fields[12]);
      };
      const baseline = new CpuBaseline();
      const options = {
        cpuWindowMs: 400,
        collectors: onlyProcesses,
        cpuBaseline: baseline,
        clock: systemClock(),
      };
      await collectReport(options); // the first one waits its window
      const ticksBefore = ticks(busy.pid!);
      const since = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 500));
      const started = performance.now();
      const report = await collectReport(options);
      const took = performance.now() - started;
      const kernelPercent =
        ((ticks(busy.pid!) - ticksBefore) / 100 / ((performance.now() - since) / 1000)) * 100;
      assert.ok(took < 300, `no window waited: ${took} ms`);
      const spinning = report.processes.find((p) => p.pid === busy.pid)!;
      assert.ok(
        spinning.cpu_percent > 5 &&
          Math.abs(spinning.cpu_percent - kernelPercent) <= Math.max(15, kernelPercent * 0.4),
        `agent ${spinning.cpu_percent} %, kernel ${kernelPercent.toFixed(1)} %`,
      );
      assert.equal(report.processes.find((p) => p.pid === idle.pid)!.cpu_percent, 0);
    });
  });
});

describe("processes from a fixture /proc", () => {
  let root: string;
  let procDir: string;
  let etcDir: string;
  const statLines = fixture("stat-lines.txt").trimEnd().split("\n");

  before(() => {
    root = mkdtempSync(join(tmpdir(), "agent-proc-"));
    procDir = join(root, "proc");
    etcDir = join(root, "etc");
    mkdirSync(etcDir, { recursive: true });
    mkdirSync(procDir, { recursive: true });
    writeFileSync(join(etcDir, "passwd"), fixture("passwd.txt"));
    const add = (pid: number, files: Record<string, string>) => {
      mkdirSync(join(procDir, String(pid)), { recursive: true });
      for (const [name, text] of Object.entries(files))
        writeFileSync(join(procDir, String(pid), name), text);
    };
    writeFileSync(join(procDir, "stat"), fixture("proc-stat.txt"));
    writeFileSync(join(procDir, "uptime"), "2000.00 3000.00\n");
    add(1, {
      stat: statLines[0]!,
      status: "Name:\tx\nUid:\t0\t0\t0\t0\n",
      cmdline: "/sbin/init\0splash\0",
    });
    // A kernel thread: no status or cmdline is read for it.
    add(2, { stat: statLines[1]! });
    add(4242, {
      stat: statLines[2]!,
      status: fixture("status.txt"),
      cmdline: "tmux\0new\0--password=hunter2\0",
    });
    // Exited between listing and reading: its status is gone.
    add(977, { stat: statLines[3]! });
    // Effective uid without a passwd entry.
    add(31337, { stat: statLines[4]!, status: "Uid:\t4000\t4000\t4000\t4000\n", cmdline: "" });
    writeFileSync(join(procDir, "not-a-pid"), "");
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test("parses each process, maps users, redacts, skips the vanished", async () => {
    const report = await collectReport({
      cpuWindowMs: 0,
      collectors: onlyProcesses,
      paths: { proc: procDir, etc: etcDir },
      clock: new FakeClock(),
    });
    const byPid = new Map<number, ReportProcess>(report.processes.map((p) => [p.pid, p]));
    assert.deepEqual([...byPid.keys()], [1, 2, 4242, 31337]);
    assert.deepEqual(byPid.get(1), {
      pid: 1,
      ppid: 0,
      name: "process_api",
      user: "root",
      // 619 ticks since 0.23 s after boot, uptime 2000 s.
      cpu_percent: Math.round((6.19 / (2000 - 0.23)) * 100 * 100) / 100,
      rss_bytes: 2593 * 4096,
      started_at: "2026-11-22T05:35:02.230Z",
      cmdline: "/sbin/init splash",
    });
    assert.deepEqual(byPid.get(2), {
      pid: 2,
      ppid: 0,
      name: "kthreadd",
      user: "root",
      cpu_percent: 0,
      rss_bytes: 0,
      started_at: "2026-11-22T05:35:02.230Z",
    });
    const tmux = byPid.get(4242);
    assert.equal(tmux?.name, "tmux: server");
    assert.equal(tmux?.user, "svc-app");
    assert.equal(tmux?.cmdline, "tmux new --password=<redacted>");
    assert.equal(byPid.get(31337)?.user, "4000");
    assert.equal(byPid.get(31337)?.cmdline, undefined, "no command line: field left out");
  });

  test(
    "CPU use on the agent's clock: the ticks counted over the time that clock says passed",
    HANG_LIMIT,
    async () => {
      const clock = new FakeClock();
      const statFile = join(procDir, "4242", "stat");
      const original = readFileSync(statFile, "utf8");
      // utime is field 14 of /proc/<pid>/stat, the 12th after the name.
      const withUtime = (utime: number) => {
        const close = original.lastIndexOf(")");
        const fields = original.slice(close + 2).split(" ");
        fields[11] = String(utime);
        return `${original.slice(0, close + 2)}${fields.join(" ")}`;
      };
      const options = {
        cpuWindowMs: 400,
        collectors: onlyProcesses,
        paths: { proc: procDir, etc: etcDir },
        cpuBaseline: new CpuBaseline(),
        clock,
      };
      const tmux = (report: { processes: ReportProcess[] }) =>
        report.processes.find((p) => p.pid === 4242)?.cpu_percent;
      try {
        const first = collectReport(options);
        // The first collection waits its window on this clock, and nothing else.
        await clock.sleeping((sleep) => sleep.ms === 400);
        clock.advance(400);
        assert.equal(tmux(await first), 0, "no tick during the window");
        // 20 more ticks of 10 ms over one second of the agent's clock: 20 %.
        writeFileSync(statFile, withUtime(250 + 20));
        clock.advance(1_000);
        assert.equal(tmux(await collectReport(options)), 20);
        assert.deepEqual(clock.pending, [], "the second collection waited no window");
      } finally {
        writeFileSync(statFile, original);
      }
    },
  );

  test("cmdline: false leaves every command line out", async () => {
    const report = await collectReport({
      cpuWindowMs: 0,
      cmdline: false,
      collectors: onlyProcesses,
      paths: { proc: procDir, etc: etcDir },
      clock: new FakeClock(),
    });
    assert.equal(report.processes.length, 4);
    assert.ok(report.processes.every((p) => !("cmdline" in p)));
  });
});
