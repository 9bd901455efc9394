import { settingCondition } from "./settings.ts";
import type { ConditionDefinition } from "./types.ts";

/** Effective sshd options, names in lower case (permitrootlogin = no). */
export const sshdCondition: ConditionDefinition<"sshd"> = {
  compile: settingCondition("sshd", "option"),
};
