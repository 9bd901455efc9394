import type { Policy, PolicyDetail as PolicyAnswer, QueryOf } from "@compliance/contract";
import { useEffect, useMemo, useState } from "preact/hooks";
import { ComplianceChart } from "../components/compliance-chart.tsx";
import { JobProgress, usePolicyJob } from "../components/job-progress.tsx";
import { Pager } from "../components/pager.tsx";
import { SeverityBadge } from "../components/policy-badges.tsx";
import { Empty, ErrorNotice, Loading } from "../components/states.tsx";
import { type TabItem, TabList, TabPanel } from "../components/tabs.tsx";
import { Time } from "../components/time.tsx";
import { formatCount } from "../format.ts";
import { useClient, useLoad } from "../hooks.ts";
import { hrefOf, navigate, type Route, withParams } from "../router.ts";
import { ManagedNote } from "./policies.tsx";

type PolicyRoute = Extract<Route, { page: "policy" }>;

const ORIGINS: Record<PolicyAnswer["origin"], string> = {
  starter: "from the starter pack",
  directory: "from the policy directory (COMPLIANCE_POLICY_DIR)",
  api: "applied through the API or compliance-api policy apply",
};

/**
 * One policy: what it asks and how to comply, how many hosts failed it over time, the
 * hosts failing it now and since when (passing, unknown and not applicable a tab away),
 * and, while a new version is evaluated over the stored history, how far that has got.
 */
export function PolicyDetail({ route }: { route: PolicyRoute }) {
  const client = useClient();
  const policy = useLoad(
    (signal) => client.get("getPolicy", { params: { id: route.id } }, signal),
    [route.id],
  );
  // Bumped when an evaluation over history ends: the hosts and the chart are read again.
  const [round, setRound] = useState(0);
  const job = usePolicyJob(route.id, () => {
    policy.reload();
    setRound((r) => r + 1);
  });

  useEffect(() => {
    document.title = `${policy.data?.name ?? route.id} · Policies · Compliance`;
  }, [policy.data, route.id]);

  if (policy.status === "error" && !policy.data) {
    return (
      <section class="page">
        <Breadcrumb name={route.id} />
        <h1>{route.id}</h1>
        {policy.error.kind === "not_found" ? (
          <Empty title="This policy does not exist">
            <p>
              There is no policy “{route.id}”. It may have been deleted; the{" "}
              <a href="#/policies">policies</a> page lists every one there is.
            </p>
          </Empty>
        ) : (
          <ErrorNotice error={policy.error} onRetry={policy.reload} />
        )}
      </section>
    );
  }
  if (!policy.data) {
    return (
      <section class="page">
        <Breadcrumb name="…" />
        <Loading label="Loading the policy" />
      </section>
    );
  }
  const p = policy.data;
  return (
    <section class="page" aria-labelledby="page-title">
      <Breadcrumb name={p.name} />
      <div class="page-head">
        <h1 id="page-title">{p.name}</h1>
        <SeverityBadge severity={p.severity} />
        {p.enabled ? null : <span class="badge st-not_applicable">Switched off</span>}
      </div>
      <p class="subtitle">
        <span class="mono">{p.id}</span> · version {p.version}, {ORIGINS[p.origin]} · changed{" "}
        <Time iso={p.updated_at} ago />
      </p>
      {job ? <JobProgress job={job} /> : null}
      <div class="grid-2">
        <About policy={p} />
        <HistoryCard policy={p} route={route} round={round} />
      </div>
      <HostsCard policy={p} route={route} round={round} />
      <CheckCard document={p.document} />
    </section>
  );
}

function Breadcrumb({ name }: { name: string }) {
  return (
    <nav class="breadcrumb" aria-label="Breadcrumb">
      <a href="#/policies">Policies</a>
      <span aria-hidden="true"> / </span>
      <span aria-current="page">{name}</span>
    </nav>
  );
}

