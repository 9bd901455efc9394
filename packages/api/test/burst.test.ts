import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Report } from "@compliance/contract";
import { createTestDatabase, type TestDatabase, type TestEngine } from "./helpers/databases.ts";
import { ADMIN, enrollHost, type StartedServer, startHttpServer } from "./helpers/http-server.ts";
import { makeProcess, makeReport } from "./helpers/reports.ts";

/**
 * A burst of 1,000 check-ins at once, as a fleet sends after an outage or a restart: on
 * PostgreSQL to two API servers on one database, on SQLite to one. Each process takes at
 * most 100 reports in hand (admission control); every other is answered 503 "overloaded"
 * with Retry-After and sent again after that pause, as agents do. In the end every report
 * is stored exactly once, and no answer said the database was unavailable.
 */
const HOSTS = 250;
const REPORTS_PER_HOST = 3;
/**
 * A host's reports go to one server, as one agent's do; its first is sent again to the
 * other server too (a resend after a lost answer): 1,000 sends in all.
 */
const SENDS = HOSTS * (REPORTS_PER_HOST + 1);
const MAX_PENDING = 100;
/** Tries of one send before the test gives up on it: bounded, whatever the machine's load. */
const MAX_TRIES = 60;

interface Answer {
  status: number;
  code: string | undefined;
  retryAfter: string | null;
  message: string | undefined;
}

async function post(url: string, key: string, report: Report): Promise<Answer> {
  const r = await fetch(`${url}/api/v1/reports`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify(report),
  });
  const body = (await r.json()) as { error?: { code?: string; message?: string } };
  return {
    status: r.status,
    code: body.error?.code,
    retryAfter: r.headers.get("retry-after"),
    message: body.error?.message?.replace(/; retry in \d+ s$/, ""),
  };
}

// BURST_ENGINES=postgres runs one engine's burst alone, to look into it.
for (const engine of (process.env.BURST_ENGINES?.split(",") ?? [
  "postgres",
  "sqlite",
]) as TestEngine[]) {
  describe(`a burst of ${SENDS} check-ins on ${engine}`, () => {
    let database: TestDatabase | undefined;
    const servers: StartedServer[] = [];
    before(async () => {
      const env = {
        COMPLIANCE_MAX_PENDING_REPORTS: String(MAX_PENDING),
        COMPLIANCE_RATE_LIMIT_ENROLL: "0",
        COMPLIANCE_RATE_LIMIT_REPORTS: "0",
        // Every send of the burst may hold a connection of its own at once.
        COMPLIANCE_MAX_CONNECTIONS: String(4 * SENDS),
      };
      if (engine === "postgres") {
        database = await createTestDatabase(engine);
        for (let i = 0; i < 2; i++)
          servers.push(await startHttpServer({ ...env, DATABASE_URL: database.url }));
      } else servers.push(await startHttpServer(env));
    });
    after(async () => {
      for (const s of servers) await s.close();
      await database?.drop();
    });

    test("every report stored once, the overflow told to come back, never 'unavailable'", {
      timeout: 300_000,
    }, async () => {
      const urls = servers.map((s) => s.server.url);
      const keys: string[] = [];
      for (let h = 0; h < HOSTS; h += 25) {
        const batch = Array.from({ length: 25 }, (_, i) =>
          enrollHost(urls[(h + i) % urls.length]!, `burst-${h + i}`),
        );
        keys.push(...(await Promise.all(batch)));
      }
      const reports = keys.map((_, h) =>
        Array.from({ length: REPORTS_PER_HOST }, (_, i) =>
          makeReport({
            identifier: `burst-${h}`,
            collected_at: new Date(Date.UTC(2026, 10, 30, 12, i, h % 60)).toISOString(),
            processes: [makeProcess({ pid: 1, name: "init" }), makeProcess({ pid: 100 + i })],
          }),
        ),
      );
      const sends = reports.flatMap((list, h) => [
        ...list.map((report) => ({ h, report, server: h % urls.length })),
        { h, report: list[0]!, server: (h + 1) % urls.length },
      ]);
      assert.equal(sends.length, SENDS);

      const answers: Answer[] = [];
      const send = async (s: (typeof sends)[number]): Promise<Answer> => {
        for (let attempt = 1; ; attempt++) {
          const a = await post(urls[s.server]!, keys[s.h]!, s.report);
          answers.push(a);
          if (a.status !== 503 || a.code !== "overloaded" || attempt === MAX_TRIES) return a;
          await new Promise((r) => setTimeout(r, Number(a.retryAfter) * 1000));
        }
      };
      const finals = await Promise.all(sends.map(send));

      const unavailable = answers.filter((a) => a.code === "unavailable");
      assert.equal(
        unavailable.length,
        0,
        `no answer says the database is unavailable; the servers logged: ${servers
          .flatMap((s) => s.logs)
          .filter((l) => l.includes("unavailable"))
          .slice(0, 3)
          .join("\n")}`,
      );
      for (const a of answers.filter((x) => x.status === 503)) {
        assert.equal(a.code, "overloaded");
        assert.match(a.retryAfter ?? "", /^[1-9]\d*$/, "an overloaded answer says when to retry");
      }
      const refused = finals.filter((a) => a.status !== 201 && a.status !== 200);
      assert.deepEqual(refused, [], "every send is acknowledged in the end");

      const admin = { authorization: `Bearer ${ADMIN}` };
      // Every host in one page: a search for one host's name also finds others ("burst-2"
      // is in "burst-20"), so a short page of it need not hold that host.
      const list = (await (
        await fetch(`${urls[0]}/api/v1/hosts?q=burst-&limit=${HOSTS + 1}`, { headers: admin })
      ).json()) as { items: { identifier: string; executions: number }[] };
      const executions = new Map(list.items.map((x) => [x.identifier, x.executions]));
      assert.equal(executions.size, HOSTS, "one host per enrolled identifier");
      for (let h = 0; h < HOSTS; h++)
        assert.equal(
          executions.get(`burst-${h}`),
          REPORTS_PER_HOST,
          `burst-${h}: each report once`,
        );
      // Read back 25 at a time, as the hosts enrolled: the burst is over, this only checks.
      const stored = reports.flat();
      for (let i = 0; i < stored.length; i += 25) {
        const batch = stored.slice(i, i + 25);
        const read = await Promise.all(
          batch.map(async (report) => {
            const r = await fetch(`${urls.at(-1)}/api/v1/reports/${report.report_id}`, {
              headers: admin,
            });
            return r.json();
          }),
        );
        assert.deepEqual(read, batch, "an acknowledged report is stored as sent");
      }
      const why = new Map<string, number>();
      for (const a of answers.filter((x) => x.code === "overloaded"))
        why.set(a.message!, (why.get(a.message!) ?? 0) + 1);
      process.stdout.write(
        `# ${engine}: ${SENDS} sends, ${answers.length} answers; overloaded: ${JSON.stringify([...why])}\n`,
      );
    });
  });
}
