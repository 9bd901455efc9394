import type { Host, QueryOf } from "@compliance/contract";
import { useEffect } from "preact/hooks";
import { requestPath } from "../api.ts";
import { CsvDownload } from "../components/csv-download.tsx";
import { DataAsOf } from "../components/data-as-of.tsx";
import { EnrollHelp } from "../components/enroll-help.tsx";
import { Pager } from "../components/pager.tsx";
import { SearchField } from "../components/search-field.tsx";
import { SortHeader } from "../components/sort-header.tsx";
import { Empty, ErrorNotice, Loading } from "../components/states.tsx";
import { StatusBadge } from "../components/status-badge.tsx";
import { formatAgo, formatCount, formatTime } from "../format.ts";
import { useAsOf, useAutoRefresh, useClient, useLoad } from "../hooks.ts";
import { navigate, type Route, withParams } from "../router.ts";
import { REFRESH_MS } from "./overview.tsx";

type HostQuery = QueryOf<"listHosts">;

const PAGE_SIZE = 50;
/** Long enough to skip the requests of a word being typed, short enough to feel live. */
const SEARCH_DEBOUNCE_MS = 250;
const FILTERS = ["os", "ip", "cpu", "process", "user"] as const;
const FILTER_LABELS: Record<(typeof FILTERS)[number], { label: string; hint: string }> = {
  os: { label: "Operating system", hint: "name, version or kernel contains" },
  ip: { label: "IP address", hint: "exact address" },
  cpu: { label: "CPU model", hint: "contains" },
  process: { label: "Running process", hint: "name contains" },
  user: { label: "Logged-in user", hint: "user name contains" },
};

export function HostList({ route }: { route: Extract<Route, { page: "hosts" }> }) {
  const client = useClient();
  const p = route.params;
  const query: HostQuery = {
    q: p.get("q") ?? undefined,
    status: statusOf(p.get("status")),
    os: p.get("os") ?? undefined,
    ip: p.get("ip") ?? undefined,
    cpu: p.get("cpu") ?? undefined,
    process: p.get("process") ?? undefined,
    user: p.get("user") ?? undefined,
    sort: p.get("sort") ?? "hostname",
    limit: PAGE_SIZE,
    offset: Math.max(0, Number(p.get("offset")) || 0),
  };
  const key = JSON.stringify(query);
  const hosts = useLoad((signal) => client.get("listHosts", { query }, signal), [key]);
  useAutoRefresh(hosts.reload, REFRESH_MS);
  const asOf = useAsOf(hosts);
  const filtered = Boolean(query.q || query.status || FILTERS.some((f) => query[f]));

  useEffect(() => {
    document.title = "Hosts · Compliance";
  }, []);

  const set = (changes: Record<string, string | undefined>, replace = false) =>
    navigate(withParams(route, { ...changes, offset: undefined }), replace);

  return (
    <section class="page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Hosts</h1>
        {hosts.data ? (
          <span class="muted">
            {formatCount(hosts.data.total)} {filtered ? "matching" : "in the fleet"}
          </span>
        ) : null}
        <DataAsOf at={asOf} everyMs={REFRESH_MS} />
        <CsvDownload
          path={requestPath("listHosts", {
            query: { ...query, limit: undefined, offset: undefined, format: "csv" },
          })}
          fileName="hosts.csv"
          label="Download CSV"
        />
      </div>

      <SearchField
        id="host-search"
        label="Search hosts"
        placeholder="Hostname, IP, OS, CPU, process or user"
        value={query.q ?? ""}
        delayMs={SEARCH_DEBOUNCE_MS}
        onSearch={(q) => set({ q: q || undefined }, true)}
      />
      <Filters route={route} query={query} onChange={(changes) => set(changes)} />

      {hosts.status === "error" ? (
        // Only the error: old answers under it would read as the current state.
        <ErrorNotice error={hosts.error} onRetry={hosts.reload} />
      ) : !hosts.data ? (
        hosts.status === "loading" ? (
          <Loading label="Loading hosts" />
        ) : null
      ) : hosts.data.total === 0 && !filtered ? (
        <EnrollHelp onReload={hosts.reload} />
      ) : hosts.data.total === 0 ? (
        <Empty title="No host matches">
          <p>Nothing in the fleet matches this search and these filters.</p>
          <button type="button" class="button" onClick={() => navigate("#/hosts")}>
            Clear search and filters
          </button>
        </Empty>
      ) : (
        <div class={hosts.status === "loading" ? "is-stale" : undefined}>
          <HostTable
            hosts={hosts.data.items}
            sort={query.sort ?? "hostname"}
            busy={hosts.status === "loading"}
            onSort={(sort) => set({ sort })}
          />
          <Pager
            offset={hosts.data.offset}
            limit={hosts.data.limit}
            total={hosts.data.total}
            noun="hosts"
            onPage={(offset) => navigate(withParams(route, { offset: offset || undefined }))}
          />
        </div>
      )}
    </section>
  );
}

