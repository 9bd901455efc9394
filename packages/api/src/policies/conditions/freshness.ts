import type { EvidenceItem } from "@compliance/contract";
import type { PreparedContext } from "../context.ts";
import type { ConditionDefinition } from "./types.ts";
import { type Outcome, unknownOutcome } from "./types.ts";

const DEFAULT_INTERVALS = 2;

/**
 * The agent reports on time: this report came within `intervals` agent intervals of the
 * previous one (a host's first report has none to be late after) and, when evaluated at a
 * given time, is itself no older than that. Unknown without the agent's interval.
 */
export const freshnessCondition: ConditionDefinition<"freshness"> = {
  compile: (fields) => {
    const intervals = fields.intervals ?? DEFAULT_INTERVALS;
    return (context) => {
      const interval = context.context.intervalMs;
      if (interval === undefined || !(interval > 0)) {
        return unknownOutcome("the agent's reporting interval is not known");
      }
      return onTime(context, intervals * interval);
    };
  },
};

function onTime(context: PreparedContext, allowedMs: number): Outcome {
  const { report, previousCollectedAt, now } = context.context;
  const collected = Date.parse(report.collected_at);
  const gaps: { what: string; ms: number }[] = [];
  if (previousCollectedAt !== undefined) {
    gaps.push({
      what: "after the previous report",
      ms: collected - Date.parse(previousCollectedAt),
    });
  }
  if (now !== undefined) gaps.push({ what: "ago", ms: now.getTime() - collected });
  const late = gaps.filter((g) => g.ms > allowedMs);
  const evidence: EvidenceItem = {
    collected_at: report.collected_at,
    previous_collected_at: previousCollectedAt ?? null,
    now: now?.toISOString() ?? null,
    allowed_seconds: Math.round(allowedMs / 1000),
  };
  return {
    value: late.length === 0,
    explain: () => ({
      message:
        late.length === 0
          ? "the agent reported on time"
          : late.map((g) => `reported ${Math.round(g.ms / 1000)} s ${g.what}`).join("; ") +
            ` (at most ${Math.round(allowedMs / 1000)} s allowed)`,
      items: [evidence],
      total: 1,
    }),
  };
}
