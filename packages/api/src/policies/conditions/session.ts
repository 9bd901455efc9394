import type { ReportSession } from "@compliance/contract";
import { parseIp } from "../ip.ts";
import { ABSENT } from "../matcher.ts";
import { itemCondition } from "./items.ts";
import type { ConditionDefinition } from "./types.ts";

/** utmp writes ":0" and the like for local graphical sessions: not a remote host. */
const isRemote = (s: ReportSession) =>
  s.remote_host !== undefined && s.remote_host !== "" && !s.remote_host.startsWith(":");

/** Open sessions: who, on which terminal, from where. */
export const sessionCondition: ConditionDefinition<"session"> = {
  compile: itemCondition<ReportSession>({
    noun: ["session", "sessions"],
    collectors: ["sessions"],
    items: (report) => report.sessions,
    fields: {
      user: { type: "text", get: (s) => s.user },
      terminal: { type: "text", get: (s) => s.terminal },
      remote_host: { type: "text", get: (s) => s.remote_host ?? "" },
      remote: { type: "boolean", get: isRemote },
      // A local session has no remote address; a host name cannot be placed in a range.
      address: {
        type: "address",
        get: (s) => (isRemote(s) ? parseIp(s.remote_host as string) : ABSENT),
      },
    },
    evidence: (s) => ({
      user: s.user,
      terminal: s.terminal,
      remote_host: s.remote_host ?? null,
      started_at: s.started_at ?? null,
      pid: s.pid ?? null,
    }),
  }),
};
