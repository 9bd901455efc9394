import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { makeReport } from "../../api/test/helpers/reports.ts";
import { sendReports, startTestApi, type TestApi } from "./helpers/api.ts";
import { assertAccessible, launchBrowser, openPage, PHONE, screenshot } from "./helpers/browser.ts";

/**
 * The admin pages (tokens, hosts' removal and keys, the audit trail) and the inventory
 * tables, against a real API filled over HTTP with three hosts.
 */
const NOW = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
const HOSTS = ["web-01", "web-02", "db-main-01"];

let api: TestApi;
let browser: Browser;
let ids = new Map<string, number>();

before(async () => {
  const [started, launched] = await Promise.allSettled([startTestApi(), launchBrowser()]);
  if (started.status === "fulfilled") api = started.value;
  if (launched.status === "fulfilled") browser = launched.value;
  for (const r of [started, launched]) if (r.status === "rejected") throw r.reason;
  ids = await sendReports(
    api,
    HOSTS.map((name, k) => {
      const r = makeReport({ identifier: name, collected_at: iso(NOW - (k + 1) * 60_000) });
      r.host = { ...r.host, hostname: name };
      // db-main-01 cannot read its sessions (no utmp): unknown, never 0.
      if (name === "db-main-01") {
        r.sessions = [];
        r.errors = [{ collector: "sessions", message: "no utmp file" }];
      }
      return r;
    }),
  );
});

after(async () => {
  await browser?.close();
  await api?.close();
});

