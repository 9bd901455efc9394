import type {
  FuzzTarget,
  HttpRequest,
  JsonSchema,
  OpenApiDocument,
  OpenApiParameter,
} from "./fuzz-target.ts";
import {
  between,
  boundaryNumberJson,
  boundaryNumberText,
  boundaryString,
  caseSeed,
  chance,
  isoAround,
  legacyTime,
  pick,
  RawJson,
  type Rng,
  seededRng,
  serialize,
  typeOf,
  uuidFrom,
  validNumber,
  validString,
  wrongType,
  wrongTypeText,
} from "./fuzz-values.ts";
import { makeReport } from "./reports.ts";

/**
 * Fuzz cases generated from the OpenAPI document: every operation (method and path) gets
 * requests built from its parameter and body schemas, valid or broken in one way each, sent
 * with one kind of credential. A case is a pure function of (seed, index, target), so a
 * failing one is generated again by the same seed.
 */

export type Security = "token" | "nodeKey" | "legacy" | "none";
export type Credential =
  | "none"
  | "wrong token"
  | "reader token"
  | "admin token"
  | "agent key of host A"
  | "legacy key"
  | "wrong legacy key";

export interface Operation {
  /** "METHOD /path/{param}", as in the document. */
  key: string;
  method: string;
  path: string;
  security: Security;
  params: OpenApiParameter[];
  body: JsonSchema | null;
}

export interface FuzzCase {
  index: number;
  op: Operation;
  credential: Credential;
  /** What is unusual about this request, in words. */
  shape: string;
  request: HttpRequest;
}

/** Every operation of the document; the older systems' routes are those tagged legacy. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const scheme = Object.keys(op.security?.[0] ?? {})[0];
      const security: Security = op.tags?.includes("legacy")
        ? "legacy"
        : scheme === "nodeKey"
          ? "nodeKey"
          : scheme === "token"
            ? "token"
            : "none";
      ops.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        security,
        params: op.parameters ?? [],
        body: op.requestBody?.content?.["application/json"]?.schema ?? null,
      });
    }
  }
  return ops;
}

/** Deletes or disables what it names: aimed at expendable ids only. */
const isDestructive = (op: Operation) =>
  op.method === "DELETE" || /\/revoke-key$/.test(op.path) || op.method === "PUT";

interface Cx {
  rng: Rng;
  target: FuzzTarget;
  op: Operation;
  /** Agent key of host A used on host B's ids. */
  onB: boolean;
  /** The most items a "long array" mutation sends. */
  longArray: number;
}

/** The resource a path's {id} names: the segment before it. */
function resourceOf(path: string, param: string): string {
  const parts = path.split("/");
  const i = parts.indexOf(`{${param}}`);
  return i > 0 ? parts[i - 1]! : "";
}

/** A valid value for a parameter or body field the schema alone cannot pick well. */
function hint(cx: Cx, name: string, where: "path" | "query" | "body"): unknown {
  const { rng, target, op } = cx;
  const p = target.pools;
  const hostIds = cx.onB ? [p.hostB] : isDestructive(op) ? p.expendableHosts : p.hosts;
  if (where === "path" && name === "id") {
    const resource = resourceOf(op.path, name);
    const now = new Date();
    const stamp = `${now.getUTCFullYear()}_${now.getUTCMonth() + 1}_${now.getUTCDate()}_${now.getUTCHours()}_${now.getUTCMinutes()}_${now.getUTCSeconds()}`;
    const byResource: Record<string, () => unknown> = {
      hosts: () => pick(rng, hostIds),
      reports: () => pick(rng, p.reports),
      policies: () => pick(rng, isDestructive(op) ? p.expendablePolicies : p.policies),
      jobs: () => (p.jobs.length > 0 ? pick(rng, p.jobs) : 1),
      webhooks: () => pick(rng, isDestructive(op) ? p.expendableWebhooks : p.webhooks),
      tokens: () => pick(rng, isDestructive(op) ? p.expendableTokens : p.tokens),
      system_info: () => `${pick(rng, p.legacyIps)}_${stamp}`,
      systeminfo: () => `${pick(rng, p.legacyIps)}${stamp}`,
    };
    return byResource[resource]?.();
  }
  const byName: Record<string, () => unknown> = {
    host_id: () => pick(rng, hostIds),
    report: () => pick(rng, p.reportsOfA),
    report_id: () => pick(rng, p.reports),
    ip: () => pick(rng, p.legacyIps),
    host: () => pick(rng, p.legacyIps),
    server_ip: () => pick(rng, p.legacyIps),
    ipaddress: () => pick(rng, p.legacyIps),
    IP: () => pick(rng, p.legacyIps),
    enroll_secret: () => target.credentials.enrollSecret,
    host_identifier: () => `fuzz-new-${Math.floor(rng() * 1e9)}`,
    url: () => `https://93.184.215.14/fuzz-${Math.floor(rng() * 1e6)}`,
    timestamp: () => legacyTime(rng),
    fecha_hora: () => legacyTime(rng),
    Date: () => legacyTime(rng),
    since: () => String(between(rng, 0, 50)),
    name: () => pick(rng, ["sshd", "systemd", "xmr*", "openssl", "bash"]),
    user: () => pick(rng, ["root", "malasia", "www-data"]),
    port: () => pick(rng, [22, 80, 443]),
    version: () => pick(rng, ["lt:3.0.13", "ge:1.0", "eq:2.36-9"]),
    role: () => pick(rng, ["reader", "admin"]),
  };
  if (op.path.endsWith("/diff") && (name === "from" || name === "to"))
    return pick(rng, p.reportsOfA);
  return byName[name]?.();
}

