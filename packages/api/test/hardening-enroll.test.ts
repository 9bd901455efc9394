import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type CollectContext, runOnce, systemClock } from "@compliance/agent";
import { hashSecret } from "../src/auth.ts";
import { runCli } from "../src/cli.ts";
import {
  LOCAL_AGENT_SUFFIX,
  localAgentCollectors,
  localAgentIdentifier,
} from "../src/services/local-agent.ts";
import { openStore } from "../src/store/sql-store.ts";
import { ENROLL_SECRET, startTestApp, type TestApp } from "./helpers/app.ts";
import { createTestDatabase, ENGINES } from "./helpers/databases.ts";
import { makeReport } from "./helpers/reports.ts";

/**
 * The enroll secret alone does not take over a host that has a node key: its agent keeps
 * reporting. The key's holder may rotate it; an admin revoking it lets the next enrollment
 * through.
 */
for (const engine of ENGINES) {
  describe(`enrolling a host that has a key on ${engine}`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(engine);
    });
    after(async () => {
      await t?.close();
    });

    const enroll = (identifier: string, key?: string) =>
      t.app.inject({
        method: "POST",
        url: "/api/v1/enroll",
        headers: key ? { authorization: `Bearer ${key}` } : {},
        payload: { enroll_secret: ENROLL_SECRET, host_identifier: identifier },
      });
    const report = (key: string, identifier: string) =>
      t.send(key, makeReport({ identifier })).then((r) => r.statusCode);

    test("the secret alone is a 409 saying how to reset; the first key still works", async () => {
      const first = await t.enroll("taken-host");
      assert.equal(await report(first.nodeKey, "taken-host"), 201);

      const second = await enroll("taken-host");
      assert.equal(second.statusCode, 409, second.body);
      const error = second.json().error;
      assert.equal(error.code, "host_enrolled");
      assert.match(error.message, new RegExp(`/api/v1/hosts/${first.hostId}/revoke-key`));
      assert.match(error.message, /compliance-api host revoke-key/);
      assert.equal(error.details[0].path, "body/host_identifier");
      assert.equal(await report(first.nodeKey, "taken-host"), 201);
    });

    test("the key's holder rotates it: the new key works, the old one is 401", async () => {
      const first = await t.enroll("rotating-host");
      const again = await enroll("rotating-host", first.nodeKey);
      assert.equal(again.statusCode, 200, again.body);
      const rotated = again.json();
      assert.equal(rotated.host_id, first.hostId);
      assert.equal(await report(first.nodeKey, "rotating-host"), 401);
      assert.equal(await report(rotated.node_key, "rotating-host"), 201);
      // Another host's key proves nothing about this one.
      const other = await t.enroll("other-host");
      assert.equal((await enroll("rotating-host", other.nodeKey)).statusCode, 409);
    });

    test("after an admin revokes the key, the next enrollment gets a new one", async () => {
      const first = await t.enroll("reset-host");
      assert.equal(await report(first.nodeKey, "reset-host"), 201);
      const revoked = await t.app.inject({
        method: "POST",
        url: `/api/v1/hosts/${first.hostId}/revoke-key`,
        headers: t.admin,
      });
      assert.equal(revoked.statusCode, 204);
      const again = await enroll("reset-host");
      assert.equal(again.statusCode, 200, again.body);
      assert.equal(again.json().host_id, first.hostId, "the same host, its history kept");
      assert.equal(await report(again.json().node_key, "reset-host"), 201);
      assert.equal(await report(first.nodeKey, "reset-host"), 401);
      assert.equal((await t.read(`/api/v1/hosts/${first.hostId}`)).executions, 2);
      // Once enrolled again, the secret alone is refused again.
      assert.equal((await enroll("reset-host")).statusCode, 409);
    });

    test("concurrent enrollments of a new identifier: one key wins", async () => {
      const answers = await Promise.all([1, 2, 3, 4].map(() => enroll("racing-host")));
      const won = answers.filter((a) => a.statusCode === 200);
      assert.equal(won.length, 1, answers.map((a) => a.body).join("\n"));
      assert.ok(answers.every((a) => a.statusCode === 200 || a.statusCode === 409));
      assert.equal(await report(won[0]!.json().node_key, "racing-host"), 201);
    });
  });

  describe(`compliance-api host revoke-key on ${engine}`, () => {
    test("revokes the key so the host may enroll again; an unknown host is exit 1", async () => {
      const database = await createTestDatabase(engine);
      const store = openStore({ url: database.url });
      try {
        await store.migrate();
        const { hostId } = await store.enrollHost({
          identifier: "cli-host",
          hostname: "cli",
          nodeKeyHash: hashSecret("cli-key"),
          source: "agent",
        });
        const out: string[] = [];
        const io = {
          env: { DATABASE_URL: database.url },
          stdout: { write: (s: string) => out.push(s) },
          stderr: { write: (s: string) => out.push(s) },
        };
        assert.equal(await runCli(["host", "revoke-key", String(hostId)], io), 0, out.join(""));
        assert.equal(await store.hostByNodeKeyHash(hashSecret("cli-key")), null);
        const again = await store.enrollHost({
          identifier: "cli-host",
          hostname: "cli",
          nodeKeyHash: hashSecret("new-key"),
          source: "agent",
        });
        assert.deepEqual(again, { hostId, created: false, taken: false });
        assert.equal(await runCli(["host", "revoke-key", "999999"], io), 1);
        assert.equal(await runCli(["host", "revoke-key", "abc"], io), 2);
      } finally {
        await store.close();
        await database.drop();
      }
    });
  });
}