function About({ policy }: { policy: PolicyAnswer }) {
  const doc = policy.document as Partial<Policy>;
  const scope = [
    doc.platforms?.length ? `hosts whose platform is ${doc.platforms.join(" or ")}` : "every host",
    doc.except_tags?.length ? `except those tagged ${doc.except_tags.join(", ")}` : "",
  ]
    .filter(Boolean)
    .join(", ");
  return (
    <section class="card about" aria-labelledby="about-title">
      <h2 id="about-title">What it checks</h2>
      <p>{doc.description || <span class="muted">No description.</span>}</p>
      <h3>How to comply</h3>
      <p>{doc.resolution || <span class="muted">No resolution given.</span>}</p>
      <h3>Applies to</h3>
      <p>{scope.charAt(0).toUpperCase() + scope.slice(1)}.</p>
      {doc.references?.length ? (
        <>
          <h3>References</h3>
          <ul>
            {doc.references.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </>
      ) : null}
      {policy.tags.length ? <p class="muted small">Tags: {policy.tags.join(", ")}</p> : null}
    </section>
  );
}

const RANGES = [
  { id: "24h", label: "24 hours", ms: 86_400_000 },
  { id: "7d", label: "7 days", ms: 7 * 86_400_000 },
  { id: "30d", label: "30 days", ms: 30 * 86_400_000 },
] as const;

function HistoryCard({
  policy,
  route,
  round,
}: {
  policy: PolicyAnswer;
  route: PolicyRoute;
  round: number;
}) {
  const client = useClient();
  const range = RANGES.find((r) => r.id === route.params.get("range")) ?? RANGES[1];
  // A whole minute, fixed when the range is chosen: the same request on every render.
  const from = useMemo(
    () => new Date(Math.floor((Date.now() - range.ms) / 60_000) * 60_000).toISOString(),
    [range.ms, round],
  );
  const history = useLoad(
    (signal) => client.get("policyHistory", { params: { id: policy.id }, query: { from } }, signal),
    [policy.id, policy.version, from, round],
  );
  return (
    <section class="card" aria-labelledby="history-title">
      <div class="card-head">
        <h2 id="history-title">Hosts over time</h2>
        <fieldset class="segmented">
          <legend class="sr-only">Period of the chart</legend>
          {RANGES.map((r) => (
            <label key={r.id} class={r.id === range.id ? "on" : undefined}>
              <input
                type="radio"
                name="policy-range"
                value={r.id}
                checked={r.id === range.id}
                onChange={() => navigate(withParams(route, { range: r.id }))}
              />
              {r.label}
            </label>
          ))}
        </fieldset>
      </div>
      {history.status === "error" && !history.data ? (
        <ErrorNotice error={history.error} onRetry={history.reload} />
      ) : !history.data ? (
        <Loading label="Loading the history" />
      ) : (
        <div class={history.status === "loading" ? "is-stale" : undefined}>
          <ComplianceChart points={history.data.points} />
        </div>
      )}
    </section>
  );
}

const HOST_TABS = [
  { id: "failing", label: "Failing", count: "fail", since: "Failing since" },
  { id: "passing", label: "Passing", count: "pass", since: "Passing since" },
  { id: "unknown", label: "Unknown", count: "unknown", since: "Unknown since" },
  { id: "not_applicable", label: "Not applicable", count: "not_applicable", since: "Since" },
] as const;
type HostTab = (typeof HOST_TABS)[number];

const NONE: Record<HostTab["id"], string> = {
  failing: "No host fails this policy now",
  passing: "No host passes this policy now",
  unknown: "No host is unknown for this policy now",
  not_applicable: "No host is outside this policy's scope",
};

const HOST_PAGE = 50;

function HostsCard({
  policy,
  route,
  round,
}: {
  policy: PolicyAnswer;
  route: PolicyRoute;
  round: number;
}) {
  const client = useClient();
  const p = route.params;
  const tab = HOST_TABS.find((t) => t.id === p.get("hosts")) ?? HOST_TABS[0];
  const query: QueryOf<"policyHosts"> = {
    status: tab.id,
    limit: HOST_PAGE,
    offset: Math.max(0, Number(p.get("hoff")) || 0),
  };
  const hosts = useLoad(
    (signal) => client.get("policyHosts", { params: { id: policy.id }, query }, signal),
    [policy.id, policy.version, tab.id, query.offset, round],
  );
  const tabs: TabItem<HostTab["id"]>[] = HOST_TABS.map((t) => ({
    id: t.id,
    label: `${t.label} (${formatCount(policy.counts[t.count])})`,
  }));
  const set = (changes: Record<string, string | undefined>) => navigate(withParams(route, changes));
  const data = hosts.data;
  return (
    <section class="card" aria-labelledby="hosts-title">
      <h2 id="hosts-title">Hosts now</h2>
      {policy.counts.unevaluated > 0 ? (
        <p class="muted small">
          {formatCount(policy.counts.unevaluated)}{" "}
          {policy.counts.unevaluated === 1 ? "host is" : "hosts are"} not evaluated yet with this
          version: the tabs count the others.
        </p>
      ) : null}
      <TabList
        label="Hosts by status"
        tabs={tabs}
        active={tab.id}
        onSelect={(id) => set({ hosts: id === "failing" ? undefined : id, hoff: undefined })}
      />
      <TabPanel id={tab.id}>
        {hosts.status === "error" && !data ? (
          <ErrorNotice error={hosts.error} onRetry={hosts.reload} />
        ) : !data ? (
          <Loading label="Loading the hosts" />
        ) : data.total === 0 ? (
          <p class="muted">
            {NONE[tab.id]}
            {policy.counts.unevaluated > 0 ? " among the hosts evaluated so far" : ""}.
          </p>
        ) : (
          <div class={hosts.status === "loading" ? "is-stale" : undefined}>
            <HostTable items={data.items} tab={tab} />
            <Pager
              offset={data.offset}
              limit={data.limit}
              total={data.total}
              noun="hosts"
              onPage={(o) => set({ hoff: o ? String(o) : undefined })}
            />
          </div>
        )}
      </TabPanel>
    </section>
  );
}

function HostTable({
  items,
  tab,
}: {
  items: { host_id: number; hostname: string; since: string; collected_at: string }[];
  tab: HostTab;
}) {
  return (
    <div class="table-wrap">
      <table class="table table-policy-hosts">
        <caption class="sr-only">Hosts {tab.label.toLowerCase()} now, and since when</caption>
        <thead>
          <tr>
            <th scope="col">Host</th>
            <th scope="col">{tab.since}</th>
            <th scope="col" class="opt">
              Latest execution
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((h) => (
            <tr key={h.host_id}>
              <td>
                <a class="strong" href={hrefOf(`/hosts/${h.host_id}`, { tab: "compliance" })}>
                  {h.hostname || `Host ${h.host_id}`}
                </a>
              </td>
              <td>
                <a
                  href={hrefOf(`/hosts/${h.host_id}`, { at: h.since, tab: "compliance" })}
                  title="The host at the execution where this began"
                >
                  <Time iso={h.since} ago />
                </a>
              </td>
              <td class="opt">
                <Time iso={h.collected_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CheckCard({ document }: { document: unknown }) {
  const check = (document as Partial<Policy>).check;
  return (
    <section class="card" aria-labelledby="check-title">
      <h2 id="check-title">The rule</h2>
      <ManagedNote />
      <details class="more">
        <summary>The check, as stored</summary>
        <pre class="policy-check">{JSON.stringify(check ?? null, null, 2)}</pre>
      </details>
    </section>
  );
}
