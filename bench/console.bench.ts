/**
 * How fast the console is usable with a large fleet, measured in Chromium against a real
 * API on SQLite:
 *   - the host list with 10,000 hosts: navigation start → first page of rows on screen and
 *     the search box enabled;
 *   - the detail of a host with 1,000 processes and 500 executions: navigation start →
 *     process table and timeline drawn;
 *   - the activity of that host over its whole history (1,000 processes, 500 executions,
 *     about 5,000 lifetimes in the window): navigation start → first page of lifetimes;
 *   - the sessions search over the 10,000 hosts (anyone, a window holding every session):
 *     navigation start → first page of sessions;
 *   - the floor: a blank static page from the same server.
 * Each is the median of 5 cold loads (a fresh browser context each time, so nothing is
 * cached), with when the page's last API answer had come in (Resource Timing): what
 * follows it is the console's own drawing. Run: node --conditions=source --import tsx bench/console.bench.ts
 */
import { randomUUID } from "node:crypto";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Report, ReportProcess } from "@compliance/contract";
import type { Browser } from "playwright-core";
import { makeProcess, makeReport, makeSession } from "../packages/api/test/helpers/reports.ts";
import {
  CONSOLE_DIST,
  requireBuiltConsole,
  startTestApi,
  type TestApi,
} from "../packages/console/test/helpers/api.ts";
import { launchBrowser } from "../packages/console/test/helpers/browser.ts";

const HOSTS = 10_000;
const BIG_PROCESSES = 1_000;
const BIG_EXECUTIONS = 500;
const RUNS = 5;
const TARGET_MS = 1_000;
const INTERVAL_MS = 5 * 60_000;
/** Processes each check-in of the big host replaces: 992 + 8 × 500 process lifetimes. */
const BIG_CHURN = 8;
/** Hosts stored at once while filling. */
const FILL_AT_ONCE = 64;
const SESSION_USERS = ["ops", "deploy", "root", "alice"] as const;

const OSES = [
  ["Debian GNU/Linux", "12 (bookworm)"],
  ["Ubuntu", "22.04.4 LTS (Jammy Jellyfish)"],
  ["Ubuntu", "24.04 LTS (Noble Numbat)"],
  ["Rocky Linux", "9.4 (Blue Onyx)"],
] as const;

function smallReport(i: number, collectedAt: number): Report {
  const os = OSES[i % OSES.length]!;
  const name = `node-${String(i).padStart(5, "0")}`;
  return makeReport({
    identifier: `bench-${name}`,
    collected_at: new Date(collectedAt).toISOString(),
    host: {
      identifier: `bench-${name}`,
      hostname: name,
      primary_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      ip_addresses: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
    },
    os: { platform: "linux", name: os[0], version: os[1], kernel: "6.1.0-18-amd64", arch: "x64" },
    processes: [
      makeProcess({ pid: 1, ppid: 0, name: "systemd", user: "root", cmdline: "/sbin/init" }),
      makeProcess({ pid: 812, name: "sshd", user: "root", cmdline: "/usr/sbin/sshd -D" }),
      makeProcess({ pid: 900 + (i % 7), name: `svc-${i % 50}`, user: "app" }),
    ],
    // One session on every host: the sessions search has 10,000 to look through.
    sessions: [
      makeSession({
        user: SESSION_USERS[i % SESSION_USERS.length]!,
        terminal: "pts/0",
        remote_host: `10.200.${(i >> 8) & 255}.${i & 255}`,
        pid: 3000,
      }),
    ],
  });
}

/** 1,000 processes; each execution replaces a few of them, so every check-in changes something. */
function bigReport(k: number, collectedAt: number): Report {
  const processes: ReportProcess[] = [];
  for (let i = 0; i < BIG_PROCESSES; i++) {
    const churn = i < BIG_CHURN ? k : 0;
    processes.push(
      makeProcess({
        pid: 100 + i + churn * BIG_PROCESSES,
        name: `worker-${i % 60}`,
        user: i % 4 === 0 ? "www-data" : "app",
        cpu_percent: (i * 7 + k) % 100,
        rss_bytes: (2_000 + ((i * 37 + k) % 5_000)) * 1024,
        cmdline: `/usr/bin/worker-${i % 60} --id ${i} --config /etc/worker/${i % 60}.conf`,
      }),
    );
  }
  return makeReport({
    identifier: "bench-big-host",
    collected_at: new Date(collectedAt).toISOString(),
    host: {
      identifier: "bench-big-host",
      hostname: "big-host",
      primary_ip: "10.99.0.1",
      ip_addresses: ["10.99.0.1"],
    },
    cpu: {
      model: "AMD EPYC 7763 64-Core Processor",
      vendor: "AuthenticAMD",
      cores: 64,
      usage_percent: 20 + ((k * 13) % 60),
    },
    processes,
    sessions: k % 3 === 0 ? [makeSession({ user: "ops", pid: 4242 })] : [],
  });
}