const statusOf = (s: string | null) => (s === "online" || s === "offline" ? s : undefined);

function Filters({
  route,
  query,
  onChange,
}: {
  route: Route;
  query: HostQuery;
  onChange: (changes: Record<string, string | undefined>) => void;
}) {
  const active = FILTERS.filter((f) => query[f]).length + (query.status ? 1 : 0);
  return (
    <details class="filters" open={active > 0}>
      <summary>Filters{active > 0 ? <span class="count-pill">{active}</span> : null}</summary>
      <form
        class="filter-grid"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          const changes: Record<string, string | undefined> = {};
          for (const f of FILTERS) changes[f] = String(data.get(f) ?? "").trim() || undefined;
          onChange(changes);
        }}
      >
        <div class="field">
          <label for="filter-status">Status</label>
          <select
            id="filter-status"
            value={query.status ?? ""}
            onChange={(e) => onChange({ status: e.currentTarget.value || undefined })}
          >
            <option value="">Any</option>
            <option value="online">Online</option>
            <option value="offline">Offline</option>
          </select>
        </div>
        {FILTERS.map((f) => (
          <div class="field" key={`${f}:${route.params.get(f) ?? ""}`}>
            <label for={`filter-${f}`}>{FILTER_LABELS[f].label}</label>
            <input
              id={`filter-${f}`}
              name={f}
              defaultValue={query[f] ?? ""}
              placeholder={FILTER_LABELS[f].hint}
              autoComplete="off"
              spellcheck={false}
              onChange={(e) => onChange({ [f]: e.currentTarget.value.trim() || undefined })}
            />
          </div>
        ))}
        <div class="field field-actions">
          <button type="submit" class="button">
            Apply
          </button>
          <button
            type="button"
            class="button button-quiet"
            onClick={() =>
              onChange(Object.fromEntries([...FILTERS, "status"].map((f) => [f, undefined])))
            }
          >
            Clear filters
          </button>
        </div>
      </form>
    </details>
  );
}

const COLUMNS = [
  { key: "hostname", label: "Host", firstDesc: false },
  { key: "last_seen_at", label: "Last report", firstDesc: true },
  { key: "os", label: "Operating system", firstDesc: false, optional: true },
  { key: "cpu", label: "CPU", firstDesc: false, optional: true, wide: true },
  { key: "process_count", label: "Processes", firstDesc: true, num: true },
  { key: "session_count", label: "Sessions", firstDesc: true, num: true, optional: true },
  { key: "cpu_usage_percent", label: "CPU use", firstDesc: true, num: true, optional: true },
] as const;

function HostTable({
  hosts,
  sort,
  busy,
  onSort,
}: {
  hosts: Host[];
  sort: string;
  busy: boolean;
  onSort: (sort: string) => void;
}) {
  return (
    <div class="table-wrap">
      <table class="table table-hosts" aria-busy={busy}>
        <caption class="sr-only">Hosts; select a column heading to sort</caption>
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <SortHeader
                key={c.key}
                field={c.key}
                label={c.label}
                sort={sort}
                firstDesc={c.firstDesc}
                onSort={onSort}
                class={[
                  "num" in c ? "num" : "",
                  "optional" in c ? "opt" : "",
                  "wide" in c ? "wide-only" : "",
                ]
                  .filter(Boolean)
                  .join(" ")}
              />
            ))}
          </tr>
        </thead>
        <tbody>
          {hosts.map((h) => (
            <tr key={h.id}>
              <td>
                <a href={`#/hosts/${h.id}`} class="host-link" title={h.hostname || h.identifier}>
                  {h.hostname || h.identifier}
                </a>
                <div class="muted small mono">{h.primary_ip ?? "no IP"}</div>
              </td>
              <td>
                <StatusBadge host={h} />
                <div class="muted small" title={h.last_seen_at ?? ""}>
                  {h.last_seen_at ? formatAgo(h.last_seen_at) : ""}
                  <span class="sr-only"> ({formatTime(h.last_seen_at)})</span>
                </div>
              </td>
              <td class="opt">
                {h.os.name ? `${h.os.name} ${h.os.version}` : "—"}
                <div class="muted small">{h.os.kernel}</div>
              </td>
              <td class="opt wide-only">
                <span class="clip" title={h.cpu.model}>
                  {h.cpu.model || "—"}
                </span>
                <div class="muted small">{h.cpu.cores ? `${h.cpu.cores} cores` : ""}</div>
              </td>
              <td class="num">
                {!h.last_seen_at
                  ? "—"
                  : h.processes_known === false
                    ? "unknown"
                    : formatCount(h.process_count)}
              </td>
              <td class="num opt">
                {!h.last_seen_at
                  ? "—"
                  : h.sessions_known
                    ? formatCount(h.session_count)
                    : "unknown"}
              </td>
              <td class="num opt">
                {!h.last_seen_at
                  ? "—"
                  : h.cpu_usage_known === false
                    ? "unknown"
                    : `${Math.round(h.cpu_usage_percent)} %`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
