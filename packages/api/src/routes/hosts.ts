import {
  ErrorSchema,
  HOST_SORT_KEYS,
  HostListQuerySchema,
  HostSchema,
  Page,
} from "@compliance/contract";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import type { RouteContext } from "../app.ts";
import { notFound } from "../errors.ts";
import { pageOf, readerSecurity, requireToken } from "./common.ts";

export const HostParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2 ** 52 }) });
const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  503: ErrorSchema,
};

/** Hosts: the fleet list with its searches, one host, and the admin's deletion and key revocation. */
export function hostRoutes(ctx: RouteContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      "/hosts",
      {
        onRequest: requireToken(ctx),
        schema: {
          tags: ["hosts"],
          summary: "List hosts",
          description:
            "`q` matches hostname, identifier, OS, CPU, an IP, a running process or a logged-in user. " +
            `Sort by: ${HOST_SORT_KEYS.join(", ")}.`,
          security: readerSecurity,
          querystring: HostListQuerySchema,
          response: { 200: Page(HostSchema), ...errors },
        },
      },
      async (request) => {
        const { q, os, ip, cpu, process, user, status, ...rest } = request.query;
        const page = pageOf(rest, { defaultLimit: 50, maxLimit: 1000, sorts: HOST_SORT_KEYS });
        return ctx.store.listHosts({ q, os, ip, cpu, process, user, status }, page);
      },
    );

    app.get(
      "/hosts/:id",
      {
        onRequest: requireToken(ctx),
        schema: {
          tags: ["hosts"],
          summary: "One host, with its latest facts",
          security: readerSecurity,
          params: HostParams,
          response: { 200: HostSchema, ...errors },
        },
      },
      async (request) => {
        const host = await ctx.store.getHost(request.params.id);
        if (!host) throw notFound(`host ${request.params.id}`);
        return host;
      },
    );

    app.delete(
      "/hosts/:id",
      {
        onRequest: requireToken(ctx, "admin"),
        schema: {
          tags: ["hosts"],
          summary: "Delete a host and its whole history (admin)",
          description:
            "Its node key stops working; if its agent still runs, it enrolls again as a new host.",
          security: readerSecurity,
          params: HostParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        if (!(await ctx.store.hosts.delete(request.params.id)))
          throw notFound(`host ${request.params.id}`);
        return reply.code(204).send(null);
      },
    );

    app.post(
      "/hosts/:id/revoke-key",
      {
        onRequest: requireToken(ctx, "admin"),
        schema: {
          tags: ["hosts"],
          summary: "Revoke a host's node key (admin)",
          description:
            "The history stays; the agent must enroll again (with the enroll secret) to report.",
          security: readerSecurity,
          params: HostParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        if (!(await ctx.store.hosts.revokeKey(request.params.id)))
          throw notFound(`host ${request.params.id}`);
        return reply.code(204).send(null);
      },
    );
  };
}