describe("the built-in local agent and an agent installed on the same machine", () => {
  let t: TestApp;
  let url: string;
  let dir: string;
  before(async () => {
    t = await startTestApp("sqlite");
    url = await t.app.listen({ host: "127.0.0.1", port: 0 });
    dir = mkdtempSync(join(tmpdir(), "compliance-local-agent-"));
  });
  after(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the local agent's identifier is the machine's with a suffix", async () => {
    const registry = localAgentCollectors({
      identifier: {
        description: "fixed",
        platforms: { any: () => ({ host: { identifier: "m1" } }) },
      },
    });
    const patch = await registry.identifier!.platforms.any!({} as CollectContext);
    assert.equal(patch.host?.identifier, `m1${LOCAL_AGENT_SUFFIX}`);
    assert.equal(localAgentIdentifier("x".repeat(255)).length, 255);
    assert.ok(localAgentIdentifier("x".repeat(255)).endsWith(LOCAL_AGENT_SUFFIX));
  });

  test("each keeps its own host and key, run after run", async () => {
    const collect = { cpuWindowMs: 0, agentStats: false };
    const installed = (n: number) =>
      runOnce({
        serverUrl: url,
        enrollSecret: ENROLL_SECRET,
        stateDir: join(dir, "installed"),
        clock: systemClock(),
        collect,
      }).then((r) => ({ n, ...r }));
    const local = (n: number) =>
      runOnce({
        serverUrl: url,
        enrollSecret: ENROLL_SECRET,
        stateDir: join(dir, "local"),
        clock: systemClock(),
        collect: { ...collect, collectors: localAgentCollectors() },
      }).then((r) => ({ n, ...r }));
    const a1 = await installed(1);
    const l1 = await local(1);
    const a2 = await installed(2);
    const l2 = await local(2);
    assert.notEqual(a1.accepted.host_id, l1.accepted.host_id);
    assert.equal(l1.report.host.identifier, localAgentIdentifier(a1.report.host.identifier));
    assert.deepEqual(
      [a1.enrolled, l1.enrolled, a2.enrolled, l2.enrolled],
      [true, true, false, false],
      "each enrolled once",
    );
    assert.equal(a2.accepted.host_id, a1.accepted.host_id);
    assert.equal(l2.accepted.host_id, l1.accepted.host_id);
  });
});
