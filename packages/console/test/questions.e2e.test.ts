import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Report } from "@compliance/contract";
import type { Browser, Page } from "playwright-core";
import { makeProcess, makeReport, makeSession } from "../../api/test/helpers/reports.ts";
import { sendReports, startTestApi, type TestApi } from "./helpers/api.ts";
import { assertAccessible, launchBrowser, openPage, screenshot } from "./helpers/browser.ts";

/**
 * The questions an auditor asks, each answered in the console by typing its terms and at
 * most two clicks, against a real API filled over HTTP:
 *   app-01: nginx throughout; two days ago root logged in from 10.0.0.9 for three hours
 *           while a backup ran, both gone before the next report; cron started 30 min ago.
 *   db-01:  bob logged in three days ago, gone 20 minutes ago.
 */
const NOW = Date.now();
const MIN = 60_000;
const HOUR = 60 * MIN;
const BASE = NOW - 2 * 24 * HOUR;
const T = {
  before: BASE,
  rootIn: BASE + HOUR,
  rootStill: BASE + 3 * HOUR,
  rootGone: BASE + 5 * HOUR,
  cron: NOW - 30 * MIN,
  dbFirst: NOW - 3 * 24 * HOUR,
  dbLast: NOW - 20 * MIN,
};
const iso = (ms: number) => new Date(ms).toISOString();
/** How the console shows and takes a time (the browser runs in UTC). */
const typed = (ms: number) => iso(ms).slice(0, 19).replace("T", " ");

const nginx = makeProcess({ pid: 900, name: "nginx", user: "www-data", cmdline: "nginx: master" });
const backup = makeProcess({
  pid: 4100,
  name: "backup",
  user: "root",
  cmdline: "/usr/local/bin/backup --all --to s3://vault",
});
const cron = makeProcess({ pid: 610, name: "cron", user: "root", cmdline: "/usr/sbin/cron -f" });
const postgres = makeProcess({ pid: 1000, name: "postgres", user: "postgres" });
const root = makeSession({
  user: "root",
  terminal: "pts/0",
  remote_host: "10.0.0.9",
  started_at: iso(T.rootIn - MIN),
});
const bob = makeSession({ user: "bob", terminal: "pts/1", remote_host: "10.0.0.7" });

function report(
  host: string,
  at: number,
  processes: Report["processes"],
  sessions: Report["sessions"],
) {
  const r = makeReport({ identifier: host, collected_at: iso(at), processes, sessions });
  r.host = { ...r.host, hostname: host };
  return r;
}

let api: TestApi;
let browser: Browser;
let appId = 0;

before(async () => {
  const [started, launched] = await Promise.allSettled([startTestApi(), launchBrowser()]);
  if (started.status === "fulfilled") api = started.value;
  if (launched.status === "fulfilled") browser = launched.value;
  for (const r of [started, launched]) if (r.status === "rejected") throw r.reason;
  const ids = await sendReports(api, [
    report("app-01", T.before, [nginx], []),
    report("app-01", T.rootIn, [nginx, backup], [root]),
    report("app-01", T.rootStill, [nginx], [root]),
    report("app-01", T.rootGone, [nginx], []),
    report("app-01", T.cron, [nginx, cron], []),
    report("db-01", T.dbFirst, [postgres], [bob]),
    report("db-01", T.dbLast, [postgres], []),
  ]);
  appId = ids.get("app-01")!;
  await feedSettled();
});

after(async () => {
  await browser?.close();
  await api?.close();
});

