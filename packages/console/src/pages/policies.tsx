import type { PolicyInfo } from "@compliance/contract";
import { useEffect, useMemo } from "preact/hooks";
import { ComplianceSparkline } from "../components/compliance-chart.tsx";
import { SeverityBadge, severityRank } from "../components/policy-badges.tsx";
import { Empty, ErrorNotice, Loading } from "../components/states.tsx";
import { formatCount } from "../format.ts";
import { useClient, useLoad } from "../hooks.ts";
import { hrefOf } from "../router.ts";

const WEEK_MS = 7 * 86_400_000;

/**
 * What needs doing first: policies failing somewhere, worst severity first and then the
 * most hosts; then the others by severity; switched-off policies last.
 */
export function byUrgency(a: PolicyInfo, b: PolicyInfo): number {
  const off = Number(!a.enabled) - Number(!b.enabled);
  if (off) return off;
  const failing = Number(b.counts.fail > 0) - Number(a.counts.fail > 0);
  return (
    failing ||
    severityRank(a.severity) - severityRank(b.severity) ||
    b.counts.fail - a.counts.fail ||
    a.name.localeCompare(b.name)
  );
}

/** Every policy with how many hosts fail, pass or are unknown now, and its last week. */
export function PolicyList() {
  const client = useClient();
  const list = useLoad((signal) => client.get("listPolicies", {}, signal), []);
  // Anchored once, to a whole minute: every row's chart covers the same week.
  const from = useMemo(
    () => new Date(Math.floor((Date.now() - WEEK_MS) / 60_000) * 60_000).toISOString(),
    [],
  );

  useEffect(() => {
    document.title = "Policies · Compliance";
  }, []);

  const items = list.data?.items;
  const failing = items?.filter((p) => p.counts.fail > 0).length ?? 0;
  return (
    <section class="page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Policies</h1>
        {items ? (
          <span class="muted">
            {formatCount(items.length)} {items.length === 1 ? "policy" : "policies"} ·{" "}
            {formatCount(failing)} failing on at least one host
          </span>
        ) : null}
      </div>
      <ManagedNote />
      {list.status === "error" && !items ? (
        <ErrorNotice error={list.error} onRetry={list.reload} />
      ) : !items ? (
        <Loading label="Loading the policies" />
      ) : items.length === 0 ? (
        <Empty title="No policies">
          <p>No policy is stored, so no host is checked against anything yet.</p>
        </Empty>
      ) : (
        <PolicyTable policies={[...items].sort(byUrgency)} from={from} />
      )}
    </section>
  );
}

/** The console reads policies; where they are written, said once on the page. */
export function ManagedNote() {
  return (
    <p class="notice small">
      Policies are read-only here. They are managed as YAML or JSON files (the starter pack, the
      directory <code>COMPLIANCE_POLICY_DIR</code>, or{" "}
      <code>compliance-api policy apply -f &lt;file&gt;</code>) or through the API with an admin
      token (<code>POST /api/v1/policies</code>).
    </p>
  );
}

function PolicyTable({ policies, from }: { policies: PolicyInfo[]; from: string }) {
  return (
    <div class="card">
      <div class="table-wrap">
        <table class="table table-policies">
          <caption class="sr-only">Policies, failing first by severity</caption>
          <thead>
            <tr>
              <th scope="col">Policy</th>
              <th scope="col">Severity</th>
              <th scope="col" class="num">
                Failing
              </th>
              <th scope="col" class="num">
                Passing
              </th>
              <th scope="col" class="num">
                Unknown
              </th>
              <th scope="col" class="opt">
                Last 7 days
              </th>
            </tr>
          </thead>
          <tbody>
            {policies.map((p) => (
              <PolicyRow key={p.id} policy={p} from={from} />
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function PolicyRow({ policy, from }: { policy: PolicyInfo; from: string }) {
  const client = useClient();
  const history = useLoad(
    (signal) =>
      policy.enabled
        ? client.get("policyHistory", { params: { id: policy.id }, query: { from } }, signal)
        : Promise.resolve(null),
    [policy.id, policy.version, from],
  );
  const c = policy.counts;
  const href = hrefOf(`/policies/${policy.id}`);
  const aside = [
    c.not_applicable ? `${formatCount(c.not_applicable)} not applicable` : "",
    c.unevaluated ? `${formatCount(c.unevaluated)} not evaluated yet` : "",
  ].filter(Boolean);
  return (
    <tr data-policy={policy.id}>
      <td>
        <a href={href} class="strong">
          {policy.name}
        </a>
        <div class="muted small">
          <span class="mono">{policy.id}</span>
          {policy.enabled ? "" : " · switched off"}
          {aside.length ? ` · ${aside.join(" · ")}` : ""}
        </div>
      </td>
      <td>
        <SeverityBadge severity={policy.severity} />
      </td>
      <td class={`num${c.fail > 0 ? " fail-count" : ""}`}>
        {c.fail > 0 ? (
          <a
            href={href}
            aria-label={`${formatCount(c.fail)} ${c.fail === 1 ? "host fails" : "hosts fail"} “${policy.name}”`}
          >
            {formatCount(c.fail)}
          </a>
        ) : (
          "0"
        )}
      </td>
      <td class="num">{formatCount(c.pass)}</td>
      <td class="num">{formatCount(c.unknown)}</td>
      <td class="opt spark-cell">
        {history.data ? (
          <ComplianceSparkline points={history.data.points} />
        ) : history.status === "error" ? (
          <span class="muted small" title={history.error.message}>
            unavailable
          </span>
        ) : null}
      </td>
    </tr>
  );
}