async function signedIn(token: string, hash: string) {
  const watched = await openPage(browser);
  const { page } = watched;
  await page.goto(`${api.url}/#/`);
  await page.getByLabel("Access token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
  await page.goto(`${api.url}/${hash}`);
  return watched;
}

const cellsOf = (page: Page) =>
  page
    .locator("main tbody tr")
    .evaluateAll((rows) =>
      rows.map((r) =>
        [...(r as HTMLTableRowElement).cells].map((c) => (c.textContent ?? "").trim()),
      ),
    );

describe("admin and inventory pages", { timeout: 90_000 }, () => {
  test("the accessibility check flags what axe-core finds", async () => {
    const { page, close } = await openPage(browser);
    try {
      await page.setContent(
        '<html lang="en"><title>t</title><main><h1>t</h1><button></button></main></html>',
      );
      await assert.rejects(assertAccessible(page, "a nameless button"), /button-name/);
    } finally {
      await close();
    }
  });

  test("a reader sees no admin entry and is told why at the admin page", async () => {
    const { page, problems, close } = await signedIn(api.readerToken, "#/");
    try {
      await page.getByRole("link", { name: "Inventory" }).waitFor();
      assert.equal(await page.getByRole("link", { name: "Admin" }).count(), 0);
      await page.goto(`${api.url}/#/admin/tokens`);
      await page.getByRole("heading", { name: "This page is for admins" }).waitFor();
      await assertAccessible(page, "admin page for a reader");
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test("an admin creates and revokes a token, revokes a host's key, deletes a host, reads the audit trail", async () => {
    const { page, problems, close } = await signedIn(api.adminToken, "#/");
    try {
      await page.getByRole("link", { name: "Admin" }).click();
      await page.getByLabel("Token name").fill("ci exporter");
      await page.getByLabel("Role").selectOption("reader");
      await page.getByRole("button", { name: "Create token" }).click();
      await page.getByRole("heading", { name: "New token “ci exporter”" }).waitFor();
      const secret = (await page.locator(".new-token code").textContent()) ?? "";
      assert.ok(secret.length >= 20, "the new token is shown");
      await page.locator(".new-token").getByRole("button", { name: "Copy" }).waitFor();
      const row = page.locator("main tbody tr", { hasText: "ci exporter" });
      await row.waitFor();
      assert.match((await row.textContent()) ?? "", /reader.*never/);
      await assertAccessible(page, "tokens");

      await page.getByRole("button", { name: "Revoke token ci exporter" }).click();
      await page.getByRole("heading", { name: "Revoke the token “ci exporter”?" }).waitFor();
      await page.getByRole("button", { name: "Revoke ci exporter" }).click();
      await row.waitFor({ state: "detached" });
      const refused = await fetch(`${api.url}/api/v1/hosts`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      assert.equal(refused.status, 401);

      await page
        .getByRole("navigation", { name: "Admin" })
        .getByRole("link", { name: "Hosts" })
        .click();
      await page.getByRole("button", { name: "Revoke key of web-01" }).waitFor();
      await assertAccessible(page, "admin hosts");
      await page.getByRole("button", { name: "Revoke key of web-01" }).click();
      await page.getByRole("heading", { name: "Revoke the key of web-01?" }).waitFor();
      await page.getByRole("button", { name: "Revoke the key of web-01" }).click();
      await page.getByText("The key of web-01 was revoked").waitFor();

      await page.getByRole("button", { name: "Delete web-02" }).click();
      await page.getByRole("heading", { name: "Delete the host web-02?" }).waitFor();
      await assertAccessible(page, "delete a host");
      await page.getByRole("dialog").getByRole("button", { name: "Delete web-02" }).click();
      await page.getByText("web-02 was deleted with its history.").waitFor();
      await page.locator("main tbody tr", { hasText: "web-02" }).waitFor({ state: "detached" });

      await page.getByRole("link", { name: "Audit trail" }).click();
      await page.locator("main tbody tr", { hasText: "host.delete" }).waitFor();
      const actions = (await cellsOf(page)).map((r) => r[2]);
      assert.deepEqual(actions, ["host.delete", "host.revoke_key", "token.revoke", "token.create"]);
      await page.getByLabel("Action", { exact: true }).selectOption("host.delete");
      await page
        .locator("main tbody tr", { hasText: "host.revoke_key" })
        .waitFor({ state: "detached" });
      const deleted = await cellsOf(page);
      assert.equal(deleted.length, 1);
      assert.equal(deleted[0]![3], `host:${ids.get("web-02")}`);
      await page.getByLabel("Actor").fill("nobody-such");
      await page.getByText("No admin action recorded matches.").waitFor();
      await assertAccessible(page, "audit trail");
      await screenshot(page, "admin-audit");
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test("an inventory table, filtered by host, and its CSV", async () => {
    const { page, problems, close } = await signedIn(api.readerToken, "#/");
    try {
      await page.getByRole("link", { name: "Inventory" }).click();
      await page.locator("main tbody tr", { hasText: "db-main-01" }).waitFor();
      const dbId = String(ids.get("db-main-01"));
      await page.getByLabel("Host id").fill(dbId);
      await page.getByRole("button", { name: "Apply" }).click();
      await page.locator("main tbody tr", { hasText: "web-01" }).waitFor({ state: "detached" });
      const rows = await cellsOf(page);
      assert.deepEqual(
        rows.map((r) => r[1]),
        ["db-main-01"],
      );
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name: "Download CSV" }).click(),
      ]);
      assert.equal(download.suggestedFilename(), "platforms.csv");
      const csv = await readFile((await download.path())!, "utf8");
      const lines = csv.trim().split(/\r?\n/);
      assert.match(lines[0]!, /^host_id,hostname,/);
      assert.equal(lines.length, 2, csv);
      assert.match(lines[1]!, /db-main-01/);
      await page.getByRole("link", { name: "Processes per execution" }).click();
      await page.locator("main th", { hasText: "pid" }).first().waitFor();
      assert.match(page.url(), new RegExp(`/inventory/processes\\?host_id=${dbId}`));
      await assertAccessible(page, "inventory");
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test("the host list refreshes in place, overview sessions and narrow hostnames", async () => {
    const { page, problems, close } = await signedIn(api.readerToken, "#/");
    try {
      await page
        .getByText(/Data as of \d{2}:\d{2}:\d{2}/)
        .first()
        .waitFor();
      // web-02 was deleted; web-01 has one session; db-main-01's are unknown.
      const sessions = page.locator(".kpi", { hasText: "Open sessions" });
      await sessions.waitFor();
      assert.equal(await sessions.locator(".kpi-value").textContent(), "1");
      assert.equal(
        await sessions.locator(".kpi-hint").textContent(),
        "1 host unknown, not counted",
      );
      await page.goto(`${api.url}/#/hosts?q=new-`);
      await page.getByText("No host matches").waitFor();
      const late = makeReport({ identifier: "new-cache-07", collected_at: iso(Date.now()) });
      late.host = { ...late.host, hostname: "new-cache-07" };
      await sendReports(api, [late]);
      // A tab shown again refreshes at once, as the timer would.
      await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
      await page.locator("main tbody tr", { hasText: "new-cache-07" }).waitFor();
      assert.match(page.url(), /#\/hosts\?q=new-$/);
      assert.equal(await page.getByLabel("Search hosts").inputValue(), "new-");

      await page.setViewportSize(PHONE);
      await page.goto(`${api.url}/#/hosts`);
      const link = page.getByRole("link", { name: "db-main-01" });
      await link.waitFor();
      assert.equal(await link.evaluate((a) => getComputedStyle(a).whiteSpace), "nowrap");
      assert.equal(await link.getAttribute("title"), "db-main-01");
      await assertAccessible(page, "host list on a phone");
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test("the host list downloads as CSV as filtered, and shows unknown sessions as unknown", async () => {
    const { page, problems, close } = await signedIn(api.readerToken, "#/hosts?sort=-hostname");
    try {
      await page.locator("main tbody tr", { hasText: "web-01" }).waitFor();
      await page.getByLabel("Search hosts").fill("db-main");
      await page.locator("main tbody tr", { hasText: "web-01" }).waitFor({ state: "detached" });
      const rows = await cellsOf(page);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]![5], "unknown", "db-main-01's sessions are unknown, not 0");
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name: "Download CSV" }).click(),
      ]);
      assert.equal(download.suggestedFilename(), "hosts.csv");
      const link = await page.getByRole("link", { name: "Download CSV" }).getAttribute("href");
      assert.match(
        link ?? "",
        /^\/api\/v1\/hosts\?(?=.*q=db-main)(?=.*sort=-hostname)(?=.*format=csv)/,
      );
      assert.doesNotMatch(link ?? "", /limit|offset/);
      const lines = (await readFile((await download.path())!, "utf8")).trimEnd().split("\r\n");
      assert.match(lines[0]!, /^id,identifier,hostname,/);
      assert.equal(lines.length, 2, lines.join("\n"));
      const header = lines[0]!.split(",");
      const row = lines[1]!.split(",");
      assert.equal(row[header.indexOf("hostname")], "db-main-01");
      assert.equal(row[header.indexOf("session_count")], "");

      // Its page says so too: the sessions tab is "unknown", with the agent's reason.
      await page.getByRole("link", { name: "db-main-01" }).click();
      const tab = page.getByRole("tab", { name: /^Sessions/ });
      await page.getByRole("tab", { name: "Sessions (unknown)" }).waitFor();
      await tab.click();
      const note = page.locator("#panel-sessions [role=note]");
      await note.waitFor();
      assert.match((await note.textContent()) ?? "", /Unknown\..*no utmp file/);

      // Unsearched, the download holds every host, not the page shown.
      await page.goto(`${api.url}/#/hosts?sort=-hostname`);
      await page.locator("main tbody tr", { hasText: "web-01" }).waitFor();
      const [all] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name: "Download CSV" }).click(),
      ]);
      const names = (await readFile((await all.path())!, "utf8"))
        .trimEnd()
        .split("\r\n")
        .slice(1)
        .map((l) => l.split(",")[header.indexOf("hostname")]);
      assert.deepEqual(names, ["web-01", "new-cache-07", "db-main-01"]);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
});
