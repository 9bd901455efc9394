import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { schemaProblems } from "@compliance/contract";
import fastifyStatic from "@fastify/static";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from "fastify";
import { compatRoutes } from "./compat/compat.routes.ts";
import type { Config } from "./config.ts";
import { registerDocs } from "./docs.ts";
import { ApiError, fromStoreError } from "./errors.ts";
import { Admission } from "./http/admission.ts";
import { acceptCompressedBodies } from "./http/compressed-bodies.ts";
import {
  clientErrorHandler,
  frameworkErrors,
  strictValidatorCompiler,
} from "./http/framework-errors.ts";
import { limitJsonBodies } from "./http/json-limits.ts";
import { installRateLimits } from "./http/rate-limit.ts";
import { requestLog } from "./http/request-log.ts";
import { securityHeaders } from "./http/security-headers.ts";
import { routeGuards, serverOptions } from "./http/server-options.ts";
import { HTTP_DEFAULTS, type HttpLimits, type RateLimits } from "./http/settings.ts";
import { ApiMetrics } from "./metrics.ts";
import { handlers, registerRoutes } from "./routes/index.ts";
import { metricsRoute } from "./routes/ops.routes.ts";
import { type AuthSecrets, createServices, type Services } from "./services/index.ts";
import type { Store } from "./store/store.ts";
import { isDatabaseUnavailable, overloadOf } from "./store/unavailable.ts";
import { API_VERSION } from "./version.ts";

export { API_VERSION };

export interface AppOptions {
  store: Store;
  config: Pick<
    Config,
    "bodyLimitBytes" | "consoleDir" | "legacyIngest" | "legacyKey" | "agentIntervalSeconds"
  > &
    Partial<
      Pick<
        Config,
        | "webhookAllowPrivate"
        | "legacyTimeZone"
        | "metricsToken"
        | "deltaCacheMegabytes"
        | keyof HttpLimits
      >
    >;
  /**
   * How often callers may ask (the server passes the configured limits). Without it nothing
   * is rate limited, as in tests that drive many hosts from one address through inject().
   */
  rateLimits?: RateLimits | undefined;
  secrets: AuthSecrets;
  now?: (() => number) | undefined;
  logger?: FastifyServerOptions["logger"];
  /** The log to write to (the server's); takes the place of `logger`. */
  loggerInstance?: FastifyBaseLogger | undefined;
}

export type App = FastifyInstance;

declare module "fastify" {
  interface FastifyInstance {
    /** What the routes call; the server runs their background work. */
    services: Services;
  }
}

/**
 * One answer for every error: client errors keep their message; a database that does not
 * answer is 503 "unavailable", every connection of the pool busy 503 "overloaded" (both
 * with Retry-After); anything else is a 500.
 */
function sendError(
  admission: Admission,
  error: FastifyError | ApiError,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const overload = overloadOf(error);
  const known =
    error instanceof ApiError
      ? error
      : (fromStoreError(error) ?? (overload ? admission.refuse(overload) : null));
  if (known) {
    for (const [k, v] of Object.entries(known.headers)) reply.header(k, v);
    return reply.code(known.statusCode).send({
      error: {
        code: known.code,
        message: known.message,
        ...(known.details ? { details: known.details } : {}),
      },
    });
  }
  const e = error as FastifyError;
  if (e.validation) {
    const details = schemaProblems(e.validation as never).map((p) => ({
      path: `${e.validationContext ?? "body"}${p.path === "/" ? "" : p.path}`,
      message: p.message,
    }));
    const first = details[0];
    return reply.code(400).send({
      error: {
        code: "invalid_request",
        message: first ? `${first.path} ${first.message}` : "the request is not valid",
        details,
      },
    });
  }
  if (isDatabaseUnavailable(e)) {
    request.log.warn({ err: e }, "database unavailable");
    reply.header("retry-after", "5");
    return reply.code(503).send({
      error: { code: "unavailable", message: "the database is unavailable; retry later" },
    });
  }
  const status = e.statusCode ?? 500;
  if (status === 413) {
    const limit = request.routeOptions.bodyLimit;
    return reply.code(413).send({
      error: {
        code: "body_too_large",
        message: `body is larger than the ${limit} bytes ${request.method} ${request.routeOptions.url ?? request.url.split("?")[0]} accepts`,
        details: [{ path: "body", message: `is larger than ${limit} bytes` }],
      },
    });
  }
  if (status >= 400 && status < 500) {
    const code =
      status === 413
        ? "body_too_large"
        : status === 415
          ? "unsupported_media_type"
          : "invalid_request";
    return reply.code(status).send({ error: { code, message: e.message } });
  }
  request.log.error({ err: e }, "request failed");
  return reply.code(500).send({ error: { code: "internal", message: "internal error" } });
}

