import type { ReportProcess, ReportSession } from "@compliance/contract";
import {
  DiffSchema,
  ErrorSchema,
  EXECUTION_SORT_KEYS,
  ExecutionSchema,
  Page,
  PageQuerySchema,
  PROCESS_SORT_KEYS,
  ProcessPageSchema,
  ReportSchema,
  SESSION_SORT_KEYS,
  SessionPageSchema,
  SnapshotQuerySchema,
} from "@compliance/contract";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import type { RouteContext } from "../app.ts";
import { notFound } from "../errors.ts";
import {
  hostExecution,
  pageList,
  pageOf,
  parseTime,
  readerSecurity,
  requireToken,
  selectorOf,
} from "./common.ts";
import { HostParams } from "./hosts.ts";

const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  503: ErrorSchema,
};

/** Sorts a copy by one field; `-field` descends. Ties keep the order sent. */
function sortBy<T>(items: T[], sort: string | undefined): T[] {
  if (!sort) return items;
  const desc = sort.startsWith("-");
  const key = sort.replace(/^-/, "") as keyof T;
  const sign = desc ? -1 : 1;
  return [...items].sort((a, b) => {
    const x = a[key] as unknown;
    const y = b[key] as unknown;
    if (x === y) return 0;
    if (x === undefined || x === null) return 1;
    if (y === undefined || y === null) return -1;
    return (x < y ? -1 : 1) * sign;
  });
}

const matchesProcess = (q: string) => (p: ReportProcess) =>
  p.name.toLowerCase().includes(q) ||
  p.user.toLowerCase().includes(q) ||
  String(p.pid) === q ||
  (p.cmdline?.toLowerCase().includes(q) ?? false);

const matchesSession = (q: string) => (s: ReportSession) =>
  s.user.toLowerCase().includes(q) ||
  s.terminal.toLowerCase().includes(q) ||
  (s.remote_host?.toLowerCase().includes(q) ?? false);

