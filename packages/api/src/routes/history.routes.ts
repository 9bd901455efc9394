import type { Services } from "../services/index.ts";
import { pageOf, parseTime, selectorOf } from "./query.ts";
import type { Handlers } from "./register.ts";

/** A host's history: its executions, what ran and who was logged in at any of them, diffs. */
export function historyHandlers(services: Services) {
  const { history } = services;
  return {
    listExecutions: async (request) => {
      const { from, to, ...rest } = request.query;
      const range = { from: parseTime(from, "from"), to: parseTime(to, "to") };
      return history.timeline(request.params.id, range, pageOf("listExecutions", rest));
    },
    hostProcesses: async (request) => {
      const { at, report, q, ...rest } = request.query;
      const page = pageOf("hostProcesses", rest);
      return history.processes(request.params.id, selectorOf({ at, report }), { q, page });
    },
    hostSessions: async (request) => {
      const { at, report, q, ...rest } = request.query;
      const page = pageOf("hostSessions", rest);
      return history.sessions(request.params.id, selectorOf({ at, report }), { q, page });
    },
    hostPackages: async (request) => {
      const { at, report, q, ...rest } = request.query;
      const page = pageOf("hostPackages", rest);
      return history.section(request.params.id, selectorOf({ at, report }), "packages", {
        q,
        page,
      });
    },
    hostListening: async (request) => {
      const { at, report, q, ...rest } = request.query;
      const page = pageOf("hostListening", rest);
      return history.section(request.params.id, selectorOf({ at, report }), "listening", {
        q,
        page,
      });
    },
    hostAccounts: async (request) => {
      const { at, report, q, ...rest } = request.query;
      const page = pageOf("hostAccounts", rest);
      return history.section(request.params.id, selectorOf({ at, report }), "accounts", {
        q,
        page,
      });
    },
    hostServices: async (request) => {
      const { at, report, q, ...rest } = request.query;
      const page = pageOf("hostServices", rest);
      return history.section(request.params.id, selectorOf({ at, report }), "services", {
        q,
        page,
      });
    },
    hostSettings: async (request) => history.settings(request.params.id, selectorOf(request.query)),
    hostDiff: async (request) => history.diff(request.params.id, request.query),
    getReport: async (request, reply) => {
      const stored = await history.report(request.params.id);
      reply.header("x-host-id", String(stored.hostId));
      return stored.report;
    },
  } satisfies Pick<
    Handlers,
    | "listExecutions"
    | "hostProcesses"
    | "hostSessions"
    | "hostPackages"
    | "hostListening"
    | "hostAccounts"
    | "hostServices"
    | "hostSettings"
    | "hostDiff"
    | "getReport"
  >;
}
