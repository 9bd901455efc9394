import type { Services } from "../services/index.ts";
import { activityHandlers } from "./activity.routes.ts";
import { agentHandlers } from "./agent.routes.ts";
import { auditHandlers } from "./audit.routes.ts";
import { fleetHandlers } from "./fleet.routes.ts";
import { healthHandlers } from "./health.routes.ts";
import { historyHandlers } from "./history.routes.ts";
import { hostHandlers } from "./hosts.routes.ts";
import { policyHandlers, webhookHandlers } from "./policies.routes.ts";
import type { Handlers } from "./register.ts";
import { tokenHandlers } from "./tokens.routes.ts";

/** Every operation's handler; the type says none is missing. */
export function handlers(services: Services): Handlers {
  return {
    ...healthHandlers(services),
    ...agentHandlers(services),
    ...hostHandlers(services),
    ...historyHandlers(services),
    ...fleetHandlers(services),
    ...tokenHandlers(services),
    ...policyHandlers(services),
    ...webhookHandlers(services),
    ...activityHandlers(services),
    ...auditHandlers(services),
  };
}

export { registerRoutes } from "./register.ts";
