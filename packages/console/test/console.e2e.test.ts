import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { collectReport, systemClock } from "@compliance/agent";
import type { Browser, Locator, Page } from "playwright-core";
import { applyPolicy, sendReports, startTestApi, type TestApi } from "./helpers/api.ts";
import {
  assertAccessible,
  LAPTOP,
  launchBrowser,
  openPage,
  PHONE,
  screenshot,
} from "./helpers/browser.ts";
import {
  AUDIT_DIFF_E2_E4,
  AUDIT_HOST,
  AUDIT_PACKAGES,
  auditReports,
  auditTimes,
  fleetReports,
  NO_REDIS_ON_PAYMENT_HOSTS,
  OFFENDING_PROCESS,
  UNKNOWN_PACKAGES_HOST,
  UNKNOWN_PACKAGES_REASON,
} from "./helpers/fleet.ts";

/**
 * The console against a real API and a real browser: the empty fleet, a wrong token, the
 * API down, then a fleet of real and generated reports walked through as a compliance
 * analyst would. Any console error or uncaught exception in the page fails the test.
 */

let api: TestApi;
let browser: Browser;
const stateDir = mkdtempSync(join(tmpdir(), "compliance-console-agent-"));
/** When the fleet's reports were dated: the compliance walk-through reads the same times. */
let fleetNow = 0;

before(async () => {
  // Both are kept even when the other fails, so that after() closes what did start and a
  // failed start ends the run instead of leaving a browser holding it open.
  const [started, launched] = await Promise.allSettled([startTestApi(), launchBrowser()]);
  if (started.status === "fulfilled") api = started.value;
  if (launched.status === "fulfilled") browser = launched.value;
  for (const r of [started, launched]) if (r.status === "rejected") throw r.reason;
});

