import { accountCondition } from "./account.ts";
import { fileCondition } from "./file.ts";
import { freshnessCondition } from "./freshness.ts";
import { hostCondition } from "./host.ts";
import { listeningCondition } from "./listening.ts";
import { osCondition } from "./os.ts";
import { packageCondition } from "./package.ts";
import { processCondition } from "./process.ts";
import { serviceCondition } from "./service.ts";
import { sessionCondition } from "./session.ts";
import { sshdCondition } from "./sshd.ts";
import { sysctlCondition } from "./sysctl.ts";
import type { ConditionRegistry } from "./types.ts";

/**
 * Every condition kind by name. A new kind is a schema in the contract
 * (CONDITION_SCHEMAS), a module here, and one line below; the type makes the line required.
 */
export const CONDITIONS: ConditionRegistry = Object.freeze({
  process: processCondition,
  session: sessionCondition,
  os: osCondition,
  host: hostCondition,
  package: packageCondition,
  listening: listeningCondition,
  account: accountCondition,
  service: serviceCondition,
  sysctl: sysctlCondition,
  sshd: sshdCondition,
  file: fileCondition,
  freshness: freshnessCondition,
});
