// The soak: a fleet on the agents' schedule against one API process on SQLite, for minutes
// on end. By default 100,000 hosts of 300 processes, each checking in every 5 minutes as a
// delta (40 % of them changing something: 5 processes replaced by new pids), for 10 minutes:
// 333 check-ins/s. The goals: every check-in stored, p99 under 100 ms, the API's memory flat.
//
// Setup (not timed): the API starts on a fresh SQLite file, every host enrolls and sends its
// first whole report; the API is then started again on that file, with the defaults, for the
// soak (its first minute is that process's warm-up: its cache of delta bases empty). The
// load generator (bench/support/soak-load.ts, a worker thread) runs the schedule open loop,
// latency counted from when each check-in was due; a delta answered 409 goes again whole,
// as the agent's does. The API's resident memory is read from /proc every 10 s; at the end
// its executions are counted in the SQLite file.
//
// SOAK_HOSTS, SOAK_MINUTES, SOAK_INTERVAL_S, SOAK_CHANGING and SOAK_PROCESSES size it
// (SOAK_HOSTS=2000 SOAK_MINUTES=3 SOAK_INTERVAL_S=20 is a quick check at 100 check-ins/s).
// SOAK_RESTART=0 keeps the setup's API for the soak (the setup then runs with the defaults
// too): the soak starts with the bases of the first reports cached, as an API that has been
// up, rather than with an API just restarted under a whole fleet. The API's settings come
// from the environment (COMPLIANCE_DELTA_CACHE_MB, for one).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { PROCESS_ENROLL_SECRET, startApiProcess } from "./support/api-process.ts";
import { fmt, median, table } from "./support/harness.ts";
import { runSoak } from "./support/soak-load.ts";

const HOSTS = Number(process.env.SOAK_HOSTS ?? 100_000);
const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const INTERVAL_S = Number(process.env.SOAK_INTERVAL_S ?? 300);
const CHANGING = Number(process.env.SOAK_CHANGING ?? 0.4);
const PROCESSES = Number(process.env.SOAK_PROCESSES ?? 300);
const RESTART = process.env.SOAK_RESTART !== "0";
/** Sockets of the generator's keep-alive agent; requests in flight while setting up. */
const SOCKETS = 64;
const SETUP_CONCURRENCY = 16;
const RSS_EVERY_MS = 10_000;
/** Enrollment is not what is measured: the API's per-address limit is off. */
const API_ENV = { COMPLIANCE_RATE_LIMIT_ENROLL: "0" };
/**
 * The setup is not measured either: the API it runs against commits without waiting for
 * the disk. The soak's API is started again on the same file with the defaults.
 */
const SETUP_ENV = { COMPLIANCE_SQLITE_SYNCHRONOUS: "normal" };
const GOAL_P99_MS = 100;
/** The last minute's median RSS within this share of the second minute's. */
const RSS_FLAT = 0.1;

/**
 * The API's private resident memory now, MiB (RssAnon of /proc/<pid>/status): its heap and
 * SQLite's page cache. VmRSS also counts the pages of the database file it maps, which grow
 * with the file and are the kernel's to drop: shown, not judged.
 */
function memoryOf(pid: number): { mib: number; rssMib: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    if (!m) throw new Error(`no ${field} for process ${pid}`);
    return Number(m[1]) / 1024;
  };
  return { mib: kb("RssAnon"), rssMib: kb("VmRSS") };
}

console.log(
  `\n### Soak: ${HOSTS} hosts of ${PROCESSES} processes, a check-in each every ${INTERVAL_S} s ` +
    `(delta, ${fmt(CHANGING * 100, 0)} % changing), ${MINUTES} min, one API process on SQLite` +
    `${RESTART ? ", started again after the setup" : ", the setup's"}\n`,
);
let api = await startApiProcess(RESTART ? { ...API_ENV, ...SETUP_ENV } : API_ENV);
const setupStarted = performance.now();
const samples: { at: number; mib: number; rssMib: number }[] = [];
let sampler: NodeJS.Timeout | undefined;
let failed = false;
let executions = Number.NaN;
let startRss = Number.NaN;
const result = await (async () => {
  try {
    const r = await runSoak(
      {
        url: api.url,
        enrollSecret: PROCESS_ENROLL_SECRET,
        hosts: HOSTS,
        processes: PROCESSES,
        intervalMs: INTERVAL_S * 1000,
        durationMs: MINUTES * 60_000,
        changing: CHANGING,
        sockets: SOCKETS,
        setupConcurrency: SETUP_CONCURRENCY,
      },
      {
        afterSetup: async () => {
          if (!RESTART) return api.url;
          await api.stop({ keepDir: true });
          api = await startApiProcess(API_ENV, { dir: api.dir });
          return api.url;
        },
        onStart: (wallT0) => {
          const pid = api.child.pid!;
          startRss = memoryOf(pid).mib;
          const sample = () => samples.push({ at: (Date.now() - wallT0) / 1000, ...memoryOf(pid) });
          setTimeout(
            () => {
              sample();
              sampler = setInterval(sample, RSS_EVERY_MS);
            },
            Math.max(0, wallT0 - Date.now()),
          );
        },
      },
    );
    clearInterval(sampler);
    samples.push({ at: r.seconds, ...memoryOf(api.child.pid!) });
    // Stopped (the WAL checkpointed), the file is read as it is.
    await api.stop({ keepDir: true });
    const db = new DatabaseSync(join(api.dir, "compliance.db"), { readOnly: true });
    executions = Number(
      (db.prepare("select count(*) as n from executions").get() as { n: number }).n,
    );
    db.close();
    return r;
  } finally {
    clearInterval(sampler);
    await api.stop();
  }
})();
const setupSeconds = result.enrollSeconds + result.firstReportsSeconds;
const allSeconds = (performance.now() - setupStarted) / 1000;
console.log(
  `setup: ${fmt(setupSeconds, 1)} s in all (${fmt(allSeconds, 0)} s with the soak); ` +
    `the soak's API started at ${fmt(startRss, 0)} MiB private memory\n`,
);

