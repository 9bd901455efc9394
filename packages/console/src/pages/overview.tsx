import type { FleetSummary } from "@compliance/contract";
import { useEffect } from "preact/hooks";
import { ComplianceSummary } from "../components/compliance-summary.tsx";
import { DataAsOf } from "../components/data-as-of.tsx";
import { EnrollHelp } from "../components/enroll-help.tsx";
import { Kpi } from "../components/kpi.tsx";
import { ErrorNotice, Loading } from "../components/states.tsx";
import { StatusBadge } from "../components/status-badge.tsx";
import { Time } from "../components/time.tsx";
import { formatCount } from "../format.ts";
import { useAsOf, useAutoRefresh, useClient, useLoad } from "../hooks.ts";

/** How often the overview and the host list ask again. */
export const REFRESH_MS = 30_000;

import { hrefOf } from "../router.ts";

export function Overview() {
  const client = useClient();
  const summary = useLoad((signal) => client.get("fleetSummary", {}, signal), []);
  useAutoRefresh(summary.reload, REFRESH_MS);
  const asOf = useAsOf(summary);

  useEffect(() => {
    document.title = "Overview · Compliance";
  }, []);

  return (
    <section class="page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Fleet overview</h1>
        <DataAsOf at={asOf} everyMs={REFRESH_MS} />
        {summary.data && summary.data.hosts.total > 0 ? (
          <a class="button" href="#/hosts">
            All hosts
          </a>
        ) : null}
      </div>
      {summary.status === "error" && !summary.data ? (
        <ErrorNotice error={summary.error} onRetry={summary.reload} />
      ) : !summary.data ? (
        <Loading label="Loading the fleet" />
      ) : summary.data.hosts.total === 0 ? (
        <EnrollHelp onReload={summary.reload} />
      ) : (
        <FleetView summary={summary.data} />
      )}
    </section>
  );
}

function FleetView({ summary }: { summary: FleetSummary }) {
  const { hosts } = summary;
  return (
    <>
      <ul class="kpis" aria-label="Fleet totals">
        <Kpi label="Hosts" value={hosts.total} href="#/hosts" />
        <Kpi
          label="Online"
          value={hosts.online}
          href={hrefOf("/hosts", { status: "online" })}
          tone="online"
          hint="Reported within the last two agent intervals"
        />
        <Kpi
          label="Offline"
          value={hosts.offline}
          href={hrefOf("/hosts", { status: "offline" })}
          tone={hosts.offline > 0 ? "offline" : undefined}
          hint="No report for longer than two agent intervals"
        />
        {hosts.never_reported > 0 ? (
          <Kpi
            label="Never reported"
            value={hosts.never_reported}
            hint="Enrolled, but no report has arrived yet"
          />
        ) : null}
        <Kpi label="Processes running" value={summary.processes} />
        <Kpi label="Open sessions" {...sessionsKpi(summary)} />
        <Kpi
          label="Executions kept"
          value={summary.executions}
          hint="Every report is kept as an execution"
        />
      </ul>

      <ComplianceSummary />

      <div class="grid-2">
        <Breakdown
          title="Operating systems"
          total={hosts.total - hosts.never_reported}
          rows={summary.os.map((o) => ({
            label: `${o.name || "Unknown"} ${o.version}`.trim(),
            count: o.hosts,
            href: hrefOf("/hosts", { os: o.version || o.name }),
          }))}
        />
        <Breakdown
          title="CPU models"
          total={hosts.total - hosts.never_reported}
          rows={summary.cpu.map((c) => ({
            label: c.model || "Unknown",
            count: c.hosts,
            href: hrefOf("/hosts", { cpu: c.model }),
          }))}
        />
      </div>

      <section class="card" aria-labelledby="recent-title">
        <h2 id="recent-title">Recently changed hosts</h2>
        {summary.recently_changed.length === 0 ? (
          <p class="muted">
            No host has changed since its first report: every check-in found the same processes,
            sessions and facts.
          </p>
        ) : (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Host</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last change</th>
                  <th scope="col" class="num">
                    Processes
                  </th>
                  <th scope="col" class="num opt">
                    Sessions
                  </th>
                </tr>
              </thead>
              <tbody>
                {summary.recently_changed.map((h) => (
                  <tr key={h.id}>
                    <td>
                      <a href={`#/hosts/${h.id}`}>{h.hostname || h.identifier}</a>
                      <div class="muted small">{h.primary_ip ?? ""}</div>
                    </td>
                    <td>
                      <StatusBadge host={h} />
                    </td>
                    <td>
                      <Time iso={h.last_changed_at} ago />
                    </td>
                    <td class="num">{formatCount(h.process_count)}</td>
                    <td class="num opt">
                      {h.sessions_known ? formatCount(h.session_count) : "unknown"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

/**
 * A host whose sessions are unknown (no utmp) adds nothing to the count, which would read
 * as "none": the hint says how many hosts the count leaves out, and when it leaves out
 * every host that reported, the count itself is unknown.
 */
function sessionsKpi(summary: FleetSummary): { value: number | null; hint: string } {
  const unknown = summary.sessions_unknown;
  const reported = summary.hosts.total - summary.hosts.never_reported;
  if (unknown === 0) return { value: summary.sessions, hint: "Known for every host" };
  const hosts = `${formatCount(unknown)} host${unknown === 1 ? "" : "s"} unknown`;
  if (unknown >= reported) return { value: null, hint: `${hosts}: no host can read its sessions` };
  return { value: summary.sessions, hint: `${hosts}, not counted` };
}

function Breakdown({
  title,
  total,
  rows,
}: {
  title: string;
  total: number;
  rows: { label: string; count: number; href: string }[];
}) {
  const max = Math.max(1, ...rows.map((r) => r.count));
  return (
    <section class="card" aria-label={title}>
      <h2>{title}</h2>
      {rows.length === 0 ? (
        <p class="muted">No host has reported yet.</p>
      ) : (
        <ul class="bars">
          {rows.slice(0, 8).map((r) => (
            <li key={r.label}>
              <a href={r.href} class="bar-row">
                <span class="bar-label" title={r.label}>
                  {r.label}
                </span>
                <span class="bar-count">
                  {formatCount(r.count)}
                  <span class="muted small">
                    {" "}
                    · {total > 0 ? Math.round((r.count / total) * 100) : 0} %
                  </span>
                </span>
                <span class="bar-track" aria-hidden="true">
                  <span class="bar-fill" style={{ width: `${(r.count / max) * 100}%` }} />
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
      {rows.length > 8 ? <p class="muted small">and {rows.length - 8} more</p> : null}
    </section>
  );
}
