import { badRequest } from "../errors.ts";
import type { Services } from "../services/index.ts";
import { pageOf, parseTime } from "./query.ts";
import type { Handlers } from "./register.ts";

/** The audit trail of admin actions (admin only), newest first. */
export function auditHandlers(services: Services) {
  return {
    listAudit: async (request) => {
      const { action, actor, from, to, ...rest } = request.query;
      const filter = { action, actor, from: parseTime(from, "from"), to: parseTime(to, "to") };
      if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to) {
        throw badRequest("invalid_request", "querystring/from must not be after querystring/to", [
          { path: "querystring/from", message: "must not be after querystring/to" },
        ]);
      }
      const { limit, offset } = pageOf("listAudit", rest);
      return services.audit.list(filter, { limit, offset });
    },
  } satisfies Pick<Handlers, "listAudit">;
}
