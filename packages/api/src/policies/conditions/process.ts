import type { ReportProcess } from "@compliance/contract";
import { itemCondition } from "./items.ts";
import type { ConditionDefinition } from "./types.ts";

const CMDLINE_SHOWN = 256;

/** Processes: name, user, command line, ids, CPU and memory. */
export const processCondition: ConditionDefinition<"process"> = {
  compile: itemCondition<ReportProcess>({
    noun: ["process", "processes"],
    collectors: ["processes"],
    items: (report) => report.processes,
    fields: {
      name: { type: "text", get: (p) => p.name },
      user: { type: "text", get: (p) => p.user },
      cmdline: {
        type: "text",
        get: (p, context) => p.cmdline ?? (context.hasCmdlines() ? "" : undefined),
      },
      pid: { type: "number", get: (p) => p.pid },
      ppid: { type: "number", get: (p) => p.ppid },
      cpu_percent: { type: "number", get: (p) => p.cpu_percent },
      rss_bytes: { type: "number", get: (p) => p.rss_bytes },
    },
    evidence: (p) => ({
      pid: p.pid,
      name: p.name,
      user: p.user,
      cmdline: p.cmdline === undefined ? null : p.cmdline.slice(0, CMDLINE_SHOWN),
      cpu_percent: p.cpu_percent,
      rss_bytes: p.rss_bytes,
    }),
  }),
};
