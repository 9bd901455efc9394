import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
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
 * What an accessibility checker would flag first, checked in the page as it is: every
 * form control, button, link, tab and chart without an accessible name; every table
 * without column headers; and ids used twice (labels and ARIA references would point at
 * the wrong element). Returns one line per problem.
 */
export function accessibilityProblems(page: Page): Promise<string[]> {
  // No named functions inside: the test loader would wrap them in a helper the page lacks.
  return page.evaluate(() => {
    const problems: string[] = [];
    const controls = document.querySelectorAll(
      "input:not([type=hidden]), select, textarea, progress, button, a[href], [role=tab], svg[role=img]",
    );
    for (const el of controls) {
      const by = el.getAttribute("aria-labelledby");
      const isField = el.matches("input, select, textarea, progress");
      const named =
        Boolean(el.getAttribute("aria-label")?.trim()) ||
        Boolean(by?.split(/\s+/).every((id) => document.getElementById(id))) ||
        Boolean((el as HTMLInputElement).labels?.length) ||
        Boolean(el.getAttribute("title")?.trim()) ||
        (!isField && (el.textContent ?? "").trim().length > 0);
      if (!named) {
        const text = (el.textContent ?? "").trim().slice(0, 40);
        problems.push(`no accessible name: ${el.tagName.toLowerCase()}#${el.id} "${text}"`);
      }
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
