import {
  type AnswerOf,
  type Auth,
  type BodyOf,
  ERROR_STATUSES,
  ErrorSchema,
  nulProblems,
  OPERATIONS,
  type Operation,
  type ParamsOf,
  type QueryOf,
  type RouteName,
} from "@compliance/contract";
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from "fastify";
import { bearer } from "../auth.ts";
import { badRequest } from "../errors.ts";
import type { RouteGuards } from "../http/server-options.ts";
import type { Principal, Services } from "../services/index.ts";
import type { NodeIdentity } from "../store/store.ts";

/** Who a request comes from, set by the authentication hook of its route. */
export interface Caller {
  principal: Principal | null;
  node: NodeIdentity | null;
}

declare module "fastify" {
  interface FastifyRequest {
    caller: Caller;
  }
}

/** A request to operation N, typed from its schemas in the contract. */
export type RequestOf<N extends RouteName> = FastifyRequest<{
  Params: ParamsOf<N>;
  Querystring: QueryOf<N>;
  Body: BodyOf<N>;
}>;

/** What handles operation N: its answer, or the reply when it sends one itself. */
export type Handler<N extends RouteName> = (
  request: RequestOf<N>,
  reply: FastifyReply,
) => Promise<AnswerOf<N> | FastifyReply>;

export type Handlers = { [N in RouteName]: Handler<N> };

const SECURITY: Record<Auth, { [scheme: string]: string[] }[]> = {
  none: [],
  node: [{ nodeKey: [] }],
  reader: [{ token: [] }],
  admin: [{ token: [] }],
};

/** The route's schema for validation and the OpenAPI document: the contract's, plus errors. */
function schemaOf(name: RouteName, op: Operation) {
  const errors = Object.fromEntries(
    ERROR_STATUSES[op.auth].filter((s) => !(s in op.response)).map((s) => [s, ErrorSchema]),
  );
  return {
    operationId: name,
    tags: op.tags,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    security: SECURITY[op.auth],
    ...(op.params ? { params: op.params } : {}),
    ...(op.querystring ? { querystring: op.querystring } : {}),
    ...(op.body ? { body: op.body } : {}),
    response: { ...op.response, ...(name === "health" ? {} : errors) },
  };
}

/** One authentication hook per kind of caller; it runs before the body is read. */
function authHooks(services: Services) {
  const token = (request: FastifyRequest) => bearer(request.headers.authorization);
  return {
    none: undefined,
    node: async (request: FastifyRequest) => {
      request.caller = { principal: null, node: await services.auth.node(token(request)) };
    },
    reader: async (request: FastifyRequest) => {
      request.caller = {
        principal: await services.auth.reader(token(request), "reader"),
        node: null,
      };
    },
    admin: async (request: FastifyRequest) => {
      request.caller = {
        principal: await services.auth.reader(token(request), "admin"),
        node: null,
      };
    },
  } satisfies Record<Auth, ((request: FastifyRequest) => Promise<void>) | undefined>;
}

/**
 * Refuses NUL anywhere in a request's path parameters, query and body, before the schemas
 * run: no column stores it (PostgreSQL refuses it in text), so it is a 400 naming the
 * field on every engine rather than a database error on one.
 */
async function refuseNul(request: FastifyRequest): Promise<void> {
  const problems = [
    ...nulProblems(request.params, "params"),
    ...nulProblems(request.query, "querystring"),
    ...nulProblems(request.body, "body"),
  ].slice(0, 20);
  const first = problems[0];
  if (first) throw badRequest("invalid_request", `${first.path} ${first.message}`, problems);
}

/**
 * Registers every operation of the contract with its handler; `guards` add each route's
 * body limit and the hooks that run once its caller is known (rate limits).
 */
export function registerRoutes(
  app: FastifyInstance,
  services: Services,
  handlers: Handlers,
  guards?: RouteGuards,
) {
  app.decorateRequest("caller", null as unknown as Caller);
  const hooks = authHooks(services);
  for (const [name, op] of Object.entries(OPERATIONS) as [RouteName, Operation][]) {
    const hook = hooks[op.auth];
    const onRequest = [...(guards?.beforeAuth(name) ?? []), ...(hook ? [hook] : [])];
    app.route({
      method: op.method as "GET",
      url: op.path,
      schema: schemaOf(name, op),
      ...(onRequest.length > 0 ? { onRequest } : {}),
      ...(guards ? { bodyLimit: guards.bodyLimit(name) } : {}),
      preValidation: refuseNul,
      handler: handlers[name] as RouteHandlerMethod,
    });
  }
}
