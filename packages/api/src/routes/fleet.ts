import {
  ChangeFeedSchema,
  CpuPointSchema,
  ErrorSchema,
  FleetSummarySchema,
  Page,
  PageQuerySchema,
  ProcessSearchHitSchema,
  SessionSearchHitSchema,
} from "@compliance/contract";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import type { RouteContext } from "../app.ts";
import {
  INVENTORY_COLUMNS,
  INVENTORY_TABLES,
  type InventoryTable,
  toCsv,
} from "../store/inventory.repository.ts";
import { pageOf, parseTime, readerSecurity, requireToken } from "./common.ts";

const Range = {
  from: Type.Optional(
    Type.String({ format: "date-time", description: "collected_at at or after" }),
  ),
  to: Type.Optional(Type.String({ format: "date-time", description: "collected_at at or before" })),
};
const Limit = (max: number) => Type.Optional(Type.Integer({ minimum: 1, maximum: max }));

/** How long a stored execution waits before the change feed hands it out (see Store.changes). */
const FEED_SETTLE_MS = 2000;

const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  503: ErrorSchema,
};

/** Fleet-wide questions: the overview and the searches across hosts. */
export function fleetRoutes(ctx: RouteContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      "/summary",
      {
        onRequest: requireToken(ctx),
        schema: {
          tags: ["fleet"],
          summary: "The fleet at a glance",
          description:
            "Hosts online (reported within two agent intervals), offline and never reported; OS and CPU " +
            "breakdowns; processes and sessions now; the most recently changed hosts.",
          security: readerSecurity,
          response: { 200: FleetSummarySchema, ...errors },
        },
      },
      async () => ctx.store.fleet.summary(),
    );

    app.get(
      "/search/processes",
      {
        onRequest: requireToken(ctx),
        schema: {
          tags: ["fleet"],
          summary: "Hosts running a process, now or at a time",
          description:
            "`name` is a glob on the process name (`nginx`, `postgres*`, `?sh`), case-insensitive. " +
            "With `at`, each host is searched in its execution in effect then; without, in its latest.",
          security: readerSecurity,
          querystring: Type.Object({
            name: Type.String({ minLength: 1, maxLength: 255 }),
            at: Type.Optional(Type.String({ format: "date-time" })),
            limit: Limit(1000),
            offset: PageQuerySchema.properties.offset,
          }),
          response: { 200: Page(ProcessSearchHitSchema), ...errors },
        },
      },
      async (request) => {
        const { name, at, ...rest } = request.query;
        const page = pageOf(rest, { defaultLimit: 100, maxLimit: 1000, sorts: [] });
        return ctx.store.fleet.hostsRunning(name, parseTime(at, "at") ?? null, page);
      },
    );

    app.get(
      "/search/sessions",
      {
        onRequest: requireToken(ctx),
        schema: {
          tags: ["fleet"],
          summary: "Where a user has or had a session",
          description:
            "`user` is a glob on the user name. `open=true`: sessions open now. `from`/`to`: sessions open at " +
            "any execution collected in that range. One row per session, newest first.",
          security: readerSecurity,
          querystring: Type.Object({
            user: Type.String({ minLength: 1, maxLength: 255 }),
            open: Type.Optional(Type.Boolean()),
            ...Range,
            limit: Limit(1000),
            offset: PageQuerySchema.properties.offset,
          }),
          response: { 200: Page(SessionSearchHitSchema), ...errors },
        },
      },
      async (request) => {
        const { user, open, from, to, ...rest } = request.query;
        const page = pageOf(rest, { defaultLimit: 100, maxLimit: 1000, sorts: [] });
        return ctx.store.fleet.sessionsOf(
          user,
          { from: parseTime(from, "from"), to: parseTime(to, "to"), openOnly: open ?? false },
          page,
        );
      },
    );

    app.get(
      "/cpus",
      {
        onRequest: requireToken(ctx),
        schema: {
          tags: ["fleet"],
          summary: "CPU use per execution, fleet-wide or for one host",
          description: "Newest first; `sort=collected_at` for oldest first.",
          security: readerSecurity,
          querystring: Type.Object({
            host_id: Type.Optional(Type.Integer({ minimum: 1 })),
            ...Range,
            limit: Limit(10_000),
            offset: PageQuerySchema.properties.offset,
            sort: Type.Optional(
              Type.Union([Type.Literal("collected_at"), Type.Literal("-collected_at")]),
            ),
          }),
          response: { 200: Page(CpuPointSchema), ...errors },
        },
      },
      async (request) => {
        const { host_id, from, to, ...rest } = request.query;
        const page = pageOf(rest, { defaultLimit: 100, maxLimit: 10_000, sorts: ["collected_at"] });
        return ctx.store.fleet.cpuSeries(
          { hostId: host_id, from: parseTime(from, "from"), to: parseTime(to, "to") },
          page,
        );
      },
    );

    app.get(
      "/inventory/:table",
      {
        onRequest: requireToken(ctx),
        schema: {
          tags: ["fleet"],
          summary: "Inventory tables, as JSON or CSV",
          description:
            "`users`: users per server and execution; `platforms`: OS and processor per server; `processes`: " +
            "processes per execution; `process-counts` and `user-counts`: per server and execution. Filter by " +
            "`host_id`, `report_id`, `from`/`to`. `format=csv` (or `Accept: text/csv`) answers CSV.",
          security: readerSecurity,
          params: Type.Object({ table: Type.Union(INVENTORY_TABLES.map((t) => Type.Literal(t))) }),
          querystring: Type.Object({
            host_id: Type.Optional(Type.Integer({ minimum: 1 })),
            report_id: Type.Optional(Type.String({ format: "uuid" })),
            ...Range,
            format: Type.Optional(Type.Union([Type.Literal("json"), Type.Literal("csv")])),
            limit: Limit(100_000),
            offset: PageQuerySchema.properties.offset,
          }),
          response: {
            200: Page(
              Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Null()])),
            ),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const table = request.params.table as InventoryTable;
        const { host_id, report_id, from, to, format, ...rest } = request.query;
        const page = pageOf(rest, { defaultLimit: 1000, maxLimit: 100_000, sorts: [] });
        const result = await ctx.store.inventory.table(
          table,
          {
            hostId: host_id,
            reportId: report_id,
            from: parseTime(from, "from"),
            to: parseTime(to, "to"),
          },
          page,
        );
        const csv =
          format === "csv" ||
          (format === undefined && /text\/csv/.test(request.headers.accept ?? ""));
        if (csv) {
          return reply
            .type("text/csv; charset=utf-8")
            .header("content-disposition", `attachment; filename="${table}.csv"`)
            .header("x-total-count", String(result.total))
            .send(toCsv(INVENTORY_COLUMNS[table], result.items) as never);
        }
        return result;
      },
    );

    app.get(
      "/changes",
      {
        onRequest: requireToken(ctx),
        schema: {
          tags: ["fleet"],
          summary: "What changed fleet-wide since a cursor",
          description:
            "Each item is an execution that changed something against the previous execution of its host " +
            "(processes started/ended/changed, sessions opened/closed, facts), in the order stored. Start with " +
            "`since=0`, then pass `next_cursor`. A report that arrives late (collected before its host's " +
            "latest) is its own item when it arrives.",
          security: readerSecurity,
          querystring: Type.Object({
            since: Type.Optional(Type.String({ pattern: "^[0-9]{1,15}$" })),
            limit: Limit(500),
          }),
          response: { 200: ChangeFeedSchema, ...errors },
        },
      },
      async (request) => {
        const since = Number(request.query.since ?? "0");
        const { items, next, more } = await ctx.store.changes(
          since,
          request.query.limit ?? 100,
          FEED_SETTLE_MS,
        );
        return { items, next_cursor: String(next), has_more: more };
      },
    );
  };
}
