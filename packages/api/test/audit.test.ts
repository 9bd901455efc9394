import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { runCli } from "../src/cli.ts";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { ENGINES } from "./helpers/databases.ts";
import { makeReport } from "./helpers/reports.ts";

/** Runs `compliance-api <args>` in this process on the test's database. */
async function cli(url: string, args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    env: { DATABASE_URL: url },
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

for (const engine of ENGINES) {
  describe(`the audit trail on ${engine}`, () => {
    let t: TestApp;
    let url: string;
    before(async () => {
      t = await startTestApp(engine);
      url = t.databaseUrl;
    });
    after(() => t.close());

    const call = (method: string, path: string, payload?: object, token?: string) =>
      t.app.inject({
        method: method as "GET",
        url: path,
        headers: token ? { authorization: `Bearer ${token}` } : t.admin,
        ...(payload ? { payload } : {}),
      });

    test("admin actions are recorded with who, when and what, newest first, no secrets", async () => {
      const created = await call("POST", "/api/v1/tokens", { name: "ops-bot", role: "admin" });
      assert.equal(created.statusCode, 201);
      const bot = created.json() as { id: number; token: string };
      const reader = await call(
        "POST",
        "/api/v1/tokens",
        { name: "dashboard", role: "reader" },
        bot.token,
      );
      assert.equal(reader.statusCode, 201);
      const readerId = reader.json().id as number;
      assert.equal(
        (await call("DELETE", `/api/v1/tokens/${readerId}`, undefined, bot.token)).statusCode,
        204,
      );

      const { nodeKey, hostId } = await t.enroll("audited-host");
      await t.store201(nodeKey, makeReport({ identifier: "audited-host" }));
      assert.equal((await call("POST", `/api/v1/hosts/${hostId}/revoke-key`)).statusCode, 204);
      const policy = {
        id: "no-telnet",
        name: "No telnet",
        severity: "high",
        description: "Telnet sends passwords in clear text.",
        resolution: "Remove it.",
        tags: ["cleartext"],
        check: { none: [{ process: { name: "telnetd" } }] },
      };
      assert.equal((await call("POST", "/api/v1/policies", policy)).statusCode, 201);
      assert.equal((await call("PUT", "/api/v1/policies/no-telnet", policy)).statusCode, 200);
      assert.equal((await call("DELETE", "/api/v1/policies/no-telnet")).statusCode, 204);
      assert.equal((await call("DELETE", `/api/v1/hosts/${hostId}`)).statusCode, 204);

      const page = await call("GET", "/api/v1/audit");
      assert.equal(page.statusCode, 200, page.body);
      const body = page.json();
      const actions = body.items.map((e: any) => e.action);
      assert.deepEqual(actions, [
        "host.delete",
        "policy.delete",
        "policy.put",
        "host.revoke_key",
        "token.revoke",
        "token.create",
        "token.create",
      ]);
      assert.equal(body.total, 7);
      const [hostDeleted, , put, , revoked, readerCreated, botCreated] = body.items;
      assert.equal(hostDeleted.actor, "admin-token");
      assert.equal(hostDeleted.target, `host:${hostId}`);
      assert.equal(hostDeleted.details.identifier, "audited-host");
      assert.equal(put.target, "policy:no-telnet");
      assert.equal(put.details.version, 1);
      assert.equal(revoked.actor, `token:${bot.id}`);
      assert.equal(revoked.actor_name, "ops-bot");
      assert.equal(revoked.target, `token:${readerId}`);
      assert.deepEqual(readerCreated.details, { name: "dashboard", role: "reader" });
      assert.equal(botCreated.actor, "admin-token");
      assert.ok(!Number.isNaN(Date.parse(botCreated.at)));
      assert.ok(!page.body.includes(bot.token), "no secret in the trail");
    });

    test("filters by action, actor and time; pages", async () => {
      const byAction = (await call("GET", "/api/v1/audit?action=token.create")).json();
      assert.equal(byAction.total, 2);
      const byName = (await call("GET", "/api/v1/audit?actor=ops-bot")).json();
      assert.deepEqual(
        byName.items.map((e: any) => e.action),
        ["token.revoke", "token.create"],
      );
      const future = (await call("GET", "/api/v1/audit?from=2999-01-01T00:00:00Z")).json();
      assert.equal(future.total, 0);
      const paged = (await call("GET", "/api/v1/audit?limit=2&offset=1")).json();
      assert.equal(paged.items.length, 2);
      assert.equal(paged.items[0].action, "policy.delete");
      const bad = await call("GET", "/api/v1/audit?action=nothing");
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().error.message, /querystring\/action/);
      const badTime = await call("GET", "/api/v1/audit?from=yesterday");
      assert.equal(badTime.statusCode, 400);
      assert.match(badTime.json().error.message, /querystring\/from/);
    });

    test("admin only", async () => {
      const reader = await call("POST", "/api/v1/tokens", { name: "viewer", role: "reader" });
      const r = await call("GET", "/api/v1/audit", undefined, reader.json().token);
      assert.equal(r.statusCode, 403);
      assert.equal((await t.app.inject({ method: "GET", url: "/api/v1/audit" })).statusCode, 401);
    });

    test("the CLI's token and prune commands are recorded with actor cli", async () => {
      // --json: what a script reads, one JSON document on stdout.
      const made = await cli(url, [
        "token",
        "create",
        "--name",
        "from-cli",
        "--role",
        "reader",
        "--json",
      ]);
      assert.equal(made.code, 0, made.stderr);
      const token = JSON.parse(made.stdout) as { id: number; token: string; role: string };
      assert.equal(token.role, "reader");
      assert.ok(token.token.length >= 16);
      const id = String(token.id);
      assert.equal((await cli(url, ["token", "revoke", id])).code, 0);
      const pruned = await cli(url, ["prune", "--older-than-days", "30", "--json"]);
      assert.equal(pruned.code, 0, pruned.stderr);
      assert.equal(typeof JSON.parse(pruned.stdout).executions, "number");
      const items = (await call("GET", "/api/v1/audit?actor=cli")).json().items;
      assert.deepEqual(
        items.map((e: any) => `${e.action} ${e.target}`),
        ["retention.prune null", `token.revoke token:${id}`, `token.create token:${id}`],
      );
      assert.equal(typeof items[0].details.executions, "number");
    });
  });
}
