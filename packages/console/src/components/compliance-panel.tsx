import type { HostPolicies, HostPolicyStatus } from "@compliance/contract";
import { formatCount, formatTime, plural } from "../format.ts";
import type { Loaded } from "../hooks.ts";
import { hrefOf, type Route, withParams } from "../router.ts";
import {
  PolicyStatusBadge,
  SeverityBadge,
  STATUS_LABELS,
  type Status,
  severityRank,
  statusRank,
} from "./policy-badges.tsx";
import { PolicyReasons } from "./policy-reasons.tsx";
import { ErrorNotice, Loading } from "./states.tsx";
import { TabPanel } from "./tabs.tsx";
import { Time } from "./time.tsx";

/** Failing first, the worst severity first within a status, then by name. */
const byUrgency = (a: HostPolicyStatus, b: HostPolicyStatus) =>
  statusRank(a.status) - statusRank(b.status) ||
  severityRank(a.severity) - severityRank(b.severity) ||
  a.name.localeCompare(b.name);

/** "2 failing" for a tab: what needs doing, once known. */
export function complianceCountOf(data: HostPolicies | undefined): string {
  if (!data) return "";
  return data.counts.fail > 0 ? ` (${formatCount(data.counts.fail)} failing)` : "";
}

/**
 * Every enabled policy's status on the host at the execution shown (now, picked, or in
 * effect at a time), since when, and why. Unknown is said as unknown, with what was not
 * collected, never as a pass or a fail.
 */
export function CompliancePanel({
  policies,
  route,
}: {
  policies: Loaded<HostPolicies>;
  route: Route;
}) {
  const data = policies.data;
  return (
    <TabPanel id="compliance">
      {policies.status === "error" && !data ? (
        <ErrorNotice error={policies.error} onRetry={policies.reload} />
      ) : !data ? (
        <Loading label="Loading the host's compliance" />
      ) : data.items.length === 0 ? (
        <p class="muted">
          No policy is enabled, so there is nothing to comply with. Policies are managed as files (
          <code>compliance-api policy apply -f &lt;file&gt;</code>) or through the API.
        </p>
      ) : (
        <div class={policies.status === "loading" ? "is-stale" : undefined}>
          <CountChips counts={data.counts} />
          <ComplianceTable data={data} route={route} />
        </div>
      )}
    </TabPanel>
  );
}

function CountChips({ counts }: { counts: HostPolicies["counts"] }) {
  const shown: [Status, string][] = [
    ["fail", "chip-minus"],
    ["unknown", "chip-change"],
    ["unevaluated", ""],
    ["pass", "chip-plus"],
    ["not_applicable", ""],
  ];
  return (
    <ul class="chips" aria-label="Policies by status">
      {shown
        .filter(([s]) => counts[s] > 0)
        .map(([s, cls]) => (
          <li key={s} class={`chip ${cls}`.trim()}>
            {plural(counts[s], "policy", "policies")} {STATUS_LABELS[s].toLowerCase()}
          </li>
        ))}
    </ul>
  );
}

function ComplianceTable({ data, route }: { data: HostPolicies; route: Route }) {
  const items = [...data.items].sort(byUrgency);
  return (
    <div class="table-wrap">
      <table class="table table-compliance">
        <caption class="sr-only">
          Policies of the execution collected {formatTime(data.collected_at)}, failing first
        </caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Policy, and why</th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          {items.map((p) => (
            <tr key={p.policy_id} data-policy={p.policy_id}>
              <td>
                <PolicyStatusBadge status={p.status} />
              </td>
              <td class="policy-cell">
                <div class="policy-name">
                  <a href={hrefOf(`/policies/${p.policy_id}`)} class="strong">
                    {p.name}
                  </a>{" "}
                  <SeverityBadge severity={p.severity} />
                </div>
                <Why item={p} />
              </td>
              <td class="small">
                {p.since ? (
                  <a
                    href={withParams(route, { at: p.since, sel: undefined })}
                    title="Show the host at the execution where this status began"
                  >
                    <Time iso={p.since} />
                  </a>
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Why({ item }: { item: HostPolicyStatus }) {
  if (item.status === "unevaluated") {
    return (
      <p class="why muted small">
        Version {item.version} is being evaluated over the stored history and has not reached this
        execution yet.
      </p>
    );
  }
  // A pass needs no explaining: its row stays one line.
  if (item.status === "pass" || item.reasons.length === 0) return null;
  return (
    <div class="why">
      <PolicyReasons reasons={item.reasons} name={item.name} />
    </div>
  );
}