after(async () => {
  await browser?.close();
  await api?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

async function signIn(page: Page, token: string) {
  await page.goto(`${api.url}/#/`);
  await page.getByLabel("Access token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

const textOf = async (locator: Locator) => ((await locator.textContent()) ?? "").trim();

const texts = async (page: Page | Locator, selector: string) =>
  (await page.locator(selector).allInnerTexts()).map((t) => t.trim());

/**
 * The texts of a selector once they equal what is expected, or as they are after a few
 * seconds (a tab's panel fills after its request answers), for the assertion to show.
 */
async function settledTexts(page: Page, selector: string, expected: string[]) {
  const want = JSON.stringify(expected);
  await page
    .waitForFunction(
      ([sel, json]) =>
        JSON.stringify(
          [...document.querySelectorAll(sel!)].map((e) => (e.textContent ?? "").trim()),
        ) === json,
      [selector, want],
      { timeout: 10_000 },
    )
    .catch(() => {});
  return texts(page, selector);
}

/** Names in the first column of a diff section's table, in order. */
const diffNames = (page: Page, title: string) =>
  texts(page, `section:has(> h3:text-is("${title}")) tbody tr td:first-child`);

/** The first `n` cells of each row of a diff section's table. */
const diffRows = (page: Page, title: string, n: number) =>
  page
    .locator(`section:has(> h3:text-is("${title}")) tbody tr`)
    .evaluateAll(
      (rows, n) =>
        rows.map((r) =>
          [...(r as HTMLTableRowElement).cells]
            .slice(0, n)
            .map((c) => (c.textContent ?? "").trim()),
        ),
      n,
    );

/** The names in the open inventory tab's table, in the order shown. */
const tabNames = (page: Page, tab: string) => texts(page, `#panel-${tab} tbody tr td:first-child`);

/** The local (here UTC) value an <input type=datetime-local> takes for an instant. */
const localInput = (ms: number) => new Date(ms).toISOString().slice(0, 19);

/** How the console writes an instant (local time, here UTC, to the second). */
const shownTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

// Budgets with room: on a machine busy with other work the browser runs several times slower.
describe("console", { timeout: 150_000 }, () => {
  test("a wrong token is refused, and a refused token sends back to sign-in", async () => {
    const { page, problems, close } = await openPage(browser, {
      allow: [/status of 401/],
    });
    try {
      await signIn(page, "not-a-valid-token-0123456789");
      const alert = page.getByRole("alert");
      await alert.waitFor();
      assert.match(await textOf(alert), /This token is not valid/);
      assert.equal(await page.evaluate(() => sessionStorage.getItem("compliance.token")), null);
      await assertAccessible(page, "sign-in, token refused");
      await screenshot(page, "signin-wrong-token");

      // A token that stops working mid-session (revoked, say) leads back to sign-in.
      await page.evaluate(() => sessionStorage.setItem("compliance.token", "revoked-token-xyz"));
      await page.goto(`${api.url}/#/hosts`);
      await page.reload();
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      assert.match(await textOf(page.locator(".notice")), /refused your token/);
      assert.equal(await page.evaluate(() => sessionStorage.getItem("compliance.token")), null);
    } finally {
      await close();
    }
    assert.deepEqual(problems, []);
  });

  test("an empty fleet says how to enroll the first host", async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      await signIn(page, api.adminToken);
      await page.getByRole("heading", { name: "No hosts yet" }).waitFor();
      const command = await textOf(
        page.getByRole("figure", { name: "Command to enroll a server" }).locator("pre"),
      );
      assert.equal(
        command.trim(),
        `COMPLIANCE_SERVER_URL=${api.url} COMPLIANCE_ENROLL_SECRET=<enroll secret> compliance-agent run --once`,
      );
      assert.match(await textOf(page.locator(".enroll")), /data\/enroll-secret/);
      await assertAccessible(page, "empty fleet");
      await screenshot(page, "empty");
      await page.getByRole("link", { name: "Hosts", exact: true }).click();
      await page.getByRole("heading", { name: "No hosts yet" }).waitFor();
    } finally {
      await close();
    }
    assert.deepEqual(problems, []);
  });

  test("the API down is said as such, and the console recovers", async () => {
    const { page, problems, close } = await openPage(browser, {
      allow: [/ERR_CONNECTION_REFUSED|ERR_FAILED/],
    });
    try {
      await signIn(page, api.adminToken);
      await page.getByRole("heading", { name: "Fleet overview" }).waitFor();
      await page.route("**/api/v1/**", (route) => route.abort("connectionrefused"));
      await page.reload();
      await page.getByRole("heading", { name: "Cannot reach the Compliance API" }).waitFor();
      assert.match(await textOf(page.getByRole("alert")), /compliance-api is running/);
      await assertAccessible(page, "API down");
      await screenshot(page, "api-down");
      await page.unroute("**/api/v1/**");
      await page.getByRole("button", { name: "Try again" }).click();
      await page.getByRole("heading", { name: "No hosts yet" }).waitFor();
    } finally {
      await close();
    }
    assert.deepEqual(problems, []);
  });

  test("an analyst finds a host, reads its processes, compares executions and looks back in time", async () => {
    const now = Date.now();
    fleetNow = now;
    const real = await collectReport({ stateDir, cpuWindowMs: 100, clock: systemClock() });
    await sendReports(api, [real, ...fleetReports(now), ...auditReports(now)]);
    const [, e2, e3] = auditTimes(now);

    const { page, problems, close } = await openPage(browser);
    try {
      // Sign in with a reader token: everything here is read-only.
      await signIn(page, api.readerToken);
      await page.getByRole("heading", { name: "Fleet overview" }).waitFor();
      await page.locator(".kpi").first().waitFor();
      assert.match(await textOf(page.locator(".kpi").first()), /^9\s*Hosts/);
      assert.match(
        await textOf(page.locator(".card", { hasText: "Operating systems" })),
        /Debian GNU\/Linux 12/,
      );
      await screenshot(page, "overview");

      // The list, then a search by a running process that only one host has (the machine
      // running the tests may well run redis or nginx itself).
      await page.getByRole("link", { name: "Hosts", exact: true }).click();
      await page.locator("table.table-hosts tbody tr").first().waitFor();
      assert.equal(await page.locator("table.table-hosts tbody tr").count(), 9);
      await assertAccessible(page, "host list");
      await screenshot(page, "hosts");
      await page.getByLabel("Search hosts").fill("java-payments");
      await page.waitForFunction(
        () => document.querySelectorAll("table.table-hosts tbody tr").length === 1,
      );
      assert.deepEqual(await texts(page, "table.table-hosts tbody .host-link"), [AUDIT_HOST]);
      assert.match(page.url(), /q=java-payments/);

      // Sorting is the API's: the heading asks for the other direction.
      await page.getByLabel("Search hosts").fill("web-0");
      await page.waitForFunction(
        () => document.querySelectorAll("table.table-hosts tbody tr").length === 3,
      );
      await page.getByRole("button", { name: /^Host/ }).click();
      await page.waitForFunction(
        () =>
          document.querySelector("table.table-hosts tbody .host-link")?.textContent === "web-03",
      );
      assert.deepEqual(await texts(page, "table.table-hosts tbody .host-link"), [
        "web-03",
        "web-02",
        "web-01",
      ]);
      assert.equal(
        await page.locator("table.table-hosts th", { hasText: "Host" }).getAttribute("aria-sort"),
        "descending",
      );
      await page.getByLabel("Search hosts").fill("java-payments");
      await page.waitForFunction(
        () => document.querySelectorAll("table.table-hosts tbody tr").length === 1,
      );

      // The host: its facts and its processes now.
      await page.getByRole("link", { name: AUDIT_HOST }).click();
      await page.getByRole("heading", { name: AUDIT_HOST, level: 1 }).waitFor();
      const facts = await textOf(page.locator(".facts"));
      assert.match(facts, /6\.1\.0-20-amd64/);
      assert.match(facts, /10\.20\.1\.15/);
      const java = page.locator("table.table-processes tbody tr", { hasText: "java-payments" });
      await java.waitFor();
      assert.equal((await textOf(java.locator("td").nth(2))).trim(), "payments");
      assert.match(await textOf(java), /gateway\.jar/);
      // Sorted by CPU by default: the busiest process first.
      assert.match(
        await textOf(page.locator("table.table-processes tbody tr").first()),
        /java-payments/,
      );
      await page.getByLabel("Search processes").fill("redis");
      await page.waitForFunction(
        () => document.querySelectorAll("table.table-processes tbody tr").length === 1,
      );
      await page.getByLabel("Search processes").fill("");
      await page.waitForFunction(
        () => document.querySelectorAll("table.table-processes tbody tr").length === 6,
      );
      await assertAccessible(page, "host: processes");
      await screenshot(page, "host");

      // The sessions of the latest execution.
      await page.getByRole("tab", { name: /Sessions/ }).click();
      assert.deepEqual(await settledTexts(page, "#panel-sessions tbody td:first-child", ["bob"]), [
        "bob",
      ]);
      await assertAccessible(page, "host: sessions");
      await page.getByRole("tab", { name: /Processes/ }).click();

      // The timeline: one point per execution, picked with the keyboard...
      const points = page.locator('[role="listbox"] [role="option"]');
      assert.equal(await points.count(), 4);
      await points.nth(0).focus();
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "Picked execution" }).waitFor();
      await page.locator("table.table-processes tbody tr", { hasText: "backup-agent" }).waitFor();
      assert.equal(await points.nth(1).getAttribute("aria-selected"), "true");
      await assertAccessible(page, "host: a picked execution");
      await screenshot(page, "history-execution");

      // ...and a second one with the pointer: the diff of E2 → E4.
      await points.nth(3).click();
      await page.getByRole("heading", { name: "What changed from A to B" }).waitFor();
      await page.locator("#diff-started").waitFor();
      assert.deepEqual(await diffNames(page, "Processes started"), [...AUDIT_DIFF_E2_E4.started]);
      assert.deepEqual(await diffNames(page, "Processes ended"), [...AUDIT_DIFF_E2_E4.ended]);
      assert.deepEqual(await diffNames(page, "Sessions opened"), [...AUDIT_DIFF_E2_E4.opened]);
      assert.deepEqual(await diffNames(page, "Sessions closed"), [...AUDIT_DIFF_E2_E4.closed]);
      assert.deepEqual(await diffNames(page, "Facts changed"), [...AUDIT_DIFF_E2_E4.facts]);

      // The inventory's changes: a package upgraded (old → new), a service stopped and
      // disabled, sockets, accounts and an sshd option.
      const d = AUDIT_DIFF_E2_E4;
      assert.deepEqual(await diffNames(page, "Packages installed"), [...d.packagesInstalled]);
      assert.deepEqual(
        await diffRows(page, "Packages upgraded (or downgraded)", 2),
        d.packagesUpgraded.map((r) => [...r]),
      );
      assert.equal(await page.locator('section:has(> h3:text-is("Packages removed"))').count(), 0);
      assert.deepEqual(
        await diffRows(page, "Sockets opened", 3),
        d.socketsOpened.map((r) => [...r]),
      );
      assert.deepEqual(
        await diffRows(page, "Sockets closed", 3),
        d.socketsClosed.map((r) => [...r]),
      );
      assert.deepEqual(await diffNames(page, "Accounts added"), [...d.accountsAdded]);
      assert.deepEqual(await diffNames(page, "Accounts changed"), [...d.accountsChanged]);
      assert.deepEqual(await diffNames(page, "Services added"), [...d.servicesAdded]);
      assert.deepEqual(
        await diffRows(page, "Services changed", 2),
        d.servicesChanged.map((r) => [...r]),
      );
      assert.deepEqual(await diffNames(page, "Settings changed"), [...d.settingsChanged]);
      const chips = await texts(page, '[aria-label="Summary of changes"] li');
      assert.ok(chips.includes("1 package upgraded"), chips.join(" | "));
      assert.ok(chips.includes("1 service changed"), chips.join(" | "));
      assert.equal(await page.getByText("Not collected on one side").count(), 0);
      await assertAccessible(page, "host: a diff");
      await screenshot(page, "history-diff");

      // At a time: half an hour after E2, before E3.
      await page.getByRole("button", { name: "Clear comparison" }).click();
      await page.getByRole("heading", { name: "Now" }).waitFor();
      // As a reader would, the time is typed once the snapshot shown has loaded.
      await page.locator("table.table-processes tbody tr").first().waitFor();
      await page.waitForFunction(() => !document.querySelector(".snapshot .is-stale"));
      const at = e2! + 30 * 60_000;
      assert.ok(at < e3!);
      await page.getByLabel("What ran at").fill(localInput(at));
      assert.equal(await page.getByLabel("What ran at").inputValue(), localInput(at));
      await page.getByRole("button", { name: "Show", exact: true }).click();
      await page.getByRole("heading", { name: `At ${shownTime(at)}` }).waitFor();
      await page.locator("table.table-processes tbody tr", { hasText: "backup-agent" }).waitFor();
      const thenRunning = await texts(page, "table.table-processes tbody .proc-name .strong");
      assert.ok(thenRunning.includes("nginx"), "nginx still ran then");
      assert.ok(!thenRunning.includes("redis-server"), "redis-server had not started then");
      await page.getByRole("tab", { name: /Sessions/ }).click();
      assert.deepEqual(
        await settledTexts(page, "#panel-sessions tbody td:first-child", ["alice"]),
        ["alice"],
      );
      await screenshot(page, "at-a-time");

      // The raw report of the execution shown, saved as a file.
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: "Download raw report" }).click(),
      ]);
      const saved = JSON.parse(readFileSync((await download.path())!, "utf8"));
      assert.equal(saved.host.hostname, AUDIT_HOST);
      assert.equal(saved.collected_at, new Date(e2!).toISOString());

      // The dark scheme, for those who have their system set so.
      await page.emulateMedia({ colorScheme: "dark" });
      await page.getByRole("heading", { name: /^At / }).waitFor();
      await screenshot(page, "at-a-time-dark");
      await page.emulateMedia({ colorScheme: "light" });

      // The packages then (E2), sorted by name, and now (E4); the tab stays as time moves.
      await page.getByRole("tab", { name: "Packages" }).click();
      await page.locator("#panel-packages tbody tr").first().waitFor();
      assert.deepEqual(await tabNames(page, "packages"), [...AUDIT_PACKAGES.e2]);
      assert.match(
        await textOf(page.locator("#panel-packages tbody tr", { hasText: "openssl" })),
        /3\.0\.11-1~deb12u2/,
      );
      await assertAccessible(page, "host: packages at a time");
      await screenshot(page, "at-a-time-packages");
      await page.getByRole("button", { name: "Back to now" }).click();
      await page.getByRole("heading", { name: "Now" }).waitFor();
      await page.waitForFunction(
        (n) => document.querySelectorAll("#panel-packages tbody tr").length === n,
        AUDIT_PACKAGES.latest.length,
      );
      assert.deepEqual(await tabNames(page, "packages"), [...AUDIT_PACKAGES.latest]);
      assert.match(
        await textOf(page.locator("#panel-packages tbody tr", { hasText: "openssl" })),
        /3\.0\.13-1~deb12u1/,
      );
      // Searched by the API, as the processes are.
      await page.getByLabel("Search packages").fill("linux-image");
      await page.waitForFunction(
        () => document.querySelectorAll("#panel-packages tbody tr").length === 2,
      );
      assert.match(page.url(), /pkq=linux-image/);

      // The tabs by keyboard: arrows move along them, Enter opens one.
      await page.getByRole("tab", { name: "Packages" }).focus();
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("Enter");
      await page.locator("#panel-listening tbody tr").first().waitFor();
      assert.deepEqual((await texts(page, "#panel-listening tbody td:nth-child(3)")).sort(), [
        "22",
        "6379",
        "8443",
      ]);
      await assertAccessible(page, "host: listening");
      await page.getByRole("tab", { name: "Accounts" }).click();
      await page.locator("#panel-accounts tbody tr").first().waitFor();
      await assertAccessible(page, "host: accounts");
      await page.getByRole("tab", { name: "Services" }).click();
      assert.match(
        await textOf(page.locator("#panel-services tbody tr", { hasText: "nginx.service" })),
        /inactive\s*disabled/,
      );
      await assertAccessible(page, "host: services");
      await page.getByRole("tab", { name: "Settings" }).click();
      const sshd = page.locator("section", {
        has: page.getByRole("heading", { name: "sshd options" }),
      });
      assert.match(
        await textOf(sshd.locator("tr", { hasText: "passwordauthentication" })),
        /passwordauthentication\s*no/,
      );
      await assertAccessible(page, "host: settings");
      await screenshot(page, "settings");

      // A host that could not read its package database: unknown, with the agent's reason,
      // never "no package".
      await page.goto(`${api.url}/#/hosts?q=${UNKNOWN_PACKAGES_HOST}`);
      await page.getByRole("link", { name: UNKNOWN_PACKAGES_HOST }).click();
      await page.getByRole("heading", { name: UNKNOWN_PACKAGES_HOST, level: 1 }).waitFor();
      await page.getByRole("tab", { name: "Packages" }).click();
      const unknown = page.locator("#panel-packages [role=note]");
      await unknown.waitFor();
      assert.match(await textOf(unknown), /Not collected\./);
      assert.ok((await textOf(unknown)).includes(UNKNOWN_PACKAGES_REASON));
      assert.equal(await page.locator("#panel-packages table").count(), 0);
      assert.doesNotMatch(await textOf(page.locator("#panel-packages")), /No package/);
      // Its settings were not collected either; its sockets were.
      await page.getByRole("tab", { name: "Settings" }).click();
      assert.match(await textOf(page.locator("#panel-settings [role=note]")), /Not collected\./);
      await page.getByRole("tab", { name: "Listening" }).click();
      await page.locator("#panel-listening tbody tr").first().waitFor();
      assert.deepEqual(await texts(page, "#panel-listening tbody td:nth-child(3)"), ["22"]);
      await page.getByRole("tab", { name: "Packages" }).click();
      await unknown.waitFor();
      await assertAccessible(page, "host: packages not collected");
      await screenshot(page, "packages-not-collected");

      // The real agent's host is in the fleet too.
      await page.goto(`${api.url}/#/hosts?q=${encodeURIComponent(real.host.hostname)}`);
      await page.locator("table.table-hosts tbody .host-link").first().waitFor();
      assert.ok(
        (await texts(page, "table.table-hosts tbody .host-link")).includes(real.host.hostname),
      );

      // A phone-sized screen.
      await page.setViewportSize(PHONE);
      await page.goto(`${api.url}/#/hosts`);
      await page.locator("table.table-hosts tbody tr").first().waitFor();
      await screenshot(page, "phone-hosts");
      await page.getByRole("link", { name: AUDIT_HOST }).click();
      await page.locator('[role="listbox"] [role="option"]').first().waitFor();
      await assertAccessible(page, "host on a phone");
      await screenshot(page, "phone-host");
      await page.setViewportSize(LAPTOP);

      // Sign out: the token is gone, a reload stays signed out.
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.getItem("compliance.token")), null);
      await page.reload();
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      await assertAccessible(page, "sign-in");
      await screenshot(page, "signin");
    } catch (e) {
      await screenshot(page, "failure").catch(() => {});
      throw e;
    } finally {
      await close();
    }
    assert.deepEqual(problems, []);
  });
});