async function fill(api: TestApi): Promise<{ hostId: number; first: number }> {
  const { store } = api;
  const now = Date.now();
  let t = performance.now();
  // Many hosts at once: SQLite's group commit then makes one commit of many reports.
  const one = async (i: number) => {
    const report = smallReport(i, now - (i % 600) * 1000);
    const { hostId } = await store.enrollHost({
      identifier: report.host.identifier,
      hostname: report.host.hostname,
      nodeKeyHash: randomUUID(),
      source: "agent",
    });
    await store.ingest(hostId, report, now);
  };
  for (let i = 0; i < HOSTS; i += FILL_AT_ONCE) {
    await Promise.all(
      Array.from({ length: Math.min(FILL_AT_ONCE, HOSTS - i) }, (_, k) => one(i + k)),
    );
  }
  console.error(`${HOSTS} hosts stored in ${Math.round(performance.now() - t)} ms`);
  t = performance.now();
  const { hostId } = await store.enrollHost({
    identifier: "bench-big-host",
    hostname: "big-host",
    nodeKeyHash: randomUUID(),
    source: "agent",
  });
  const first = now - BIG_EXECUTIONS * INTERVAL_MS;
  for (let k = 0; k < BIG_EXECUTIONS; k++) {
    await store.ingest(hostId, bigReport(k, first + k * INTERVAL_MS), now);
  }
  console.error(
    `${BIG_EXECUTIONS} executions of ${BIG_PROCESSES} processes stored in ${Math.round(performance.now() - t)} ms`,
  );
  return { hostId, first };
}

/**
 * Loads `url` in a fresh context and answers when `ready` first held, in ms since the
 * navigation started. The check runs in the page from its first script on, once a frame,
 * so it sees the first frame in which the condition is true.
 */
async function timeToReady(
  browser: Browser,
  url: string,
  token: string,
  ready: string,
): Promise<{ readyAt: number; apiDoneAt: number }> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
  try {
    await context.addInitScript(
      `try { sessionStorage.setItem("compliance.token", ${JSON.stringify(token)}); } catch {}
       (() => {
         const check = () => {
           if (${ready}) window.__readyAt = performance.now();
           else requestAnimationFrame(check);
         };
         requestAnimationFrame(check);
       })();`,
    );
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url, { waitUntil: "commit" });
    const handle = await page.waitForFunction(
      () => (window as unknown as { __readyAt?: number }).__readyAt,
      undefined,
      { timeout: 30_000, polling: 50 },
    );
    if (errors.length > 0) throw new Error(`page errors: ${errors.join("; ")}`);
    const readyAt = (await handle.jsonValue()) as number;
    // When the page's last API answer had arrived: the rest of the time is the console's
    // own (its script, then drawing the answers).
    const apiDoneAt = await page.evaluate(() =>
      Math.max(
        0,
        ...performance
          .getEntriesByType("resource")
          .filter((e) => e.name.includes("/api/v1/"))
          .map((e) => (e as PerformanceResourceTiming).responseEnd),
      ),
    );
    return { readyAt, apiDoneAt };
  } finally {
    await context.close();
  }
}

async function apiMs(url: string, token: string): Promise<number> {
  const t = performance.now();
  const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  await r.arrayBuffer();
  return performance.now() - t;
}

/** The `total` of a list the API answers. */
async function totalOf(url: string, token: string): Promise<number> {
  const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { total: number }).total;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const ms = (x: number) => `${Math.round(x)}`;

