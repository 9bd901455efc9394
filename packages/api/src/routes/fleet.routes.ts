import { INVENTORY_COLUMNS } from "@compliance/contract";
import type { Services } from "../services/index.ts";
import { sendCsv, wantsCsv } from "./csv.ts";
import { pageOf, parseTime } from "./query.ts";
import type { Handlers } from "./register.ts";

/** Fleet-wide questions: the overview, searches across hosts, tables and the change feed. */
export function fleetHandlers(services: Services) {
  const { fleet } = services;
  return {
    fleetSummary: async () => fleet.summary(),
    searchProcesses: async (request) => {
      const { name, at, ...rest } = request.query;
      return fleet.searchProcesses(
        name,
        parseTime(at, "at") ?? null,
        pageOf("searchProcesses", rest),
      );
    },
    searchSessions: async (request) => {
      const { user, open, from, to, ...rest } = request.query;
      const range = {
        from: parseTime(from, "from"),
        to: parseTime(to, "to"),
        openOnly: open ?? false,
      };
      return fleet.searchSessions(user, range, pageOf("searchSessions", rest));
    },
    searchPackages: async (request) => {
      const { name, version, at, ...rest } = request.query;
      const page = pageOf("searchPackages", rest);
      return fleet.searchPackages(name, version, parseTime(at, "at") ?? null, page);
    },
    searchListening: async (request) => {
      const { port, protocol, at, ...rest } = request.query;
      const page = pageOf("searchListening", rest);
      return fleet.searchListening(port, protocol, parseTime(at, "at") ?? null, page);
    },
    cpuSeries: async (request) => {
      const { host_id, from, to, ...rest } = request.query;
      const filter = { hostId: host_id, from: parseTime(from, "from"), to: parseTime(to, "to") };
      return fleet.cpuSeries(filter, pageOf("cpuSeries", rest));
    },
    inventoryTable: async (request, reply) => {
      const { table } = request.params;
      const { host_id, report_id, from, to, format, ...rest } = request.query;
      const filter = {
        hostId: host_id,
        reportId: report_id,
        from: parseTime(from, "from"),
        to: parseTime(to, "to"),
      };
      const result = await fleet.inventory(table, filter, pageOf("inventoryTable", rest));
      if (!wantsCsv(format, request.headers.accept)) return result;
      return sendCsv(reply, table, INVENTORY_COLUMNS[table], result.items, result.total);
    },
    changes: async (request) =>
      fleet.changes(Number(request.query.since ?? "0"), request.query.limit ?? 100),
  } satisfies Pick<
    Handlers,
    | "fleetSummary"
    | "searchProcesses"
    | "searchSessions"
    | "searchPackages"
    | "searchListening"
    | "cpuSeries"
    | "inventoryTable"
    | "changes"
  >;
}