/**
 * Compliance, on the fleet the walk-through above sent: its own time budget, since the
 * evaluation of a policy over that history comes on top.
 */
describe("console: compliance", { timeout: 150_000 }, () => {
  test("a compliance analyst finds a failing policy, the host failing it, since when and why, now and back then", async () => {
    // The fleet of the walk-through above is in place. The starter pack and a new policy
    // are stored as the API's start and an admin would; their evaluation over that history
    // waits until the test runs it.
    assert.ok(fleetNow > 0, "the fleet was sent");
    const [, e2, e3] = auditTimes(fleetNow);
    const policy = NO_REDIS_ON_PAYMENT_HOSTS;
    await api.loadStarterPack();
    await applyPolicy(api, policy);

    const { page, problems, close } = await openPage(browser);
    try {
      await signIn(page, api.readerToken);
      await page.getByRole("heading", { name: "Fleet overview" }).waitFor();

      // The policies, from the main navigation: the new one not evaluated yet.
      await page
        .getByRole("navigation", { name: "Main" })
        .getByRole("link", { name: "Policies" })
        .click();
      await page.getByRole("heading", { name: "Policies", level: 1 }).waitFor();
      const row = page.locator(`tr[data-policy="${policy.id}"]`);
      await row.waitFor();
      assert.match(await textOf(row), /9 not evaluated yet/);
      assert.match(await textOf(page.locator(".notice").first()), /compliance-api policy apply/);

      // Its page says its evaluation over the stored history is waiting, then done.
      await row.getByRole("link", { name: policy.name, exact: true }).click();
      await page.getByRole("heading", { name: policy.name, level: 1 }).waitFor();
      await page.getByText("Evaluating version 1 over the stored history").waitFor();
      await screenshot(page, "policy-evaluating");
      assert.ok((await api.runJobs()) >= 1, "the evaluation ran");
      await page.getByText("has been evaluated over the stored history of 9 hosts").waitFor();

      // The failing host and since when: E3, when redis-server started.
      await page.getByRole("tab", { name: "Failing (1)" }).waitFor();
      const failing = page.locator("#panel-failing tbody tr");
      await failing.first().waitFor();
      assert.equal(await failing.count(), 1);
      assert.equal(await textOf(failing.locator("td").first()), AUDIT_HOST);
      assert.match(await textOf(failing.locator("td").nth(1)), new RegExp(shownTime(e3!)));
      const about = await textOf(page.locator(".about"));
      assert.match(about, /use the cache tier/);
      assert.match(about, /PCI DSS 4\.0 requirement 2\.2\.3/);
      assert.match(await textOf(page.locator(".subtitle")), /version 1/);
      // The chart is read again once the evaluation has filled the past in.
      await page.waitForFunction(() =>
        /^Now 1 failing, 0 unknown, 8 passing/.test(
          document.querySelector("svg.cc[role=img]")?.getAttribute("aria-label") ?? "",
        ),
      );
      await assertAccessible(page, "policy page");
      await screenshot(page, "policy");

      // The other statuses are a tab away, by keyboard too.
      await page.getByRole("tab", { name: /^Failing/ }).focus();
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("Enter");
      await page.getByRole("tab", { name: "Passing (8)", selected: true }).waitFor();
      await page.waitForFunction(
        () => document.querySelectorAll("#panel-passing tbody tr").length === 8,
      );
      assert.ok(!(await texts(page, "#panel-passing tbody td:first-child")).includes(AUDIT_HOST));
      await page.getByRole("tab", { name: /^Unknown/ }).click();
      await page.getByText("No host is unknown for this policy now").waitFor();

      // The list again: failing policies first, worst severity first; this one fails once.
      await page.getByRole("link", { name: "Policies", exact: true }).first().click();
      await row.waitFor();
      await page.waitForFunction(
        (id) =>
          /^1$/.test(
            document
              .querySelector(`tr[data-policy="${id}"] td:nth-child(3)`)
              ?.textContent?.trim() ?? "",
          ),
        policy.id,
      );
      const ranks = await page.locator("table.table-policies tbody tr").evaluateAll((rows) =>
        rows.map((r) => ({
          failing: Number((r as HTMLTableRowElement).cells[2]!.textContent) > 0,
          severity: ["critical", "high", "medium", "low"].indexOf(
            ((r as HTMLTableRowElement).cells[1]!.textContent ?? "").trim().toLowerCase(),
          ),
        })),
      );
      assert.equal(ranks.length, 24, "the starter pack's 23 policies and this one");
      const firstPassing = ranks.findIndex((r) => !r.failing);
      assert.ok(firstPassing > 0 && ranks.slice(firstPassing).every((r) => !r.failing));
      const failingRanks = ranks.slice(0, firstPassing).map((r) => r.severity);
      assert.deepEqual(
        failingRanks,
        [...failingRanks].sort((a, b) => a - b),
      );
      await row.locator("svg[role=img]").waitFor();
      assert.match(
        (await row.locator("svg[role=img]").getAttribute("aria-label")) ?? "",
        /^Now 1 failing/,
      );
      await assertAccessible(page, "policies page");
      await screenshot(page, "policies");

      // The host, from the policy's page: its compliance now, failing first, and why.
      await row.getByRole("link", { name: policy.name, exact: true }).click();
      await failing.first().waitFor();
      await failing.getByRole("link", { name: AUDIT_HOST }).click();
      await page.getByRole("heading", { name: AUDIT_HOST, level: 1 }).waitFor();
      const hostNow = page.url();
      assert.match(hostNow, /#\/hosts\/\d+\?tab=compliance$/);
      await page
        .getByRole("tab", { name: /^Compliance \(\d+ failing\)$/, selected: true })
        .waitFor();
      const mine = page.locator(`#panel-compliance tr[data-policy="${policy.id}"]`);
      await mine.waitFor();
      assert.equal(await textOf(mine.locator(":scope > td").first()), "Fail");
      assert.match(await textOf(mine.locator(":scope > td").nth(2)), new RegExp(shownTime(e3!)));
      const why = mine.locator(".why");
      assert.match(await textOf(why), /1 process matching/);
      const evidence = why.locator("tr", { hasText: OFFENDING_PROCESS.cmdline });
      assert.deepEqual(
        await evidence
          .locator("td")
          .evaluateAll((cells) => cells.slice(0, 3).map((c) => c.textContent)),
        [OFFENDING_PROCESS.pid, OFFENDING_PROCESS.name, OFFENDING_PROCESS.user],
      );
      const statuses = await texts(
        page,
        "#panel-compliance table.table-compliance > tbody > tr > td:first-child",
      );
      const firstNotFailing = statuses.findIndex((t) => t !== "Fail");
      assert.ok(
        statuses.slice(firstNotFailing).every((t) => t !== "Fail"),
        "failing first",
      );
      assert.equal(statuses.length, 24);
      await assertAccessible(page, "host compliance");
      await screenshot(page, "host-compliance");

      // Half an hour after E2, redis-server did not run yet: the same policy passed.
      await page.getByLabel("What ran at").fill(localInput(e2! + 30 * 60_000));
      await page.getByRole("button", { name: "Show", exact: true }).click();
      await page.getByRole("heading", { name: /^At / }).waitFor();
      await page.waitForFunction(
        (id) =>
          document.querySelector(`#panel-compliance tr[data-policy="${id}"] td`)?.textContent ===
          "Pass",
        policy.id,
      );
      assert.equal(await mine.locator(".why").count(), 0, "a pass needs no why");
      assert.match(page.url(), /tab=compliance/);
      await screenshot(page, "host-compliance-then");

      // "Since" leads to the execution where the failure began.
      await page.getByRole("button", { name: "Back to now" }).click();
      await page.getByRole("heading", { name: "Now" }).waitFor();
      // The earlier answer stays on screen, dimmed, until now's arrives.
      await page.waitForFunction(
        (id) =>
          !document.querySelector("#panel-compliance .is-stale") &&
          document.querySelector(`#panel-compliance tr[data-policy="${id}"] td`)?.textContent ===
            "Fail",
        policy.id,
      );
      await mine.locator(":scope > td").nth(2).getByRole("link").click();
      await page.getByRole("heading", { name: `At ${shownTime(e3!)}` }).waitFor();
      await page.waitForFunction(
        (id) =>
          document.querySelector(`#panel-compliance tr[data-policy="${id}"] td`)?.textContent ===
          "Fail",
        policy.id,
      );

      // The overview: compliant hosts out of all, failures by severity, the most failed.
      await page.getByRole("link", { name: "Overview" }).click();
      const summary = page.locator("section.card", { has: page.locator("#compliance-title") });
      await summary.getByRole("list", { name: "Most failed policies" }).waitFor();
      assert.match(await textOf(summary.locator(".kpi").first()), /^\d+\s*of 9\s*Compliant hosts/);
      assert.match(await textOf(summary), /High failures/);
      const counts = (await texts(summary, ".bar-count")).map((t) => Number.parseInt(t, 10));
      assert.deepEqual(
        counts,
        [...counts].sort((a, b) => b - a),
        "most failed first",
      );
      const top = summary.locator(".bar-row").first();
      const topName = await top.getAttribute("href");
      await assertAccessible(page, "overview");
      await screenshot(page, "overview-compliance");
      await top.click();
      await page.waitForURL(`**/${topName}`);
      await page.getByRole("tab", { name: /^Failing/, selected: true }).waitFor();

      // The dark scheme and a phone-sized screen.
      await page.emulateMedia({ colorScheme: "dark" });
      await page.getByRole("link", { name: "Policies", exact: true }).first().click();
      await row.waitFor();
      await screenshot(page, "policies-dark");
      await page.emulateMedia({ colorScheme: "light" });
      await page.setViewportSize(PHONE);
      await page.goto(hostNow);
      await mine.waitFor();
      await screenshot(page, "phone-host-compliance");
      await page.setViewportSize(LAPTOP);
    } catch (e) {
      await screenshot(page, "failure-compliance").catch(() => {});
      throw e;
    } finally {
      await close();
    }
    assert.deepEqual(problems, []);
  });
});
