import type { ReportService } from "@compliance/contract";
import { ABSENT } from "../matcher.ts";
import { itemCondition } from "./items.ts";
import type { ConditionDefinition } from "./types.ts";

/** Services (systemd units): active state and whether they start at boot. */
export const serviceCondition: ConditionDefinition<"service"> = {
  compile: itemCondition<ReportService>({
    noun: ["service", "services"],
    collectors: ["services"],
    items: (report) => report.services,
    key: { field: "name", of: (s) => s.name },
    fields: {
      name: { type: "text", get: (s) => s.name },
      state: { type: "text", get: (s) => s.state },
      active: { type: "boolean", get: (s) => s.state === "active" },
      // A unit without install state (static) is neither enabled nor disabled.
      enabled: { type: "boolean", get: (s) => s.enabled ?? ABSENT },
    },
    evidence: (s) => ({ name: s.name, state: s.state, enabled: s.enabled ?? null }),
  }),
};