/** A value valid for `schema`, a name hint taking precedence where it fits. */
function generate(cx: Cx, schema: JsonSchema, name: string, depth: number): unknown {
  const { rng } = cx;
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const nonNull = branches.filter((b) => b.type !== "null");
    return generate(cx, pick(rng, nonNull.length > 0 ? nonNull : branches), name, depth);
  }
  if (schema.allOf) {
    const merged = schema.allOf.map((s) => generate(cx, s, name, depth));
    return Object.assign({}, ...merged.filter((m) => m && typeof m === "object"));
  }
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return pick(rng, schema.enum);
  const hinted = hint(cx, name, "body");
  const t = typeOf(schema);
  if (t === "object" || schema.properties) {
    const out: Record<string, unknown> = {};
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      if (schema.required?.includes(key) || (depth < 4 && chance(rng, 0.5))) {
        out[key] = generate(cx, sub, key, depth + 1);
      }
    }
    return out;
  }
  if (t === "array") {
    const n = between(rng, schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3));
    const items = Array.from({ length: n }, () =>
      generate(cx, schema.items ?? {}, name, depth + 1),
    );
    return schema.items?.enum ? [...new Set(items)] : items;
  }
  if (t === "integer") return typeof hinted === "number" ? hinted : validNumber(rng, schema, true);
  if (t === "number") return typeof hinted === "number" ? hinted : validNumber(rng, schema, false);
  if (t === "boolean") return chance(rng, 0.5);
  if (t === "string")
    return validString(rng, schema, typeof hinted === "string" ? hinted : undefined);
  return hinted ?? "fuzz";
}

/** A valid body: a known example when there is one (half the time), else from the schema. */
function validBody(cx: Cx, pathValues: Record<string, string>): unknown {
  const { rng, target, op } = cx;
  if (op.key === "POST /api/v1/reports") {
    const identifier = cx.onB ? target.pools.identifierB : target.pools.identifierA;
    return makeReport({ identifier, report_id: uuidFrom(rng), collected_at: isoAround(rng) });
  }
  const examples = target.examples.get(op.key);
  if (examples && examples.length > 0 && (chance(rng, 0.7) || !op.body)) {
    const body = structuredClone(pick(rng, examples)) as Record<string, unknown>;
    if (op.path.includes("/policies") && op.method === "POST" && !op.path.endsWith("/test")) {
      body.id = `fuzz-${Math.floor(rng() * 1e9)}`;
    }
    if (op.method === "PUT" && pathValues.id !== undefined) body.id = pathValues.id;
    return body;
  }
  return op.body ? generate(cx, op.body, "", 0) : undefined;
}

/** Every node of a JSON value, as paths of keys (capped: huge examples stay cheap). */
function nodesOf(value: unknown, path: (string | number)[] = [], out: (string | number)[][] = []) {
  if (out.length > 2000) return out;
  out.push(path);
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) nodesOf(v, [...path, i], out);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) nodesOf(v, [...path, k], out);
  }
  return out;
}

function getAt(value: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], value);
}

/** Replaces the node at `path` (the root when empty); returns the new root. */
function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = getAt(root, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1]!] = value;
  return root;
}

