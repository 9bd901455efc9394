import type { PolicyStatus } from "@compliance/contract";
import { badRequest } from "../errors.ts";
import { type Actor, actorOf } from "../services/audit.service.ts";
import type { Services } from "../services/index.ts";
import { pageOf, parseTime, selectorOf } from "./query.ts";
import type { Handlers } from "./register.ts";

const DAY = 86_400_000;

/**
 * A body that is a policy document, or its text: the stored policies it makes. With
 * `expectedId` (a PUT), nothing is stored unless it is exactly that one policy.
 */
function writeOf(services: Services, actor: Actor, body: unknown, expectedId?: string) {
  const text = (body as { text?: unknown }).text;
  return typeof text === "string"
    ? services.policies.putText(text, "api", expectedId, actor)
    : services.policies.put(body, "api", expectedId, actor).then((p) => [p]);
}

/** `failing`/`passing` are the words people use for fail/pass. */
const statusOf = (s: string | undefined): PolicyStatus | undefined =>
  s === "failing" ? "fail" : s === "passing" ? "pass" : (s as PolicyStatus | undefined);

/** Compliance policies, their results over time, and background jobs. */
export function policyHandlers(services: Services) {
  const { policies } = services;
  return {
    listPolicies: async () => ({ items: await policies.list() }),
    createPolicy: async (request, reply) => {
      const items = await writeOf(services, actorOf(request.caller.principal), request.body);
      reply.code(201);
      return { items };
    },
    testPolicy: async (request) =>
      policies.test(request.body.policy, {
        ...(request.body.host_id !== undefined ? { hostId: request.body.host_id } : {}),
        ...(request.body.at !== undefined ? { at: parseTime(request.body.at, "at")! } : {}),
      }),
    getPolicy: async (request) => policies.get(request.params.id),
    putPolicy: async (request) => {
      const actor = actorOf(request.caller.principal);
      const [stored] = await writeOf(services, actor, request.body, request.params.id);
      return stored!;
    },
    deletePolicy: async (request, reply) => {
      await policies.remove(request.params.id, actorOf(request.caller.principal));
      return reply.code(204).send(null);
    },
    policyHosts: async (request) => {
      const { status, at, ...rest } = request.query;
      const filter = { status: statusOf(status), at: parseTime(at, "at") ?? null };
      return policies.policyHosts(request.params.id, filter, pageOf("policyHosts", rest));
    },
    policyHistory: async (request) => {
      const to = parseTime(request.query.to, "to") ?? services.now();
      const from = parseTime(request.query.from, "from") ?? to - 7 * DAY;
      if (from > to) throw badRequest("invalid_request", "querystring/from must be before to");
      return policies.policyHistory(request.params.id, from, to);
    },
    hostPolicies: async (request) =>
      policies.hostPolicies(request.params.id, selectorOf(request.query)),
    compliance: async (request) => policies.compliance(parseTime(request.query.at, "at") ?? null),
    getJob: async (request) => services.jobs.job(request.params.id),
    listJobs: async () => ({ items: await services.jobs.list() }),
  } satisfies Pick<
    Handlers,
    | "listPolicies"
    | "createPolicy"
    | "testPolicy"
    | "getPolicy"
    | "putPolicy"
    | "deletePolicy"
    | "policyHosts"
    | "policyHistory"
    | "hostPolicies"
    | "compliance"
    | "getJob"
    | "listJobs"
  >;
}

/** Webhooks for policy status changes (admin). */
export function webhookHandlers(services: Services) {
  const { webhooks } = services;
  return {
    listWebhooks: async () => ({ items: await webhooks.list() }),
    createWebhook: async (request, reply) => {
      reply.code(201);
      return webhooks.create(
        request.body.url,
        request.body.events,
        actorOf(request.caller.principal),
      );
    },
    deleteWebhook: async (request, reply) => {
      await webhooks.remove(request.params.id, actorOf(request.caller.principal));
      return reply.code(204).send(null);
    },
    webhookDeliveries: async (request) => ({
      items: await webhooks.deliveries(request.params.id, request.query.limit ?? 100),
    }),
  } satisfies Pick<
    Handlers,
    "listWebhooks" | "createWebhook" | "deleteWebhook" | "webhookDeliveries"
  >;
}
