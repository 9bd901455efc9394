import type { Compliance } from "@compliance/contract";
import { formatCount, plural } from "../format.ts";
import { useClient, useLoad } from "../hooks.ts";
import { hrefOf } from "../router.ts";
import { Kpi } from "./kpi.tsx";
import { SEVERITIES, SeverityBadge, severityLabel, severityRank } from "./policy-badges.tsx";
import { ErrorNotice, Loading } from "./states.tsx";

/** Enough to see where the work is; the policies page has the rest. */
const TOP = 5;

/**
 * The fleet against its policies now: hosts failing none out of all, failures by
 * severity, and the policies failed by the most hosts, each a link to its page.
 */
export function ComplianceSummary() {
  const client = useClient();
  const compliance = useLoad((signal) => client.get("compliance", {}, signal), []);
  const data = compliance.data;
  return (
    <section class="card" aria-labelledby="compliance-title">
      <div class="card-head">
        <div>
          <h2 id="compliance-title">Compliance</h2>
          <p class="muted small">
            {data
              ? `Now, against ${plural(data.policies.length, "enabled policy", "enabled policies")}`
              : " "}
          </p>
        </div>
        <a class="button" href="#/policies">
          All policies
        </a>
      </div>
      {compliance.status === "error" && !data ? (
        <ErrorNotice error={compliance.error} onRetry={compliance.reload} />
      ) : !data ? (
        <Loading label="Loading compliance" />
      ) : data.policies.length === 0 ? (
        <p class="muted">
          No policy is enabled, so no host is checked against anything. The{" "}
          <a href="#/policies">policies</a> page says how to add some.
        </p>
      ) : (
        <ComplianceView data={data} />
      )}
    </section>
  );
}

function ComplianceView({ data }: { data: Compliance }) {
  const failed = data.policies
    .filter((p) => p.counts.fail > 0)
    .sort(
      (a, b) =>
        b.counts.fail - a.counts.fail ||
        severityRank(a.severity) - severityRank(b.severity) ||
        a.name.localeCompare(b.name),
    );
  return (
    <>
      <ul class="kpis" aria-label="Compliance totals">
        <Kpi
          label="Compliant hosts"
          value={data.compliant_hosts}
          of={data.hosts}
          hint="Hosts failing no policy"
          tone={data.compliant_hosts < data.hosts ? "fail" : "online"}
        />
        {SEVERITIES.map((s) => {
          const fail = data.by_severity[s]?.fail ?? 0;
          return (
            <Kpi
              key={s}
              label={`${severityLabel(s)} failures`}
              value={fail}
              href={hrefOf("/policies")}
              tone={fail > 0 ? "fail" : undefined}
            />
          );
        })}
      </ul>
      <p class="muted small">
        A failure is one host failing one policy. Unknown results (the data a policy needs was not
        collected) are neither failures nor passes.
      </p>
      <h3>Most failed policies</h3>
      {failed.length === 0 ? (
        <p class="muted">No host fails any policy now.</p>
      ) : (
        <ul class="bars" aria-label="Most failed policies">
          {failed.slice(0, TOP).map((p) => (
            <li key={p.policy_id}>
              <a href={hrefOf(`/policies/${p.policy_id}`)} class="bar-row">
                <span class="bar-label" title={p.name}>
                  <SeverityBadge severity={p.severity} /> {p.name}
                </span>
                <span class="bar-count">
                  {formatCount(p.counts.fail)}
                  <span class="muted small"> of {plural(data.hosts, "host")} failing</span>
                </span>
                <span class="bar-track" aria-hidden="true">
                  <span
                    class="bar-fill bar-fail"
                    style={{ width: `${(p.counts.fail / Math.max(1, data.hosts)) * 100}%` }}
                  />
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
      {failed.length > TOP ? (
        <p class="muted small">
          and {plural(failed.length - TOP, "more policy", "more policies")} failing: see{" "}
          <a href="#/policies">all policies</a>.
        </p>
      ) : null}
    </>
  );
}