/** Waits until the change feed hands out every execution stored (it holds the newest back briefly). */
async function feedSettled() {
  for (;;) {
    const r = await fetch(`${api.url}/api/v1/changes?since=0&limit=500`, {
      headers: { authorization: `Bearer ${api.readerToken}` },
    });
    const body = (await r.json()) as { items: { report_id: string }[] };
    if (body.items.length === 7) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function signedIn(hash: string) {
  const watched = await openPage(browser);
  const { page } = watched;
  await page.goto(`${api.url}/#/`);
  await page.getByLabel("Access token").fill(api.readerToken);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
  await page.goto(`${api.url}/${hash}`);
  return watched;
}

/** The rows of the first table under main, cell texts trimmed, once some row has `want`. */
async function rowsWith(page: Page, want: string) {
  await page.locator("main tbody tr", { hasText: want }).first().waitFor();
  return page
    .locator("main tbody tr")
    .evaluateAll((rows) =>
      rows.map((r) =>
        [...(r as HTMLTableRowElement).cells].map((c) => (c.textContent ?? "").trim()),
      ),
    );
}

describe("questions answered in the console", { timeout: 90_000 }, () => {
  test("who logged in as root this week", async () => {
    const { page, problems, close } = await signedIn("#/search");
    try {
      await page.getByLabel("User").fill("root");
      await page.getByRole("button", { name: "Last 7 days" }).click();
      const rows = await rowsWith(page, "app-01");
      assert.equal(rows.length, 1);
      const [what, host, first, last, gone] = rows[0]!;
      assert.match(what!, /root on pts\/0 from 10\.0\.0\.9/);
      assert.equal(host, "app-01");
      assert.equal(first, typed(T.rootIn));
      assert.equal(last, typed(T.rootStill));
      assert.equal(gone, typed(T.rootGone));
      const link = await page.getByRole("link", { name: "app-01" }).getAttribute("href");
      assert.equal(link, `#/hosts/${appId}?at=${encodeURIComponent(iso(T.rootIn))}`);
      await assertAccessible(page, "sessions search");
      await screenshot(page, "question-root-this-week");
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test("what happened on a host between two times, a session opened and closed in between", async () => {
    const { page, problems, close } = await signedIn(`#/hosts/${appId}`);
    try {
      await page.getByRole("link", { name: "Activity in a window" }).click();
      await page.getByRole("heading", { name: "Activity on app-01" }).waitFor();
      await page.getByLabel("From", { exact: true }).fill(typed(T.before));
      await page.getByLabel("To (empty: now)").fill(typed(T.rootGone));
      await page.getByRole("button", { name: "Show activity" }).click();
      const rows = await rowsWith(page, "root on pts/0");
      const whats = rows.map((r) => r[0]!);
      assert.equal(rows.length, 3, whats.join(" | "));
      const session = rows.find((r) => /root on pts\/0/.test(r[0]!))!;
      assert.deepEqual(session.slice(1), [
        typed(T.rootIn),
        typed(T.rootStill),
        typed(T.rootGone),
        "2 h to 4 h",
        "started and ended",
      ]);
      const job = rows.find((r) => /backup/.test(r[0]!))!;
      assert.match(job[0]!, /backup as root pid 4100/);
      assert.match(job[0]!, /backup --all/);
      assert.ok(
        whats.some((w) => /nginx/.test(w)),
        "nginx ran throughout",
      );
      await assertAccessible(page, "host activity");
      // The same window fleet-wide.
      await page.getByRole("link", { name: "The whole fleet" }).click();
      await page.getByRole("heading", { name: "Activity in the fleet" }).waitFor();
      await page.locator("main tbody tr", { hasText: "db-01" }).first().waitFor();
      await assertAccessible(page, "fleet activity");
      await screenshot(page, "question-host-window");
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test("which hosts ran a process at a past time", async () => {
    const { page, problems, close } = await signedIn("#/search?what=processes");
    try {
      await page.getByLabel("Process name").fill("backup");
      await page.getByLabel("At (empty: now)").fill(typed(T.rootIn + 10 * MIN));
      await page.getByRole("button", { name: "Find hosts" }).click();
      const rows = await rowsWith(page, "app-01");
      assert.deepEqual(rows, [
        [
          "app-01",
          "backup",
          "4100",
          "root",
          "/usr/local/bin/backup --all --to s3://vault",
          typed(T.rootIn),
        ],
      ]);
      await assertAccessible(page, "process search");
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test("what changed fleet-wide in the last hour", async () => {
    const { page, problems, close } = await signedIn("#/changes");
    try {
      await page.getByLabel("Period").selectOption({ label: "Last hour" });
      await page.locator(".change-item", { hasText: "db-01" }).waitFor();
      const items = await page.locator(".change-item").allInnerTexts();
      assert.equal(items.length, 2, items.join("\n---\n"));
      assert.match(items[0]!, /db-01[\s\S]*Logged out\s+bob from 10\.0\.0\.7/);
      assert.match(items[1]!, /app-01[\s\S]*Started\s+cron/);
      assert.match(
        (await page.locator(".page-head").textContent()) ?? "",
        /Data as of \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/,
      );
      await assertAccessible(page, "change feed");
      await screenshot(page, "question-changes-last-hour");
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
});