const NO_RATE_LIMITS: RateLimits = { reports: null, enroll: null, authFailures: null };

/** The options that are set: an absent (undefined) one keeps its default. */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Builds the API without listening: tests call `app.inject()`, the server calls
 * `app.listen()`. Everything it needs comes in as options.
 */
export async function buildApp(options: AppOptions) {
  const limits = {
    ...HTTP_DEFAULTS,
    ...definedOnly(options.config),
    bodyLimitBytes: options.config.bodyLimitBytes,
  };
  const app = Fastify({
    ...(options.loggerInstance
      ? { loggerInstance: options.loggerInstance }
      : { logger: options.logger ?? false }),
    ...serverOptions(limits),
    // Reports are validated by TypeBox, never coerced: a string where a number belongs is a 400.
    ajv: { customOptions: { coerceTypes: false } },
    return503OnClosing: true,
    // Fastify's own two lines per request are off; requestLog writes one, cheaply.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: "idle",
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.server.maxConnections = limits.maxConnections;
  app.setValidatorCompiler(strictValidatorCompiler);
  const admission = new Admission(limits.maxPendingReports);
  app.addHook("onResponse", async (request) => admission.release(request));
  app.addHook("onRequestAbort", async (request) => admission.release(request));
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) =>
    sendError(admission, error, request, reply),
  );
  securityHeaders(app);
  acceptCompressedBodies(app, limits.bodyLimitBytes);
  limitJsonBodies(app, { maxDepth: limits.jsonMaxDepth, maxItems: limits.jsonMaxItems });
  const rateHooks = installRateLimits(app, options.rateLimits ?? NO_RATE_LIMITS);
  requestLog(app);
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: {
        code: "not_found",
        message: `no route ${request.method} ${request.url.split("?")[0]}`,
      },
    }),
  );
  await registerDocs(app);

  const services = createServices(options.store, {
    secrets: options.secrets,
    now: options.now ?? Date.now,
    version: API_VERSION,
    intervalMs: options.config.agentIntervalSeconds * 1000,
    webhookAllowPrivate: options.config.webhookAllowPrivate ?? false,
    log: app.log,
    deltaCacheBytes:
      options.config.deltaCacheMegabytes === undefined
        ? undefined
        : options.config.deltaCacheMegabytes * 1024 * 1024,
  });
  app.decorate("services", services);
  if (options.config.metricsToken) {
    const metrics = new ApiMetrics(options.store, admission);
    metrics.install(app);
    services.policies.onEvaluated = (phase, ms) => metrics.policyEvaluated(phase, ms);
    metrics.observeDeltaBases(services.ingest.bases);
    metricsRoute(app, metrics, options.config.metricsToken);
  }
  registerRoutes(app, services, handlers(services), routeGuards(limits, rateHooks, admission));
  if (options.config.legacyIngest) {
    await app.register(
      compatRoutes(services.legacy, {
        legacyKey: options.config.legacyKey,
        legacyTimeZone: options.config.legacyTimeZone ?? "UTC",
        json: { maxDepth: limits.jsonMaxDepth, maxItems: limits.jsonMaxItems },
      }),
    );
  }

  const consoleDir = options.config.consoleDir ? resolve(options.config.consoleDir) : null;
  if (consoleDir && existsSync(consoleDir)) {
    await app.register(fastifyStatic, { root: consoleDir, prefix: "/", wildcard: false });
  }
  return app;
}
