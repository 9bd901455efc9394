import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ReportProcess } from "@compliance/contract";
import { type Clock, systemClock } from "../src/clock.ts";
import { processesCollector } from "../src/collectors/processes.ts";
import { CpuBaseline, collectReport } from "../src/report.ts";
import { FakeClock, HANG_LIMIT } from "./clock.ts";
import { fixture } from "./helpers.ts";

const onlyProcesses = { processes: processesCollector };

function uptimeSeconds(): number {
  return Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
}

/** The CPU time (user + system, in ticks of 10 ms) the kernel has counted for a process. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** What the kernel counted for one process over one stretch of time. */
interface KernelShare {
  ticks: number;
  ms: number;
}

/** CPU use in percent of one core, as the kernel counted it. */
const percentOf = ({ ticks, ms }: KernelShare) => (ticks / 100 / (ms / 1000)) * 100;

/**
 * The system's clock, with what the kernel counted for process `pid` over each CPU window
 * the agent waits on it: on a machine whose CPUs are busy with other work, that process
 * gets what the scheduler gives it, not a whole core, and the agent must say the same.
 */
function kernelWatch(pid: number): { clock: Clock; windows: KernelShare[] } {
  const system = systemClock();
  const windows: KernelShare[] = [];
  const clock: Clock = {
    now: () => system.now(),
    monotonic: () => system.monotonic(),
    sleep: async (ms, signal) => {
      const ticks = cpuTicks(pid);
      const started = system.monotonic();
      await system.sleep(ms, signal);
      windows.push({ ticks: cpuTicks(pid) - ticks, ms: system.monotonic() - started });
    },
  };
  return { clock, windows };
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

  test("each process's user is the effective uid of its status file, another user's too", async (t) => {
    // As root, a child running as nobody gives the comparison a user that is not this one.
    const other =
      process.geteuid?.() === 0
        ? spawn("sleep", ["30"], { uid: 65534, gid: 65534, stdio: "ignore" })
        : undefined;
    t.after(() => other?.kill());
    const report = await collectReport({
      cpuWindowMs: 0,
      collectors: onlyProcesses,
      clock: systemClock(),
    });
    const names = new Map<string, string>();
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const [name, , uid] = line.split(":");
      if (name && uid && !names.has(uid)) names.set(uid, name);
    }
    let compared = 0;
    for (const p of report.processes) {
      let status: string;
      try {
        status = readFileSync(`/proc/${p.pid}/status`, "utf8");
      } catch {
        continue; // exited since
      }
      const uid = /^Uid:\s+\d+\s+(\d+)/m.exec(status)?.[1] ?? "";
      assert.equal(p.user, names.get(uid) ?? uid, `pid ${p.pid}`);
      compared++;
    }
    assert.ok(compared > 1);
    if (other) {
      const child = report.processes.find((p) => p.pid === other.pid);
      assert.equal(child?.user, names.get("65534") ?? "65534");
    }
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
    // A process's start is the kernel's account (boot time, and the uptime when it began),
    // not any clock's in this process: compared with the same, it holds whatever the date
    // (faketime moves this process's clock, not the kernel's). btime is whole seconds, so a
    // start time may read up to a second early.
    const started = Date.parse(self.started_at ?? "");
    const bootTime = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);
    const expected = (bootTime + uptimeSeconds() - process.uptime()) * 1000;
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

    /**
     * The agent's figure is the kernel's, within what tells them apart: ticks of 10 ms, and
     * the agent sampling each process a little after the window's edges. One core is 100 %:
     * a single thread gets no more.
     */
    const assertKernelShare = (agent: number, kernel: number) =>
      assert.ok(
        agent > 0 && agent <= 105 && Math.abs(agent - kernel) <= Math.max(15, kernel * 0.4),
        `agent ${agent} %, kernel ${kernel.toFixed(1)} %`,
      );

    test("a spinning process shows the CPU the kernel gave it (one core when idle), a sleeping one nothing", async () => {
      await systemClock().sleep(200); // the shell loop spinning
      const watch = kernelWatch(busy.pid!);
      const report = await collectReport({
        cpuWindowMs: 400,
        collectors: onlyProcesses,
        clock: watch.clock,
      });
      assert.equal(watch.windows.length, 1, "one window");
      const find = (pid: number | undefined) => report.processes.find((p) => p.pid === pid);
      const spinning = find(busy.pid);
      const sleeping = find(idle.pid);
      assert.ok(spinning && sleeping);
      assertKernelShare(spinning.cpu_percent, percentOf(watch.windows[0]!));
      assert.equal(sleeping.cpu_percent, 0);
      assert.equal(sleeping.name, "sleep");
      assert.equal(sleeping.cmdline, "sleep 30");
    });

    test("daemon mode: measured from the previous collection, with no window of its own", async () => {
      const watch = kernelWatch(busy.pid!);
      const baseline = new CpuBaseline();
      const options = {
        cpuWindowMs: 400,
        collectors: onlyProcesses,
        cpuBaseline: baseline,
        clock: watch.clock,
      };
      await collectReport(options); // the first one waits its window
      assert.equal(watch.windows.length, 1);
      // From the end of the first collection to the end of the second, as the agent measures.
      const ticksBefore = cpuTicks(busy.pid!);
      const since = watch.clock.monotonic();
      await systemClock().sleep(500);
      const report = await collectReport(options);
      const kernel = percentOf({
        ticks: cpuTicks(busy.pid!) - ticksBefore,
        ms: watch.clock.monotonic() - since,
      });
      assert.equal(watch.windows.length, 1, "the second collection waited no window");
      const spinning = report.processes.find((p) => p.pid === busy.pid)!;
      assertKernelShare(spinning.cpu_percent, kernel);
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
