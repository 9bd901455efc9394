import { settingCondition } from "./settings.ts";
import type { ConditionDefinition } from "./types.ts";

/** Kernel parameters (net.ipv4.ip_forward = 0). */
export const sysctlCondition: ConditionDefinition<"sysctl"> = {
  compile: settingCondition("sysctl", "name"),
};
