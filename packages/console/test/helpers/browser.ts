import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import axe from "axe-core";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's Chromium: the tests never download a browser. */
export const CHROMIUM_PATH = process.env.COMPLIANCE_CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
export const SCREENSHOT_DIR = join(ROOT, "test-results", "console");

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not at ${CHROMIUM_PATH}: install Debian's chromium package, or set COMPLIANCE_CHROMIUM`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions seen so far, but those `allow` lets through. */
  problems: string[];
  close(): Promise<void>;
}

export const LAPTOP = { width: 1366, height: 860 };
export const PHONE = { width: 390, height: 844 };

/**
 * A fresh browser context (its own sessionStorage), in UTC so the times the console shows
 * can be compared with the ones the test wrote, that records every console error.
 */
export async function openPage(
  browser: Browser,
  options: { viewport?: { width: number; height: number }; allow?: RegExp[] } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? LAPTOP,
    timezoneId: "UTC",
    locale: "en-US",
    acceptDownloads: true,
    isMobile: options.viewport === PHONE,
    hasTouch: options.viewport === PHONE,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const allow = options.allow ?? [];
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = message.text();
    if (!allow.some((re) => re.test(text))) problems.push(`console error: ${text}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  return { page, context, problems, close: () => context.close() };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // A full-page capture keeps the scroll position: at the top, the sticky bar stays on top.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/**
 * What axe-core's checks do not cover, in the page as it is: every tab without an
 * accessible name, every table without column headers (`th scope=col`), and ids used twice
 * (labels and ARIA references would point at the wrong element). One line per problem.
 */
function problemsAxeLeaves(page: Page): Promise<string[]> {
  // No named functions inside: the test loader would wrap them in a helper the page lacks.
  return page.evaluate(() => {
    const problems: string[] = [];
    for (const el of document.querySelectorAll("[role=tab]")) {
      const by = el.getAttribute("aria-labelledby");
      const named =
        Boolean(el.getAttribute("aria-label")?.trim()) ||
        Boolean(by?.split(/\s+/).every((id) => document.getElementById(id))) ||
        (el.textContent ?? "").trim().length > 0;
      if (!named) problems.push(`tab without an accessible name: #${el.id}`);
    }
    for (const table of document.querySelectorAll("table")) {
      if (!table.querySelector("thead th[scope=col]")) {
        problems.push(`table without column headers: ${table.className}`);
      }
    }
    const seen = new Set<string>();
    for (const el of document.querySelectorAll("[id]")) {
      if (seen.has(el.id)) problems.push(`id used twice: ${el.id}`);
      seen.add(el.id);
    }
    return problems;
  });
}

/**
 * axe-core's violations of the page as it is (its default rules: WCAG 2 A and AA and best
 * practices), one line per rule and element. axe is evaluated into the page through the
 * browser's protocol, which the console's Content-Security-Policy does not apply to.
 */
async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: typeof axe }).axe.run(document);
    return result.violations.map((v) => ({
      id: v.id,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary ?? ""}`),
    }));
  });
  return violations.flatMap((v) =>
    v.nodes.map((n) => `${v.id} (${v.help}) at ${n.replace(/\s+/g, " ")}`),
  );
}

/**
 * No accessibility problem on the page as shown, in the light colour scheme and in the
 * dark one (the console follows prefers-color-scheme): axe-core finds no violation, and
 * none of the problems axe leaves (problemsAxeLeaves). Back to light after.
 */
export async function assertAccessible(page: Page, where: string): Promise<void> {
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    const problems = [...(await axeViolations(page)), ...(await problemsAxeLeaves(page))];
    assert.deepEqual(problems, [], `${where} (${colorScheme})`);
  }
  await page.emulateMedia({ colorScheme: "light" });
}
