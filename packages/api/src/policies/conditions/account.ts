import type { ReportAccount } from "@compliance/contract";
import { itemCondition } from "./items.ts";
import type { ConditionDefinition } from "./types.ts";

/** Local accounts (/etc/passwd, with the password state from /etc/shadow). */
export const accountCondition: ConditionDefinition<"account"> = {
  compile: itemCondition<ReportAccount>({
    noun: ["account", "accounts"],
    collectors: ["accounts"],
    items: (report) => report.accounts,
    key: { field: "name", of: (a) => a.name },
    fields: {
      name: { type: "text", get: (a) => a.name },
      uid: { type: "number", get: (a) => a.uid },
      gid: { type: "number", get: (a) => a.gid },
      home: { type: "text", get: (a) => a.home },
      shell: { type: "text", get: (a) => a.shell },
      // Absent when the agent could not read /etc/shadow: unknown, not "no password".
      password: { type: "text", get: (a) => a.password },
    },
    evidence: (a) => ({
      name: a.name,
      uid: a.uid,
      gid: a.gid,
      shell: a.shell,
      password: a.password ?? null,
    }),
  }),
};
