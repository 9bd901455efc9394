import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { OPERATIONS, type Operation, type RouteName } from "@compliance/contract";
import { ENROLL_SECRET, startTestApp, type TestApp } from "./helpers/app.ts";
import { ENGINES } from "./helpers/databases.ts";
import { makeReport } from "./helpers/reports.ts";

/**
 * Every operation of the route table, walked: NUL in every string of its path, query and
 * body, and numbers no database column holds in every integer. Each answer is a 4xx that
 * names the field, never a 5xx, on every engine.
 */

type Kind = "string" | "integer" | "other";

/** The fields of an object schema (through Intersect, Optional and Union) and their kind. */
function fieldsOf(schema: unknown): Map<string, Kind> {
  const fields = new Map<string, Kind>();
  const walk = (s: Record<string, unknown> | undefined) => {
    if (!s) return;
    for (const part of (s.allOf as Record<string, unknown>[] | undefined) ?? []) walk(part);
    const properties = s.properties as Record<string, Record<string, unknown>> | undefined;
    for (const [name, p] of Object.entries(properties ?? {})) fields.set(name, kindOf(p));
  };
  walk(schema as Record<string, unknown>);
  return fields;
}

function kindOf(schema: Record<string, unknown>): Kind {
  if (schema.type === "string") return "string";
  if (schema.type === "integer") return "integer";
  const options = (schema.anyOf ?? schema.oneOf) as Record<string, unknown>[] | undefined;
  const kinds = new Set((options ?? []).map(kindOf));
  if (kinds.has("integer")) return "integer";
  if (kinds.has("string")) return "string";
  return "other";
}

const NUL = "a\u0000b";
/** Integers beyond what a bigint column (or a double, exactly) holds, as a query string sends them. */
const HUGE = ["9223372036854775808", "1e20", "-9223372036854775809", "18446744073709551616"];
/** The same in a JSON body. */
const HUGE_JSON = [1e20, 2 ** 63, -(2 ** 63), 2 ** 64];

const POLICY = {
  id: "walk-policy",
  name: "Walk policy",
  severity: "low",
  check: { none: [{ process: { name: "xmrig*" } }] },
};

/** A valid body for each operation that takes one, built once the host exists. */
function bodies(identifier: string): Partial<Record<RouteName, unknown>> {
  return {
    enroll: { enroll_secret: ENROLL_SECRET, host_identifier: identifier, hostname: "walk" },
    sendReport: makeReport({
      identifier,
      packages: [{ name: "openssl", version: "3.0.15", arch: "amd64", source: "deb" }],
      listening: [{ protocol: "tcp", address: "0.0.0.0", port: 22, pid: 812, process: "sshd" }],
      accounts: [
        { name: "root", uid: 0, gid: 0, home: "/root", shell: "/bin/bash", password: "set" },
      ],
      services: [{ name: "ssh.service", state: "active", enabled: true }],
      settings: {
        sysctl: { "net.ipv4.ip_forward": "0" },
        sshd: { permitrootlogin: "no" },
        files: [{ path: "/etc/shadow", mode: "0640", uid: 0, gid: 42 }],
      },
    }),
    sendDelta: {
      schema_version: 1,
      report_id: "00000000-0000-4000-8000-00000000d001",
      collected_at: "2026-11-30T10:00:00Z",
      base_report_id: "00000000-0000-4000-8000-00000000d000",
      digest: "0".repeat(64),
      set: { cpu: { model: "m", vendor: "v", cores: 2, usage_percent: 5 } },
      unset: ["packages"],
      lists: {
        processes: {
          removed: [0],
          changed: [{ i: 1, set: { cpu_percent: 2.5, cmdline: "/usr/bin/x" } }],
          added: [
            {
              at: 0,
              item: { pid: 9, ppid: 1, name: "x", user: "root", cpu_percent: 0, rss_bytes: 1 },
            },
          ],
        },
      },
    },
    createToken: { name: "walk", role: "reader" },
    createPolicy: POLICY,
    putPolicy: POLICY,
    testPolicy: { policy: POLICY },
    createWebhook: { url: "https://hooks.example.com/compliance" },
  };
}

/** Every leaf of a JSON value, by JSON pointer, with a copy of the value where it is replaced. */
function* leaves(
  value: unknown,
  path = "",
): Generator<{ path: string; set: (v: unknown) => unknown; leaf: unknown }> {
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      for (const inner of leaves(v, `${path}/${k}`)) {
        yield {
          path: inner.path,
          leaf: inner.leaf,
          set: (x) => {
            const copy: Record<string, unknown> | unknown[] = Array.isArray(value)
              ? [...value]
              : { ...(value as Record<string, unknown>) };
            (copy as Record<string, unknown>)[k] = inner.set(x);
            return copy;
          },
        };
      }
    }
    return;
  }
  yield { path, leaf: value, set: (x) => x };
}

/** Path parameters that reach the handler: an existing host, a policy id, a table. */
function paramsFor(op: Operation, hostId: number, reportId: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, kind] of fieldsOf(op.params)) {
    if (name === "table") params[name] = "processes";
    else if (op.path.startsWith("/api/v1/reports/")) params[name] = reportId;
    else if (op.path.startsWith("/api/v1/policies/")) params[name] = "walk-policy";
    else params[name] = kind === "integer" ? String(hostId) : "x";
  }
  return params;
}