/** A host's history: its executions, what ran and who was logged in at any of them, diffs. */
export function historyRoutes(ctx: RouteContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      "/hosts/:id/reports",
      {
        onRequest: requireToken(ctx),
        schema: {
          tags: ["history"],
          summary: "A host's executions: the timeline",
          description:
            "Per execution: time, process and session counts, CPU use, and what changed against the previous one. " +
            "`from`/`to` bound collected_at. Newest first unless `sort=collected_at`.",
          security: readerSecurity,
          params: HostParams,
          querystring: Type.Intersect([
            PageQuerySchema,
            Type.Object({
              from: Type.Optional(Type.String({ format: "date-time" })),
              to: Type.Optional(Type.String({ format: "date-time" })),
            }),
          ]),
          response: { 200: Page(ExecutionSchema), ...errors },
        },
      },
      async (request) => {
        const { from, to, ...rest } = request.query;
        const page = pageOf(rest, {
          defaultLimit: 100,
          maxLimit: 5000,
          sorts: EXECUTION_SORT_KEYS,
        });
        if (!(await ctx.store.getHost(request.params.id)))
          throw notFound(`host ${request.params.id}`);
        return ctx.store.listExecutions(
          request.params.id,
          { from: parseTime(from, "from"), to: parseTime(to, "to") },
          page,
        );
      },
    );

    app.get(
      "/hosts/:id/processes",
      {
        onRequest: requireToken(ctx),
        schema: {
          tags: ["history"],
          summary: "What ran on a host: now, at a time, or at an execution",
          description:
            "`at` picks the execution in effect at that time (the latest collected at or before it); `report` " +
            `picks one; neither: the latest. \`q\` matches name, user, pid or command line. Sort by: ${PROCESS_SORT_KEYS.join(", ")}.`,
          security: readerSecurity,
          params: HostParams,
          querystring: SnapshotQuerySchema,
          response: { 200: ProcessPageSchema, ...errors },
        },
      },
      async (request) => {
        const { at, report, q, ...rest } = request.query;
        const page = pageOf(rest, {
          defaultLimit: 1000,
          maxLimit: 20_000,
          sorts: PROCESS_SORT_KEYS,
        });
        const execution = await hostExecution(ctx, request.params.id, selectorOf({ at, report }));
        const snapshot = await ctx.store.processes(execution);
        const filtered = q
          ? snapshot.items.filter(matchesProcess(q.toLowerCase()))
          : snapshot.items;
        return {
          report_id: snapshot.reportId,
          collected_at: snapshot.collectedAt,
          ...pageList(sortBy(filtered, page.sort), page),
        };
      },
    );

    app.get(
      "/hosts/:id/sessions",
      {
        onRequest: requireToken(ctx),
        schema: {
          tags: ["history"],
          summary: "Who was logged in on a host: now, at a time, or at an execution",
          description:
            "`known: false` means the agent could not read sessions there (e.g. no utmp): unknown, not nobody. " +
            `Sort by: ${SESSION_SORT_KEYS.join(", ")}.`,
          security: readerSecurity,
          params: HostParams,
          querystring: SnapshotQuerySchema,
          response: { 200: SessionPageSchema, ...errors },
        },
      },
      async (request) => {
        const { at, report, q, ...rest } = request.query;
        const page = pageOf(rest, {
          defaultLimit: 1000,
          maxLimit: 10_000,
          sorts: SESSION_SORT_KEYS,
        });
        const execution = await hostExecution(ctx, request.params.id, selectorOf({ at, report }));
        const snapshot = await ctx.store.sessions(execution);
        const filtered = q
          ? snapshot.items.filter(matchesSession(q.toLowerCase()))
          : snapshot.items;
        return {
          report_id: snapshot.reportId,
          collected_at: snapshot.collectedAt,
          known: snapshot.known,
          ...(snapshot.reason !== undefined ? { reason: snapshot.reason } : {}),
          ...pageList(sortBy(filtered, page.sort), page),
        };
      },
    );

    app.get(
      "/hosts/:id/diff",
      {
        onRequest: requireToken(ctx),
        schema: {
          tags: ["history"],
          summary: "What changed between two executions of a host",
          description:
            "Processes started and ended (and those that kept pid and start time but changed name, user, parent " +
            "or command line), sessions opened and closed, facts changed. `from` and `to` are report ids; `to` " +
            "defaults to the latest, `from` to the execution before `to`.",
          security: readerSecurity,
          params: HostParams,
          querystring: Type.Object({
            from: Type.Optional(Type.String({ format: "uuid" })),
            to: Type.Optional(Type.String({ format: "uuid" })),
          }),
          response: { 200: DiffSchema, ...errors },
        },
      },
      async (request) => {
        const hostId = request.params.id;
        const to = await hostExecution(
          ctx,
          hostId,
          request.query.to ? { reportId: request.query.to } : { latest: true },
        );
        const from = request.query.from
          ? await hostExecution(ctx, hostId, { reportId: request.query.from })
          : ((await ctx.store.history.executionBefore(ctx.store.db, hostId, to.pos)) ?? to);
        return ctx.store.diff(hostId, from, to);
      },
    );

    app.get(
      "/reports/:id",
      {
        onRequest: requireToken(ctx),
        schema: {
          tags: ["history"],
          summary: "A stored report, as the agent sent it",
          description: "Rebuilt from the history; equal, field for field, to the report received.",
          security: readerSecurity,
          params: Type.Object({ id: Type.String({ format: "uuid" }) }),
          response: { 200: ReportSchema, ...errors },
        },
      },
      async (request, reply) => {
        const stored = await ctx.store.report(request.params.id);
        if (!stored) throw notFound(`report ${request.params.id}`);
        reply.header("x-host-id", String(stored.hostId));
        return stored.report;
      },
    );
  };
}