const ms = (n: number) => fmt(n, 1);
/** Executions there must be: every first report and every check-in answered 2xx. */
const acknowledged = HOSTS + result.stored;
const fallbackText = (f: Record<string, number>) =>
  Object.entries(f)
    .map(([code, n]) => `${n} × ${code}`)
    .join(", ") || "none";
console.log(
  table(
    ["what", "value"],
    [
      [
        "setup: enrollment",
        `${fmt(result.enrollSeconds, 1)} s (${fmt(HOSTS / result.enrollSeconds, 0)}/s)`,
      ],
      [
        "setup: first reports, whole",
        `${fmt(result.firstReportsSeconds, 1)} s (${fmt(HOSTS / result.firstReportsSeconds, 0)}/s)`,
      ],
      ["check-ins scheduled", result.scheduled],
      ["check-ins sent", result.sent],
      ["of which changing", result.changed],
      ["stored (2xx)", result.stored],
      ["failed", result.failed],
      ["409, sent again whole", fallbackText(result.fallbacks)],
      [
        "answers",
        Object.entries(result.statuses)
          .map(([s, n]) => `${n} × ${s}`)
          .join(", "),
      ],
      [
        "rate scheduled / achieved",
        `${fmt(HOSTS / INTERVAL_S, 1)} / ${fmt(result.stored / result.seconds, 1)} per s`,
      ],
      ["delta body, mean", `${fmt(result.deltaBytes, 0)} bytes`],
      [
        "generator lag p50 / p99 / max",
        `${ms(result.lag.p50)} / ${ms(result.lag.p99)} / ${ms(result.lag.max)} ms`,
      ],
      [
        "executions in the SQLite file",
        `${executions} (first reports + stored: ${acknowledged}` +
          (executions > acknowledged ? `; ${executions - acknowledged} stored unanswered)` : ")"),
      ],
    ],
  ),
);
if (result.firstFailure) console.log(`\nfirst failure: ${result.firstFailure}`);

console.log("\n#### Latency from the time each check-in was due, by minute\n");
console.log(
  table(
    ["minute", "scheduled", "stored", "failed", "409 → whole", "p50 ms", "p99 ms", "max ms"],
    [
      ...result.minutes.map((m, i) => [
        i + 1,
        m.scheduled,
        m.stored,
        m.failed,
        m.fallbacks,
        ms(m.p50),
        ms(m.p99),
        ms(m.max),
      ]),
      ...(
        [
          ["**after minute 1**", result.afterFirstMinute],
          ["**all**", result.overall],
        ] as const
      )
        .filter(([, m]) => m !== null)
        .map(([what, m]) => [
          what,
          m!.scheduled,
          m!.stored,
          m!.failed,
          m!.fallbacks,
          ms(m!.p50),
          ms(m!.p99),
          ms(m!.max),
        ]),
    ],
  ),
);

console.log("\n#### API memory, every 10 s\n");
console.log(
  table(
    ["s into the soak", "private (RssAnon) MiB", "all resident (VmRSS) MiB"],
    samples.map((s) => [fmt(s.at, 0), fmt(s.mib, 0), fmt(s.rssMib, 0)]),
  ),
);
const rssIn = (minute: number) =>
  median(samples.filter((s) => s.at >= minute * 60 && s.at < (minute + 1) * 60).map((s) => s.mib));
const lastMinute = Math.max(0, Math.ceil(MINUTES) - 1);
const firstRss = rssIn(0);
const secondRss = rssIn(1);
const lastRss = rssIn(lastMinute);
console.log(
  `\nmedian private memory: first minute ${fmt(firstRss, 0)} MiB, second ${fmt(secondRss, 0)} MiB, ` +
    `last (minute ${lastMinute + 1}) ${fmt(lastRss, 0)} MiB`,
);

// A check-in acknowledged but not in the file is lost; one that failed (a timeout, say) may
// still have been stored, but never more than were sent.
const lost = !(executions >= acknowledged && executions <= HOSTS + result.sent);
if (lost || result.failed > 0 || result.sent !== result.scheduled) failed = true;
const signed = (n: number) => `${n >= 0 ? "+" : ""}${fmt(n, 1)}`;
const verdict = (ok: boolean) => (ok ? "met" : "**not met**");
const rssGrowth = lastRss / secondRss - 1;
console.log("\n#### Goals\n");
console.log(
  table(
    ["goal", "measured", ""],
    [
      [
        "every check-in stored",
        `${result.stored} of ${result.sent} sent acknowledged; ` +
          `${executions} executions for ${HOSTS} + ${result.sent}`,
        verdict(!lost && result.failed === 0 && executions === HOSTS + result.sent),
      ],
      [
        `p99 < ${GOAL_P99_MS} ms`,
        `${ms(result.overall.p99)} ms`,
        verdict(result.overall.p99 < GOAL_P99_MS),
      ],
      [
        `API private memory flat (last minute within ${RSS_FLAT * 100} % of the second)`,
        lastMinute < 2
          ? "n/a: under 3 minutes"
          : `${fmt(secondRss, 0)} → ${fmt(lastRss, 0)} MiB (${signed(rssGrowth * 100)} %)`,
        lastMinute < 2 ? "" : verdict(Math.abs(rssGrowth) <= RSS_FLAT),
      ],
    ],
  ),
);
if (failed) process.exitCode = 1;
