import type { FastifyInstance } from "fastify";
import { bearer, hashSecret, sameHash } from "../auth.ts";
import { unauthorized } from "../errors.ts";
import type { ApiMetrics } from "../metrics.ts";

/**
 * GET /metrics in Prometheus' text format, for its own token only (COMPLIANCE_METRICS_TOKEN):
 * a scraper needs no admin or reader token, and its token reads nothing else. Not part of
 * the API v1 contract (its answer is not JSON), so not in the OpenAPI document.
 */
export function metricsRoute(app: FastifyInstance, metrics: ApiMetrics, token: string): void {
  const tokenHash = hashSecret(token);
  app.get("/metrics", { schema: { hide: true } }, async (request, reply) => {
    const sent = bearer(request.headers.authorization);
    if (!sent || !sameHash(hashSecret(sent), tokenHash)) {
      throw unauthorized("send the metrics token: Authorization: Bearer <token>");
    }
    reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
