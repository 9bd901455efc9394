import { ErrorSchema, TokenRoleSchema, WhoAmISchema } from "@compliance/contract";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import type { RouteContext } from "../app.ts";
import { authenticateReader, hashSecret, newSecret } from "../auth.ts";
import { notFound } from "../errors.ts";
import { readerSecurity, requireToken } from "./common.ts";

const TokenSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  role: TokenRoleSchema,
  created_at: Type.String({ format: "date-time" }),
  last_used_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
});
const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  503: ErrorSchema,
};

/** Tokens for people and scripts (admin only). The secret is shown once, at creation. */
export function tokenRoutes(ctx: RouteContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook("onRequest", requireToken(ctx, "admin"));

    app.get(
      "/tokens",
      {
        schema: {
          tags: ["tokens"],
          summary: "List API tokens (admin)",
          security: readerSecurity,
          response: { 200: Type.Object({ items: Type.Array(TokenSchema) }), ...errors },
        },
      },
      async () => ({ items: await ctx.store.tokens.list() }),
    );

    app.post(
      "/tokens",
      {
        schema: {
          tags: ["tokens"],
          summary: "Create an API token (admin); its secret is in this answer only",
          security: readerSecurity,
          body: Type.Object(
            { name: Type.String({ minLength: 1, maxLength: 255 }), role: TokenRoleSchema },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Intersect([TokenSchema, Type.Object({ token: Type.String() })]),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const token = newSecret();
        const id = await ctx.store.tokens.create(
          request.body.name,
          request.body.role,
          hashSecret(token),
        );
        const record = (await ctx.store.tokens.list()).find((t) => t.id === id)!;
        reply.code(201);
        return { ...record, token };
      },
    );

    app.delete(
      "/tokens/:id",
      {
        schema: {
          tags: ["tokens"],
          summary: "Revoke an API token (admin)",
          security: readerSecurity,
          params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        if (!(await ctx.store.tokens.revoke(request.params.id)))
          throw notFound(`token ${request.params.id}`);
        return reply.code(204).send(null);
      },
    );
  };
}

/** GET /me: which role the token sent has; any valid token may ask. */
export function whoAmIRoutes(ctx: RouteContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      "/me",
      {
        schema: {
          tags: ["tokens"],
          summary: "The role of the token sent (admin or reader)",
          security: readerSecurity,
          response: { 200: WhoAmISchema, ...errors },
        },
      },
      async (request) => {
        const principal = await authenticateReader(request, ctx.store, ctx.secrets, "reader");
        if (principal.tokenId === null) return { role: principal.role, token: null };
        const record = (await ctx.store.tokens.list()).find((t) => t.id === principal.tokenId);
        return {
          role: principal.role,
          token: record ? { id: record.id, name: record.name } : null,
        };
      },
    );
  };
}
