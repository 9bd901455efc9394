import type { HostPolicyStatus, Severity } from "@compliance/contract";

/** A host's status of a policy, as the API says it, `unevaluated` included. */
export type Status = HostPolicyStatus["status"];

/** Worst first: lists of policies put what needs doing at the top. */
export const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low"];
export const severityRank = (s: Severity) => SEVERITIES.indexOf(s);

/**
 * Failing first, then what is not known (unknown is never a pass), then not evaluated
 * yet, then what holds. Not applicable last: nothing to do there.
 */
const STATUS_ORDER: readonly Status[] = [
  "fail",
  "unknown",
  "unevaluated",
  "pass",
  "not_applicable",
];
export const statusRank = (s: Status) => STATUS_ORDER.indexOf(s);

export const STATUS_LABELS: Record<Status, string> = {
  fail: "Fail",
  pass: "Pass",
  unknown: "Unknown",
  not_applicable: "Not applicable",
  unevaluated: "Not evaluated yet",
};

const STATUS_HINTS: Record<Status, string> = {
  fail: "The host does not comply",
  pass: "The host complies",
  unknown: "The data the policy needs was not collected: neither pass nor fail",
  not_applicable: "The host is outside the policy's scope (its platform or tags)",
  unevaluated: "This version of the policy has not been evaluated on this host yet",
};

const SEVERITY_LABELS: Record<Severity, string> = {
  critical: "Critical",
  high: "High",
  medium: "Medium",
  low: "Low",
};

export const severityLabel = (s: Severity) => SEVERITY_LABELS[s];

export function SeverityBadge({ severity }: { severity: Severity }) {
  return <span class={`badge sev sev-${severity}`}>{SEVERITY_LABELS[severity]}</span>;
}

export function PolicyStatusBadge({ status }: { status: Status }) {
  return (
    <span class={`badge st-${status}`} title={STATUS_HINTS[status]}>
      {STATUS_LABELS[status]}
    </span>
  );
}
