import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Report } from "@compliance/contract";
import { exportReports } from "../src/export.ts";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { ENGINES } from "./helpers/databases.ts";
import { makeProcess, makeReport, makeSession } from "./helpers/reports.ts";

/**
 * Text that differs only by leading or trailing spaces is different text on every engine:
 * it is stored apart, never merged into one key, and read back exactly.
 */
function spacedReport(identifier: string): Report {
  return makeReport({
    identifier,
    processes: [
      makeProcess({ pid: 10, name: "cron", user: "root" }),
      makeProcess({ pid: 11, name: "cron ", user: "root " }),
      makeProcess({ pid: 12, name: " cron", user: " root" }),
    ],
    sessions: [
      makeSession({ user: "bob", terminal: "pts/1" }),
      makeSession({ user: "bob ", terminal: "pts/1" }),
      makeSession({ user: "bob", terminal: "pts/1 " }),
    ],
    packages: [
      { name: "openssl", version: "3.0.15", arch: "amd64", source: "deb" },
      { name: "openssl ", version: "3.0.15", arch: "amd64", source: "deb" },
      { name: "openssl", version: "3.0.15 ", arch: "amd64", source: "deb" },
    ],
    accounts: [
      {
        name: "alice",
        uid: 1000,
        gid: 1000,
        home: "/home/alice",
        shell: "/bin/bash",
        password: "set",
      },
      {
        name: "alice ",
        uid: 1000,
        gid: 1000,
        home: "/home/alice",
        shell: "/bin/bash",
        password: "set",
      },
    ],
    services: [
      { name: "ssh.service", state: "active", enabled: true },
      { name: "ssh.service ", state: "active", enabled: true },
    ],
    settings: {
      sysctl: { "net.ipv4.ip_forward": "0", "net.ipv4.ip_forward ": "1" },
      sshd: { permitrootlogin: "no", "permitrootlogin ": "yes" },
      files: [
        { path: "/etc/shadow", mode: "0640", uid: 0, gid: 42 },
        { path: "/etc/shadow ", mode: "0600", uid: 0, gid: 0 },
      ],
    },
  });
}

for (const engine of ENGINES) {
  describe(`stored text on ${engine}`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(engine);
    });
    after(async () => {
      await t?.close();
    });

    test("names differing by spaces are stored apart and read back exactly", async () => {
      const { nodeKey, hostId } = await t.enroll("spaced-host");
      const first = spacedReport("spaced-host");
      const answer = await t.send(nodeKey, first);
      assert.equal(answer.statusCode, 201, answer.body);
      assert.deepEqual(await t.read(`/api/v1/reports/${first.report_id}`), first);

      // The next check-in keeps some, ends others: still exact.
      const second = spacedReport("spaced-host");
      second.processes = second.processes.filter((p) => p.name !== "cron ");
      second.sessions = second.sessions.filter((s) => s.user !== "bob");
      second.packages = second.packages!.filter((p) => p.name !== "openssl");
      assert.equal((await t.send(nodeKey, second)).statusCode, 201);
      assert.deepEqual(await t.read(`/api/v1/reports/${second.report_id}`), second);
      assert.deepEqual(await t.read(`/api/v1/reports/${first.report_id}`), first);

      const processes = await t.read(`/api/v1/hosts/${hostId}/processes`);
      assert.deepEqual(processes.items.map((p: { name: string }) => p.name).sort(), [
        " cron",
        "cron",
      ]);
      const sessions = await t.read(`/api/v1/hosts/${hostId}/sessions`);
      assert.deepEqual(sessions.items.map((s: { user: string }) => s.user).sort(), ["bob "]);
      const search = await t.read("/api/v1/search/processes?name=cron");
      assert.equal(search.items.length, 1);
    });

    test("CSV exports guard formulas and leave ordinary values alone", async () => {
      const { nodeKey, hostId } = await t.enroll("csv-host");
      const report = makeReport({
        identifier: "csv-host",
        processes: [
          makeProcess({ pid: 20, name: "-bash", user: "alice", cmdline: "-bash" }),
          makeProcess({ pid: 21, name: "-2+3+cmd|' /C calc'!A0", user: "=1+1" }),
        ],
      });
      await t.store201(nodeKey, report);
      const r = await t.get(`/api/v1/inventory/processes?host_id=${hostId}&format=csv`);
      assert.equal(r.statusCode, 200, r.body);
      const lines = r.body.split("\r\n");
      assert.ok(lines[0]!.endsWith(",name,user"), r.body);
      assert.ok(
        lines.some((l) => l.endsWith(",-bash,alice")),
        r.body,
      );
      assert.ok(
        lines.some((l) => l.endsWith(",'-2+3+cmd|' /C calc'!A0,'=1+1")),
        r.body,
      );
    });

    test("export writes every report of hosts with the longest identifiers", async () => {
      const long = ["x".repeat(231), `${"x".repeat(200)}${"y".repeat(55)}`, `ü${"x".repeat(254)}`];
      const sent: string[] = [];
      for (const identifier of long) {
        const { nodeKey } = await t.enroll(identifier);
        for (let i = 0; i < 5; i++) {
          const report = makeReport({
            identifier,
            collected_at: new Date(Date.UTC(2026, 10, 20, 8, 0, i)).toISOString(),
          });
          delete report.host.primary_ip;
          report.host.ip_addresses = [];
          await t.store201(nodeKey, report);
          sent.push(report.report_id);
        }
      }
      const dir = mkdtempSync(join(tmpdir(), "compliance-export-long-"));
      try {
        const result = await exportReports(t.store, { dir }, { stderr: { write: () => true } });
        assert.equal(result.written, result.total);
        const files = readdirSync(dir);
        assert.equal(files.length, result.written);
        const exported = new Set<string>();
        for (const file of files) {
          assert.ok(Buffer.byteLength(file) <= 255, file);
          exported.add(JSON.parse(readFileSync(join(dir, file), "utf8")).report_id);
        }
        for (const id of sent) assert.ok(exported.has(id), `report ${id} exported`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test("host identifiers differing by a space are two hosts", async () => {
      const a = await t.enroll("twin");
      const b = await t.enroll("twin ");
      assert.notEqual(a.hostId, b.hostId);
      const ra = makeReport({ identifier: "twin" });
      const rb = makeReport({ identifier: "twin " });
      assert.equal((await t.send(a.nodeKey, ra)).statusCode, 201);
      assert.equal((await t.send(b.nodeKey, rb)).statusCode, 201);
      assert.equal((await t.read(`/api/v1/hosts/${b.hostId}`)).identifier, "twin ");
      assert.deepEqual(await t.read(`/api/v1/reports/${rb.report_id}`), rb);
    });
  });
}
