import * as contract from "@compliance/contract";
import { OPERATION_TAGS, OPERATIONS, type Operation, type RouteName } from "@compliance/contract";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { API_VERSION } from "./version.ts";

/**
 * The API's OpenAPI document at /openapi.json and its pages at /docs. The document is built
 * from the routes' schemas; then every schema the contract exports by name (HostSchema,
 * ErrorSchema…) is listed once under components/schemas as `Host`, `Error`…, and each
 * place that repeats it refers to it, so generated clients get named types.
 */
export async function registerDocs(app: FastifyInstance) {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Compliance API",
        version: API_VERSION,
        description:
          "Agents enroll and send reports; readers query hosts, their executions, history and diffs. " +
          "Errors are {error:{code,message,details?}}.",
        license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
        contact: { name: "Compliance" },
      },
      servers: [{ url: "/", description: "The API itself, where this document is served" }],
      tags: [...OPERATION_TAGS, LEGACY_TAG],
      components: {
        securitySchemes: {
          token: { type: "http", scheme: "bearer", description: "Admin or reader token" },
          nodeKey: {
            type: "http",
            scheme: "bearer",
            description: "A host's node key, from /api/v1/enroll",
          },
        },
      },
    },
    transformObject: (document) =>
      finishDocument((document as unknown as { openapiObject: Doc }).openapiObject),
  });
  // No validator badge: it would load an image from another site.
  await app.register(fastifySwaggerUi, { routePrefix: "/docs", uiConfig: { validatorUrl: null } });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
interface Doc extends JsonObject {
  paths: Record<string, Record<string, JsonObject>>;
  components: JsonObject;
}

const LEGACY_TAG = {
  name: "legacy",
  description:
    "The older systems' routes, served when COMPLIANCE_LEGACY_INGEST is set; they take the legacy key in x-api-key.",
};

const LEGACY_KEY_SCHEME = {
  type: "apiKey",
  in: "header",
  name: "x-api-key",
  description: "The legacy key (COMPLIANCE_LEGACY_KEY)",
};

const METHODS = ["get", "put", "post", "delete", "patch"];

const isObject = (v: unknown): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Operation ids, security, CSV answers and named schemas: what the routes' schemas lack. */
function finishDocument(doc: Doc): Doc {
  let legacy = false;
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      if (Array.isArray(op.tags) && op.tags.includes("legacy")) {
        legacy = true;
        op.operationId ??= legacyOperationId(method, path);
        op.security ??= [{ legacyKey: [] }];
      }
      const name = op.operationId as RouteName;
      const known: Operation | undefined = Object.hasOwn(OPERATIONS, name)
        ? OPERATIONS[name]
        : undefined;
      if (known?.csv) declareCsv(op);
    }
  }
  const securitySchemes = isObject(doc.components.securitySchemes)
    ? doc.components.securitySchemes
    : {};
  const schemes = legacy ? { ...securitySchemes, legacyKey: LEGACY_KEY_SCHEME } : securitySchemes;
  const named = nameSchemas(doc.paths as unknown as JsonObject);
  const tags = Array.isArray(doc.tags) ? doc.tags : [];
  return {
    ...doc,
    tags: legacy ? tags : tags.filter((t) => !isObject(t) || t.name !== LEGACY_TAG.name),
    paths: named.paths as Doc["paths"],
    components: { ...doc.components, schemas: named.schemas, securitySchemes: schemes },
  };
}

/** `legacyPostApiV1ComplianceSystemInfo` for POST /api/v1/compliance/system_info. */
function legacyOperationId(method: string, path: string): string {
  const words = `${method} ${path}`
    .replace(/\{[^}]*\}/g, " by id ")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  const root = path === "/" ? ["root"] : [];
  return ["legacy", ...words, ...root]
    .map((w, i) => (i === 0 ? w : w[0]?.toUpperCase() + w.slice(1)))
    .join("");
}

/** Its 200 answer as CSV too (`format=csv` or `Accept: text/csv`): one header line, then a row each. */
function declareCsv(op: JsonObject) {
  const responses = op.responses;
  const ok = isObject(responses) ? responses["200"] : undefined;
  if (!isObject(ok) || !isObject(ok.content)) return;
  ok.content["text/csv"] = {
    schema: { type: "string", description: "A header line, then one line per row" },
  };
}

/**
 * A schema's text with its keys in order, written as the document writes it: `const` as the
 * one-value `enum` it is, `patternProperties` as `additionalProperties`, no `$id`.
 */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (!isObject(value)) return JSON.stringify(value) ?? "null";
  const schema: Record<string, unknown> = { ...value };
  delete schema.$id;
  delete schema.$schema;
  if ("const" in schema) {
    schema.enum = [schema.const];
    delete schema.const;
  }
  if (isObject(schema.patternProperties)) {
    schema.additionalProperties = Object.values(schema.patternProperties)[0];
    delete schema.patternProperties;
  }
  const keys = Object.keys(schema).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(schema[k])}`).join(",")}}`;
}

/**
 * The contract's schemas worth a name: exported as `XxxSchema`, an object or a choice of
 * shapes (not a bare string or number, which would match any field of that type), and not
 * a query or path (those are listed as parameters one by one).
 */
function contractSchemaNames(): Map<string, string> {
  const names = new Map<string, string>();
  for (const [key, value] of Object.entries(contract) as [string, unknown][]) {
    if (!key.endsWith("Schema") || !isObject(value)) continue;
    if (/(Query|Params)Schema$/.test(key)) continue;
    const shaped =
      value.type === "object" || Array.isArray(value.allOf) || Array.isArray(value.anyOf);
    const text = canonical(value);
    if (shaped && !names.has(text)) names.set(text, key.slice(0, -"Schema".length));
  }
  return names;
}

let schemaNames: Map<string, string> | undefined;

/** The paths with each named schema replaced by a $ref, and the schemas they refer to. */
function nameSchemas(paths: JsonObject) {
  schemaNames ??= contractSchemaNames();
  const names = schemaNames;
  const schemas: Record<string, Json> = {};
  const visit = (node: Json, top: boolean): Json => {
    if (Array.isArray(node)) return node.map((n) => visit(n, false));
    if (!isObject(node)) return node;
    const name = top ? undefined : names.get(canonical(node));
    if (name === undefined) {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, visit(v, false)]));
    }
    if (!(name in schemas)) {
      schemas[name] = null;
      schemas[name] = visit(node, true);
    }
    return { $ref: `#/components/schemas/${name}` };
  };
  const named = visit(paths, true);
  const sorted = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  return { paths: named, schemas: sorted };
}