async function main() {
  requireBuiltConsole();
  // The console's files plus a blank page, so the floor comes from the same server.
  const consoleDir = mkdtempSync(join(tmpdir(), "compliance-console-bench-"));
  cpSync(CONSOLE_DIST, consoleDir, { recursive: true });
  writeFileSync(join(consoleDir, "blank.html"), "<!doctype html><title>blank</title><p>blank");

  const api = await startTestApi({ consoleDir });
  let browser: Browser | undefined;
  try {
    const { hostId: bigId, first } = await fill(api);
    // Windows that hold the whole history, on whole minutes as the console's forms give.
    const from = new Date(Math.floor((first - 60_000) / 60_000) * 60_000).toISOString();
    const window = `from=${encodeURIComponent(from)}`;
    browser = await launchBrowser();
    const token = api.adminToken;
    const pages = {
      floor: {
        url: `${api.url}/blank.html`,
        ready: `document.readyState === "complete"`,
      },
      list: {
        url: `${api.url}/#/hosts`,
        ready: `document.querySelectorAll("table.table-hosts tbody tr").length > 0 &&
                document.getElementById("host-search")?.disabled === false`,
      },
      detail: {
        url: `${api.url}/#/hosts/${bigId}`,
        ready: `document.querySelectorAll("table.table-processes tbody tr").length > 0 &&
                document.querySelectorAll('[role="listbox"] [role="option"]').length === ${BIG_EXECUTIONS}`,
      },
      activity: {
        url: `${api.url}/#/activity?host=${bigId}&${window}`,
        ready: `document.querySelectorAll("table.table-activity tbody tr").length > 0`,
      },
      sessions: {
        url: `${api.url}/#/search?what=sessions&${window}`,
        ready: `document.querySelectorAll("table.table-activity tbody tr").length > 0`,
      },
    };
    // One load of each first: the browser's own start-up is not the console's time.
    for (const p of Object.values(pages)) await timeToReady(browser, p.url, token, p.ready);
    type Load = Awaited<ReturnType<typeof timeToReady>>;
    const results: Record<keyof typeof pages, Load[]> = {
      floor: [],
      list: [],
      detail: [],
      activity: [],
      sessions: [],
    };
    for (let run = 0; run < RUNS; run++) {
      for (const [name, p] of Object.entries(pages) as [
        keyof typeof pages,
        (typeof pages)["floor"],
      ][]) {
        results[name].push(await timeToReady(browser, p.url, token, p.ready));
      }
    }

    const api50 = median(
      await Promise.all(
        [0, 1, 2].map(() => apiMs(`${api.url}/api/v1/hosts?limit=50&sort=hostname`, token)),
      ),
    );
    const apiSearch = median(
      await Promise.all(
        [0, 1, 2].map(() => apiMs(`${api.url}/api/v1/hosts?limit=50&q=node-0999`, token)),
      ),
    );
    const apiTimeline = median(
      await Promise.all(
        [0, 1, 2].map(() =>
          apiMs(`${api.url}/api/v1/hosts/${bigId}/reports?limit=5000&sort=-collected_at`, token),
        ),
      ),
    );

    const activityUrl = `${api.url}/api/v1/hosts/${bigId}/activity?${window}&limit=100`;
    const sessionsUrl = `${api.url}/api/v1/activity?${window}&kind=session&limit=100`;
    const apiActivity = median(await Promise.all([0, 1, 2].map(() => apiMs(activityUrl, token))));
    const apiSessions = median(await Promise.all([0, 1, 2].map(() => apiMs(sessionsUrl, token))));
    const lifetimes = await totalOf(activityUrl, token);
    const sessionsFound = await totalOf(sessionsUrl, token);

    const ready = (loads: Load[]) => loads.map((l) => l.readyAt);
    const floor = median(ready(results.floor));
    const row = (label: string, loads: Load[]) => {
      const xs = ready(loads);
      const m = median(xs);
      const api = median(loads.map((l) => l.apiDoneAt));
      return `| ${label} | ${ms(m)} | ${ms(Math.min(...xs))}–${ms(Math.max(...xs))} | ${ms(api)} | ${ms(floor)} | ${(m / floor).toFixed(1)}× | ${m < TARGET_MS ? "yes" : "**no**"} |`;
    };
    console.log(
      [
        `## Console load times (${RUNS} cold loads each, Chromium, SQLite)`,
        "",
        `| page | median ms | range ms | last API answer in, ms | floor ms (blank page) | ratio to floor | under ${TARGET_MS} ms |`,
        "|---|---:|---:|---:|---:|---:|:---:|",
        row(`host list, ${HOSTS.toLocaleString("en-US")} hosts`, results.list),
        row(
          `host detail, ${BIG_PROCESSES.toLocaleString("en-US")} processes, ${BIG_EXECUTIONS} executions`,
          results.detail,
        ),
        row(
          `host activity, whole history (${lifetimes.toLocaleString("en-US")} lifetimes)`,
          results.activity,
        ),
        row(
          `sessions search, ${HOSTS.toLocaleString("en-US")} hosts (${sessionsFound.toLocaleString("en-US")} sessions)`,
          results.sessions,
        ),
        `| blank static page (floor) | ${ms(floor)} | ${ms(Math.min(...ready(results.floor)))}–${ms(Math.max(...ready(results.floor)))} | — | — | 1.0× | — |`,
        "",
        `API alone (median of 3): first page of hosts ${ms(api50)} ms; search q=node-0999 ${ms(apiSearch)} ms; ` +
          `timeline of ${BIG_EXECUTIONS} executions ${ms(apiTimeline)} ms; ` +
          `host activity, first 100 lifetimes ${ms(apiActivity)} ms; sessions search, first 100 ${ms(apiSessions)} ms.`,
      ].join("\n"),
    );
  } finally {
    await browser?.close();
    await api.close();
    rmSync(consoleDir, { recursive: true, force: true });
  }
}

await main();