/** The schema of the node at `path`, as far as the schema says. */
function schemaAt(schema: JsonSchema | null, path: (string | number)[]): JsonSchema | undefined {
  let s: JsonSchema | undefined = schema ?? undefined;
  for (const k of path) {
    if (!s) return undefined;
    const branch = (s.anyOf ?? s.oneOf)?.find((b) => b.properties || b.items);
    if (branch) s = branch;
    s = typeof k === "number" ? s.items : s.properties?.[k];
  }
  return s;
}

const show = (path: (string | number)[]) => `/${path.join("/")}`;

function nested(depth: number, kind: "array" | "object"): string {
  return kind === "array"
    ? "[".repeat(depth) + "]".repeat(depth)
    : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}

/** Near-twins that a collation or a trim may take for equal: trailing space, case, NFD. */
const TWIN_TWEAKS: [string, (s: string) => string][] = [
  ["a trailing space", (s) => `${s} `],
  ["trailing spaces", (s) => `${s}   `],
  ["a trailing tab", (s) => `${s}\t`],
  ["other case", (s) => (s.toUpperCase() === s ? s.toLowerCase() : s.toUpperCase())],
  ["decomposed accents", (s) => `${s}é`.normalize("NFD")],
  ["composed accents", (s) => `${s}é`.normalize("NFC")],
];

type BodyShape = { shape: string; body: unknown; text?: string };