/** Valid values of a query's required fields, so each bad field is the only problem. */
function requiredQuery(op: Operation): Record<string, string> {
  const query: Record<string, string> = {};
  const walk = (s: Record<string, unknown> | undefined) => {
    if (!s) return;
    for (const part of (s.allOf as Record<string, unknown>[] | undefined) ?? []) walk(part);
    for (const name of (s.required as string[] | undefined) ?? []) {
      const field = (s.properties as Record<string, Record<string, unknown>>)[name]!;
      query[name] =
        kindOf(field) === "integer"
          ? "22"
          : field.format === "date-time"
            ? "2026-11-30T00:00:00Z"
            : "x";
    }
  };
  walk(op.querystring as Record<string, unknown> | undefined);
  return query;
}

const urlOf = (
  op: Operation,
  params: Record<string, string>,
  query: Record<string, string> = {},
) => {
  const path = op.path.replace(/:([a-z_]+)/g, (_, n: string) => encodeURIComponent(params[n]!));
  const q = new URLSearchParams(query).toString();
  return q ? `${path}?${q}` : path;
};

for (const engine of ENGINES) {
  describe(`bad input to every operation on ${engine}`, () => {
    let t: TestApp;
    let nodeKey: string;
    let hostId: number;
    let reportId: string;
    const identifier = "walk-host";
    before(async () => {
      t = await startTestApp(engine);
      ({ nodeKey, hostId } = await t.enroll(identifier));
      const report = makeReport({ identifier });
      reportId = report.report_id;
      await t.store201(nodeKey, report);
    });
    after(async () => {
      await t?.close();
    });

    const call = (op: Operation, url: string, payload?: unknown) => {
      const auth =
        op.auth === "node"
          ? { authorization: `Bearer ${nodeKey}` }
          : op.auth === "none"
            ? {}
            : t.admin;
      return t.app.inject({
        method: op.method as "GET",
        url,
        headers: auth,
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
    };

    /** A 4xx naming `field`: the answer to a value no column can hold. */
    const refused = (what: string, field: string, r: { statusCode: number; body: string }) => {
      assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${what}: ${r.statusCode} ${r.body}`);
      if (r.statusCode === 400) {
        const error = JSON.parse(r.body).error as { message: string };
        assert.ok(error.message.includes(field), `${what}: the message names ${field}: ${r.body}`);
      }
    };

    test("NUL and out-of-range integers in path and query parameters", async () => {
      let tried = 0;
      for (const [name, op] of Object.entries(OPERATIONS) as [RouteName, Operation][]) {
        const params = paramsFor(op, hostId, reportId);
        const body = bodies(identifier)[name];
        for (const [field, kind] of fieldsOf(op.params)) {
          const values = kind === "string" ? [NUL] : kind === "integer" ? HUGE : [];
          for (const v of values) {
            const r = await call(op, urlOf(op, { ...params, [field]: v }), body);
            refused(`${name} params/${field}=${JSON.stringify(v)}`, field, r);
            tried++;
          }
        }
        for (const [field, kind] of fieldsOf(op.querystring)) {
          const values = kind === "string" ? [NUL] : kind === "integer" ? HUGE : [];
          for (const v of values) {
            const query = { ...requiredQuery(op), [field]: v };
            const r = await call(op, urlOf(op, params, query), body);
            refused(`${name} querystring/${field}=${JSON.stringify(v)}`, `querystring/${field}`, r);
            tried++;
          }
        }
      }
      assert.ok(tried > 40, `${tried} bad parameters tried`);
    });

    test("NUL in every string and out-of-range numbers in every number of each body", async () => {
      let tried = 0;
      for (const [name, op] of Object.entries(OPERATIONS) as [RouteName, Operation][]) {
        const body = bodies(`walk-${name}`)[name];
        if (!op.body) continue;
        assert.ok(body !== undefined, `the walk has a body for ${name}`);
        const url = urlOf(op, paramsFor(op, hostId, reportId));
        for (const { path, leaf, set } of leaves(body)) {
          const values =
            typeof leaf === "string"
              ? [`${leaf}\u0000`]
              : typeof leaf === "number"
                ? HUGE_JSON
                : [];
          for (const v of values) {
            const mutated = set(v) as Record<string, unknown>;
            if (name === "sendReport") mutated.report_id = crypto.randomUUID();
            const r = await call(op, url, mutated);
            refused(`${name} body${path}=${JSON.stringify(v)}`, `body${path}`, r);
            tried++;
          }
        }
      }
      assert.ok(tried > 60, `${tried} bad body fields tried`);
    });

    test("the cases seen: 400 naming the field", async () => {
      const cases: [string, string, unknown, string][] = [
        [
          "POST",
          "/api/v1/enroll",
          { enroll_secret: ENROLL_SECRET, host_identifier: "a\u0000b" },
          "body/host_identifier",
        ],
        ["GET", "/api/v1/hosts?q=%00", undefined, "querystring/q"],
        ["GET", "/api/v1/search/processes?name=%00", undefined, "querystring/name"],
        ["GET", "/api/v1/cpus?host_id=9223372036854775808", undefined, "querystring/host_id"],
        ["GET", "/api/v1/inventory/processes?host_id=1e20", undefined, "querystring/host_id"],
        ["DELETE", "/api/v1/tokens/1e20", undefined, "params/id"],
        ["POST", "/api/v1/tokens", { name: "a\u0000b", role: "reader" }, "body/name"],
      ];
      for (const [method, url, payload, field] of cases) {
        const r = await t.app.inject({
          method: method as "GET",
          url,
          headers: t.admin,
          ...(payload === undefined ? {} : { payload: payload as object }),
        });
        assert.equal(r.statusCode, 400, `${method} ${url}: ${r.body}`);
        const error = r.json().error;
        assert.equal(error.code, "invalid_request");
        assert.ok(error.message.startsWith(field), `${method} ${url}: ${error.message}`);
      }
    });
  });
}
