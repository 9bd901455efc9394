import type { Services } from "../services/index.ts";
import { pageOf, parseTime } from "./query.ts";
import type { Handlers } from "./register.ts";

/** What happened within a window: a host's activity and the fleet's. */
export function activityHandlers(services: Services) {
  const { activity } = services;
  const filterOf = (query: {
    from: string;
    to?: string | undefined;
    kind?: Parameters<typeof activity.ofFleet>[0]["kind"];
    user?: string | undefined;
    name?: string | undefined;
    remote?: string | undefined;
    changed?: boolean | undefined;
  }) => ({
    from: parseTime(query.from, "from")!,
    to: parseTime(query.to, "to"),
    kind: query.kind,
    user: query.user,
    name: query.name,
    remote: query.remote,
    changed: query.changed,
  });
  return {
    hostActivity: async (request) => {
      const { limit, offset, ...rest } = request.query;
      const page = pageOf("hostActivity", { limit, offset });
      return activity.ofHost(request.params.id, filterOf(rest), page);
    },
    fleetActivity: async (request) => {
      const { limit, offset, host_id, ...rest } = request.query;
      const page = pageOf("fleetActivity", { limit, offset });
      return activity.ofFleet({ ...filterOf(rest), hostId: host_id }, page);
    },
  } satisfies Pick<Handlers, "hostActivity" | "fleetActivity">;
}