/** One way of breaking a valid body. */
function mutateBody(cx: Cx, body: unknown): BodyShape {
  const { rng, op } = cx;
  const nodes = nodesOf(body);
  const path = pick(rng, nodes);
  const node = getAt(body, path);
  const sub = schemaAt(op.body, path);
  const kind = pick(rng, [
    "boundary",
    "boundary",
    "boundary",
    "wrong type",
    "missing",
    "extra",
    "deep",
    "long array",
    "twin",
    "twin",
  ] as const);
  if (kind === "boundary") {
    if (typeof node === "number" || ["integer", "number"].includes(typeOf(sub) ?? "")) {
      const v = boundaryNumberJson(rng, sub);
      return { shape: `body ${show(path)} = ${v.text}`, body: setAt(body, path, v) };
    }
    const v = boundaryString(rng, sub);
    return { shape: `body ${show(path)} = ${v.label}`, body: setAt(body, path, v.value) };
  }
  if (kind === "wrong type") {
    const v = wrongType(rng, node);
    return {
      shape: `body ${show(path)} = ${v.label} (wrong type)`,
      body: setAt(body, path, v.value),
    };
  }
  if (kind === "missing") {
    const objects = nodes.filter((p) => {
      const v = getAt(body, p);
      return v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0;
    });
    if (objects.length === 0) return { shape: "body without any field", body: {} };
    const at = pick(rng, objects);
    const obj = getAt(body, at) as Record<string, unknown>;
    const required = schemaAt(op.body, at)?.required?.filter((k) => k in obj) ?? [];
    const key = pick(rng, required.length > 0 && chance(rng, 0.7) ? required : Object.keys(obj));
    delete obj[key];
    return { shape: `body ${show([...at, key])} missing`, body };
  }
  if (kind === "extra") {
    const objects = nodes.filter((p) => {
      const v = getAt(body, p);
      return v && typeof v === "object" && !Array.isArray(v);
    });
    const at = objects.length > 0 ? pick(rng, objects) : [];
    const obj = (getAt(body, at) ?? {}) as Record<string, unknown>;
    const key = pick(rng, ["zz_extra", "__proto__", "constructor", "", "id", "\u0000"]);
    if (key === "__proto__" || key === "constructor") {
      const text = serialize(body).replace(/^\{/, `{"${key}":{"polluted":true},`);
      return { shape: `body with a "${key}" key`, body, text };
    }
    obj[key] = pick(rng, ["x", 1, null, { nested: true }]);
    return { shape: `body ${show(at)} with an extra field "${key}"`, body };
  }
  if (kind === "deep") {
    const depth = pick(rng, [10_000, 10_000, 1_000, 100_000]);
    const form = pick(rng, ["array", "object"] as const);
    const marker = new RawJson(nested(depth, form));
    return {
      shape: `body ${show(path)} = ${form} nested ${depth} levels`,
      body: setAt(body, path, marker),
    };
  }
  if (kind === "long array") {
    const arrays = nodes.filter((p) => Array.isArray(getAt(body, p)));
    const at = arrays.length > 0 ? pick(rng, arrays) : path;
    const first = (getAt(body, at) as unknown[] | undefined)?.[0] ?? 0;
    const size = Math.max(1, serialize(first).length);
    const n = Math.min(pick(rng, [1_001, cx.longArray]), Math.floor(700_000 / (size + 1)));
    return {
      shape: `body ${show(at)} = array of ${n} items`,
      body: setAt(
        body,
        at,
        Array.from({ length: n }, () => first),
      ),
    };
  }
  const arrays = nodes.filter((p) => {
    const v = getAt(body, p);
    return Array.isArray(v) && v.length > 0;
  });
  if (arrays.length === 0) return { shape: "valid body", body };
  const at = pick(rng, arrays);
  const list = getAt(body, at) as unknown[];
  const twin = structuredClone(pick(rng, list));
  const [label, tweak] = pick(rng, TWIN_TWEAKS);
  const strings = nodesOf(twin).filter((p) => typeof getAt(twin, p) === "string");
  if (strings.length === 0) return { shape: "valid body", body };
  // The first string of an item is most often what identifies it (a name, a user).
  const sp = chance(rng, 0.5) ? strings[0]! : pick(rng, strings);
  const tweaked = setAt(twin, sp, tweak(getAt(twin, sp) as string));
  list.push(tweaked);
  return { shape: `body ${show(at)} with a twin whose ${show(sp)} differs by ${label}`, body };
}

/** Bodies that are not JSON, or not labelled as JSON, or over the size limit. */
function malformedBody(rng: Rng, valid: string): { shape: string; text: string; type?: string } {
  const variants: [string, () => string][] = [
    ["truncated JSON", () => valid.slice(0, Math.max(1, Math.floor(valid.length / 2)))],
    ["a lone brace", () => "{"],
    ["trailing comma", () => valid.replace(/}$/, ",}")],
    ["single quotes", () => valid.replace(/"/g, "'")],
    ["a BOM before JSON", () => `\ufeff${valid}`],
    ["JSON then garbage", () => `${valid}xyz`],
    ["two JSON documents", () => `${valid}${valid}`],
    ["empty body", () => ""],
    ["only whitespace", () => " \n\t "],
    ["null", () => "null"],
    ["a number", () => "42"],
    ["a string", () => '"text"'],
    ["an array", () => `[${valid}]`],
    ["invalid UTF-8 escapes", () => '{"a":"\\ud800\\udc00\\uZZZZ"}'],
    ["NUL bytes", () => "\u0000\u0000"],
  ];
  const [shape, make] = pick(rng, variants);
  if (chance(rng, 0.05))
    return { shape: "body over the size limit", text: `{"pad":"${"p".repeat(1100 * 1024)}"}` };
  return { shape: `malformed body: ${shape}`, text: make() };
}

const CONTENT_TYPES = [
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=fuzz",
  "application/json; charset=utf-16",
  "application/json; charset=latin1",
  "application/jsonx",
  "application/vnd.api+json",
  "APPLICATION/JSON",
  "application/json ; charset=utf-8",
  "application/octet-stream",
  ";",
];

/** Credentials: mostly the right one for the operation, else one of each kind. */
function credentialFor(rng: Rng, op: Operation): Credential {
  const right: Record<Security, Credential> = {
    token: op.method === "GET" && chance(rng, 0.3) ? "reader token" : "admin token",
    nodeKey: "agent key of host A",
    legacy: "legacy key",
    none: "none",
  };
  if (chance(rng, 0.75)) return right[op.security];
  const all: Credential[] =
    op.security === "legacy"
      ? ["none", "wrong legacy key", "admin token"]
      : ["none", "wrong token", "reader token", "admin token", "agent key of host A"];
  return pick(rng, all);
}

function credentialHeaders(rng: Rng, target: FuzzTarget, c: Credential): Record<string, string> {
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const wrong = [
    "Bearer wrong-token-0123456789",
    "Bearer ",
    "Basic YWRtaW46YWRtaW4=",
    `Bearer ${"t".repeat(5000)}`,
    `bearer  ${target.credentials.admin}x`,
    "Bearer %00",
  ];
  const headers: Record<Credential, () => Record<string, string>> = {
    none: () => ({}),
    "wrong token": () => ({ authorization: pick(rng, wrong) }),
    "reader token": () => bearer(target.credentials.reader),
    "admin token": () => bearer(target.credentials.admin),
    "agent key of host A": () => bearer(target.credentials.agentA),
    "legacy key": () => ({ "x-api-key": target.credentials.legacyKey }),
    "wrong legacy key": () => ({ "x-api-key": pick(rng, ["wrong", "", " ", "k".repeat(5000)]) }),
  };
  return headers[c]();
}

interface ParamValue {
  name: string;
  value: string;
  /** Sent as is, not percent-encoded. */
  raw?: boolean;
}

/** Valid values for the required parameters and, half the time each, the optional ones. */
function validParams(cx: Cx): ParamValue[] {
  const out: ParamValue[] = [];
  for (const p of cx.op.params) {
    if (!p.required && !chance(cx.rng, 0.5)) continue;
    // Which fields a free-text sort takes is said in prose only: left out when valid.
    if (p.name === "sort" && !p.schema?.enum && !p.schema?.anyOf) continue;
    const h = hint(cx, p.name, p.in === "path" ? "path" : "query");
    const s = p.schema ?? {};
    const value =
      h !== undefined && (p.in === "path" || typeOf(s) !== "string" || !s.format)
        ? h
        : generate(cx, s, p.name, 3);
    out.push({ name: p.name, value: String(value) });
  }
  return out;
}

const RAW_QUERY = [
  "%00",
  "%",
  "%ZZ",
  "%E0%A4%A",
  "a%26b%3Dc",
  "%C0%AF",
  "a+b",
  "%2e%2e%2f",
  "%FF%FE",
];
const RAW_PATH = ["%00", "..", "%2F", "%2e%2e", "%ZZ", "%20", "1%00", "1;x"];

/** One way of breaking the parameters (when there are any). */
function mutateParams(cx: Cx, values: ParamValue[]): string {
  const { rng, op } = cx;
  const kind = pick(rng, [
    "boundary",
    "boundary",
    "boundary",
    "wrong type",
    "missing",
    "extra",
    "raw",
  ] as const);
  const param = op.params.length > 0 ? pick(rng, op.params) : undefined;
  if (!param || kind === "extra") {
    const extra = pick(rng, [
      ["zz_extra", "1"],
      ["limit", "1"],
      ["__proto__", "x"],
      ["a[b]", "1"],
      ["q", "q".repeat(20_000)],
    ] as const);
    values.push({ name: extra[0], value: extra[1] });
    if (param && chance(rng, 0.5)) values.push({ name: param.name, value: "1" });
    return `extra query parameter ${extra[0]}${extra[1].length > 100 ? ` of ${extra[1].length} characters` : ""}`;
  }
  const others = values.filter((v) => v.name !== param.name);
  values.length = 0;
  values.push(...others);
  if (kind === "missing") return `${param.in} ${param.name} missing`;
  const where = `${param.in} ${param.name}`;
  if (kind === "raw") {
    const value = pick(rng, param.in === "path" ? RAW_PATH : RAW_QUERY);
    values.push({ name: param.name, value, raw: true });
    return `${where} = ${value} (raw)`;
  }
  if (kind === "wrong type") {
    const value = wrongTypeText(rng, param.schema);
    values.push({ name: param.name, value });
    return `${where} = ${value} (wrong type)`;
  }
  const t = typeOf(param.schema);
  if (t === "integer" || t === "number") {
    const value = boundaryNumberText(rng, param.schema);
    values.push({ name: param.name, value });
    return `${where} = ${JSON.stringify(value)}`;
  }
  const v = boundaryString(rng, param.schema);
  values.push({ name: param.name, value: v.value });
  return `${where} = ${v.label}`;
}

/**
 * Destructive operations never aim at host A, host B or the reader token, whatever the
 * mutation: a path id that starts with their digits ("1.5", "1;x", "+01") is sent as 0.
 */
function spareProtected(cx: Cx, values: ParamValue[]): void {
  if (!isDestructive(cx.op)) return;
  const ids = protectedIds(cx);
  for (const v of values) {
    if (!cx.op.params.some((p) => p.in === "path" && p.name === v.name)) continue;
    // The API reads "true" as 1 and "1.5" as 1 in a path.
    const digits = /^[\s+]*0*(\d+)/.exec(v.value.trim() === "true" ? "1" : v.value);
    if (digits && ids.has(Number(digits[1]))) v.value = "0";
  }
}

function protectedIds(cx: Cx): Set<number> {
  const p = cx.target.pools;
  const resource = resourceOf(cx.op.path, "id");
  if (resource === "hosts") return new Set([p.hostA, p.hostB]);
  if (resource === "tokens") return new Set([p.tokens[0]!]);
  if (resource === "webhooks") return new Set([p.webhooks[0]!]);
  return new Set();
}

/** The string with each lone surrogate replaced by U+FFFD. */
const wellFormed = (s: string) =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");

function buildUrl(op: Operation, values: ParamValue[]): string {
  // A lone surrogate has no UTF-8 form: it goes as U+FFFD, as a browser would send it.
  const enc = (v: ParamValue) => (v.raw ? v.value : encodeURIComponent(wellFormed(v.value)));
  let path = op.path;
  const query: string[] = [];
  for (const p of op.params.filter((x) => x.in === "path")) {
    const v = values.find((x) => x.name === p.name);
    path = path.replace(`{${p.name}}`, v ? enc(v) : "");
  }
  const pathNames = new Set(op.params.filter((x) => x.in === "path").map((x) => x.name));
  for (const v of values) {
    if (!pathNames.has(v.name)) query.push(`${encodeURIComponent(v.name)}=${enc(v)}`);
  }
  return query.length > 0 ? `${path}?${query.join("&")}` : path;
}

const slots = new WeakMap<Operation[], Operation[]>();

/** Operations with a body come three times: a body has more ways to be wrong than a query. */
function weighted(ops: Operation[]): Operation[] {
  let list = slots.get(ops);
  if (!list) {
    list = ops.flatMap((op) => (op.body ? [op, op, op] : [op]));
    slots.set(ops, list);
  }
  return list;
}

/** Generates case `index` of a run. */
export function generateCase(
  target: FuzzTarget,
  ops: Operation[],
  seed: number,
  index: number,
  longArray = 5_001,
): FuzzCase {
  const rng = seededRng(caseSeed(seed, index));
  const op = weighted(ops)[index % weighted(ops).length]!;
  const credential = credentialFor(rng, op);
  const touchesHost = op.params.some(
    (p) => p.name === "host_id" || (p.name === "id" && resourceOf(op.path, "id") === "hosts"),
  );
  const onB =
    (credential === "agent key of host A" && touchesHost) ||
    (op.key === "POST /api/v1/reports" && chance(rng, 0.1));
  const cx: Cx = { rng, target, op, onB, longArray };
  const values = validParams(cx);
  const pathValues = Object.fromEntries(values.map((v) => [v.name, v.value]));
  const headers = credentialHeaders(rng, target, credential);
  const shapes: string[] = [];
  if (onB) shapes.push("acting on host B");
  const roll = rng();
  const wantsBody = op.body !== null || target.examples.has(op.key);
  if (roll < 0.35 || !wantsBody) {
    if (roll < 0.8 && (op.params.length > 0 || chance(rng, 0.3)))
      shapes.push(mutateParams(cx, values));
  }
  spareProtected(cx, values);
  let text: string | undefined;
  if (wantsBody) {
    const body = validBody(cx, pathValues);
    const bodyRoll = roll < 0.35 ? 1 : rng();
    if (bodyRoll < 0.6) {
      const m = mutateBody(cx, body);
      shapes.push(m.shape);
      text = m.text ?? serialize(m.body);
    } else if (bodyRoll < 0.8) {
      const m = malformedBody(rng, serialize(body));
      shapes.push(m.shape);
      text = m.text;
    } else text = serialize(body);
    headers["content-type"] = "application/json";
    if (chance(rng, 0.08)) {
      const ct = pick(rng, [...CONTENT_TYPES, ""]);
      if (ct === "") delete headers["content-type"];
      else headers["content-type"] = ct;
      shapes.push(ct === "" ? "no content type" : `content type ${ct}`);
    }
  } else if (chance(rng, 0.05)) {
    text = serialize({ unexpected: true });
    headers["content-type"] = "application/json";
    shapes.push("a body on an operation without one");
  }
  if (op.path.includes("/inventory/") && chance(rng, 0.3)) headers.accept = "text/csv";
  const request: HttpRequest = {
    method: op.method,
    url: buildUrl(op, values),
    headers,
    body: text,
  };
  return { index, op, credential, shape: shapes.join("; ") || "valid request", request };
}

/** A printable, bounded picture of a request. */
export function describeRequest(c: FuzzCase): string {
  const r = c.request;
  const url = r.url.length > 160 ? `${r.url.slice(0, 160)}… (${r.url.length} characters)` : r.url;
  const type = r.headers["content-type"];
  const body =
    r.body === undefined
      ? ""
      : `\n      body (${Buffer.byteLength(r.body)} bytes${type ? `, ${type}` : ""}): ${JSON.stringify(String(r.body).slice(0, 160))}`;
  return `${r.method} ${url} [${c.credential}] — ${c.shape}${body}`;
}
