import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { makeProcess, makeReport } from "../../api/test/helpers/reports.ts";
import { sendReports, startTestApi, type TestApi } from "./helpers/api.ts";
import { launchBrowser, openPage, PHONE, screenshot } from "./helpers/browser.ts";

/**
 * The host page's timeline on a phone: three days of history, so that the time axis reads
 * "MM-DD HH:MM", the widest its labels get; none of them may overlap another.
 */
const HOUR = 3600_000;
const NOW = Date.now();
/** Every two hours over three days, the latest an hour ago. */
const TIMES = Array.from({ length: 36 }, (_, k) => NOW - HOUR - (35 - k) * 2 * HOUR);

/** The check-ins (by index) whose CPU use is unknown: two in a row. */
const CPU_UNKNOWN = [20, 21];

let api: TestApi;
let browser: Browser;
let hostId = 0;

before(async () => {
  const [started, launched] = await Promise.allSettled([startTestApi(), launchBrowser()]);
  if (started.status === "fulfilled") api = started.value;
  if (launched.status === "fulfilled") browser = launched.value;
  for (const r of [started, launched]) if (r.status === "rejected") throw r.reason;
  const ids = await sendReports(
    api,
    TIMES.map((t, k) => {
      const r = makeReport({
        identifier: "hist-01",
        collected_at: new Date(t).toISOString(),
        processes: Array.from({ length: 3 + (k % 5) }, (_, i) => makeProcess({ pid: 100 + i })),
        // Two check-ins whose agent could not read the CPU use: a gap in that line, not a 0.
        ...(CPU_UNKNOWN.includes(k)
          ? { errors: [{ collector: "cpu", message: "cannot read /proc/stat" }] }
          : {}),
      });
      r.host = { ...r.host, hostname: "hist-01" };
      return r;
    }),
  );
  hostId = ids.get("hist-01")!;
});

after(async () => {
  await browser?.close();
  await api?.close();
});

/** The host's page on a phone, signed in with a reader's token. */
async function openHostPage() {
  const opened = await openPage(browser, { viewport: PHONE });
  const { page } = opened;
  try {
    await page.goto(`${api.url}/#/`);
    await page.getByLabel("Access token").fill(api.readerToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    await page.goto(`${api.url}/#/hosts/${hostId}`);
    return opened;
  } catch (e) {
    await opened.close();
    throw e;
  }
}

describe("the timeline on a phone", { timeout: 60_000 }, () => {
  test("at 390 px no two labels of the time axis overlap", async () => {
    const { page, problems, close } = await openHostPage();
    try {
      const points = page.locator('[role="listbox"] [role="option"]');
      await page.waitForFunction(
        (n) => document.querySelectorAll('[role="listbox"] [role="option"]').length === n,
        TIMES.length,
      );
      assert.equal(await points.count(), TIMES.length);
      assert.equal(page.viewportSize()?.width, 390);
      const labels = await page.locator(".timeline-svg .time-axis text").evaluateAll((texts) =>
        texts.map((t) => {
          const box = t.getBoundingClientRect();
          return { text: t.textContent ?? "", left: box.left, right: box.right };
        }),
      );
      assert.ok(labels.length >= 2, `at least the axis' two ends: ${JSON.stringify(labels)}`);
      for (const l of labels) assert.match(l.text, /^\d{2}-\d{2} \d{2}:\d{2}$/);
      const ordered = [...labels].sort((a, b) => a.left - b.left);
      for (let k = 1; k < ordered.length; k++) {
        const [a, b] = [ordered[k - 1]!, ordered[k]!];
        assert.ok(
          a.right <= b.left,
          `"${a.text}" (${a.left.toFixed(1)}–${a.right.toFixed(1)}) overlaps "${b.text}" (${b.left.toFixed(1)}–${b.right.toFixed(1)})`,
        );
      }
      // Nor do they run off the screen.
      assert.ok(ordered[0]!.left >= 0 && ordered.at(-1)!.right <= 390, JSON.stringify(ordered));
      await screenshot(page, "phone-timeline");
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test("an unknown CPU use is a gap in its line and a hollow dot, not a 0", async () => {
    const { page, problems, close } = await openHostPage();
    try {
      await page.locator(".timeline-svg .series-cpu path.line").waitFor({ state: "attached" });
      const subpaths = (selector: string) =>
        page
          .locator(selector)
          .getAttribute("d")
          .then((d) => (d ?? "").split("M").length - 1);
      assert.equal(await subpaths(".timeline-svg .series-cpu path.line"), 2, "broken once");
      assert.equal(await subpaths(".timeline-svg .series-cpu path.area"), 2);
      assert.equal(await subpaths(".timeline-svg .series-proc path.line"), 1, "processes known");
      assert.equal(
        await page.locator(".timeline-svg .series-cpu circle.dot-unknown").count(),
        CPU_UNKNOWN.length,
      );
      assert.equal(await page.locator(".timeline-svg .series-proc circle.dot-unknown").count(), 0);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
});
