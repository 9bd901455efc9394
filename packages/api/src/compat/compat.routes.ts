import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { hashSecret, sameHash } from "../auth.ts";
import type { Config } from "../config.ts";
import { ApiError, unauthorized } from "../errors.ts";
import { checkJsonLimits, type JsonLimits } from "../http/json-limits.ts";
import { HTTP_DEFAULTS } from "../http/settings.ts";
import type { LegacyService } from "../services/legacy.service.ts";
import type { SeedOptions } from "./legacy-ingest.ts";
import { seed000Routes } from "./seed-000.ts";
import { seed001Routes } from "./seed-001.ts";
import { seed002Routes } from "./seed-002.ts";
import { seed003Routes } from "./seed-003.ts";
import { seed004Routes } from "./seed-004.ts";

/** Every seed by id: its routes at their original paths. A new seed is a file and a line here. */
export const SEEDS = {
  "000": seed000Routes,
  "001": seed001Routes,
  "002": seed002Routes,
  "003": seed003Routes,
  "004": seed004Routes,
} as const satisfies Record<
  string,
  (ingest: LegacyService, options: SeedOptions) => FastifyPluginAsyncTypebox
>;

/** Sends 401 unless the request carries the legacy key in `x-api-key` (seed 003's header). */
export function requireLegacyKey(key: string | null) {
  const expected = key === null ? null : hashSecret(key);
  return async (request: FastifyRequest) => {
    if (expected === null) return;
    const sent = request.headers["x-api-key"];
    if (typeof sent !== "string" || sent === "") {
      throw unauthorized("send the legacy key in the x-api-key header", "legacy_key_required");
    }
    if (!sameHash(hashSecret(sent), expected)) {
      throw unauthorized("the legacy key is not valid", "invalid_legacy_key");
    }
  };
}

/**
 * Reads a body as JSON whatever its Content-Type, or without one: seed 004's agent sends
 * none, and some agents label JSON as text/plain. Registered inside this plugin only, so the
 * rest of the API keeps its strict parsing. Its depth and array lengths are checked before
 * it is parsed, as for application/json, and Fastify's own JSON parser (which refuses
 * __proto__ and constructor keys) builds it. The text is kept: the seeds' read routes
 * answer with what was sent.
 */
const parseAnyAsJson =
  (
    limits: JsonLimits,
    parse: ReturnType<FastifyInstance["getDefaultJsonParser"]>,
    texts: WeakMap<FastifyRequest, string>,
  ) =>
  (
    request: FastifyRequest,
    body: string | Buffer,
    done: (error: Error | null, value?: unknown) => void,
  ): void => {
    const raw = typeof body === "string" ? body : body.toString("utf8");
    // A byte order mark is how the text was written, not part of the JSON: what is kept
    // and read back again (the seeds' read routes) starts at the JSON itself.
    const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (text.trim() === "") {
      done(null, undefined);
      return;
    }
    try {
      checkJsonLimits(text, limits);
    } catch (e) {
      done(e as Error);
      return;
    }
    texts.set(request, text);
    parse(request, text, (error, value) => {
      if (!error) {
        done(null, value);
        return;
      }
      done(
        new ApiError(400, "invalid_request", `body is not JSON: ${error.message}`, [
          { path: "body", message: "is not JSON" },
        ]),
      );
    });
  };

/**
 * The seeds' routes and payloads, mapped into hosts and executions (off unless
 * COMPLIANCE_LEGACY_INGEST is on; behind COMPLIANCE_LEGACY_KEY when it is set).
 * See packages/api/COMPAT.md.
 */
export function compatRoutes(
  ingest: LegacyService,
  config: Pick<Config, "legacyKey"> & { legacyTimeZone?: string; json?: JsonLimits },
): FastifyPluginAsyncTypebox {
  const json = config.json ?? {
    maxDepth: HTTP_DEFAULTS.jsonMaxDepth,
    maxItems: HTTP_DEFAULTS.jsonMaxItems,
  };
  return async (app) => {
    app.addHook("onRequest", requireLegacyKey(config.legacyKey));
    const texts = new WeakMap<FastifyRequest, string>();
    const parser = parseAnyAsJson(json, app.getDefaultJsonParser("error", "error"), texts);
    // application/json and text/plain have parsers of their own, which "*" does not
    // replace: both are read the same way here.
    app.removeContentTypeParser(["application/json", "text/plain"]);
    for (const type of ["application/json", "text/plain", "*"]) {
      app.addContentTypeParser(type, { parseAs: "string" }, parser);
    }
    const rawOf = (request: FastifyRequest) => texts.get(request) ?? JSON.stringify(request.body);
    const options = { rawOf, timeZone: config.legacyTimeZone ?? "UTC" };
    for (const routes of Object.values(SEEDS)) await app.register(routes(ingest, options));
  };
}
