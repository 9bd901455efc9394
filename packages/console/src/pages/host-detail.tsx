import type { Host, QueryOf } from "@compliance/contract";
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useLayoutEffect, useMemo, useState } from "preact/hooks";
import { requestPath } from "../api.ts";
import { DiffPanel } from "../components/diff-panel.tsx";
import { ExecutionList } from "../components/execution-list.tsx";
import { sectionQueryOf } from "../components/inventory-panel.tsx";
import { SECTIONS } from "../components/inventory-sections.tsx";
import {
  type ExecutionPick,
  FIRST_PAGES,
  pickQuery,
  processQueryOf,
  SnapshotPanel,
  sessionQueryOf,
  tabOf,
} from "../components/snapshot-panel.tsx";
import { Empty, ErrorNotice, Loading } from "../components/states.tsx";
import { StatusBadge } from "../components/status-badge.tsx";
import { Time } from "../components/time.tsx";
import { TimelineChart } from "../components/timeline-chart.tsx";
import { formatBytes, formatCount, fromLocalInput, toLocalInput } from "../format.ts";
import { useClient, useLoad } from "../hooks.ts";
import { navigate, type Route, withParams } from "../router.ts";

type HostRoute = Extract<Route, { page: "host" }>;

export function HostDetail({ route }: { route: HostRoute }) {
  const client = useClient();
  const host = useLoad(
    (signal) => client.get("getHost", { params: { id: route.id } }, signal),
    [route.id],
  );

  // What the page asks for once the host is here, asked for now, alongside the host: for
  // the usual case (a host seen this week), the page is drawn one round trip sooner.
  useLayoutEffect(() => {
    const p = route.params;
    if ((p.get("sel") ?? "").split(",").filter(Boolean).length === 2) return;
    const pick = pickOf(p);
    const range = (p.get("range") as RangeId | null) ?? "7d";
    const params = { id: route.id };
    client.prefetch(
      requestPath("hostProcesses", { params, query: processQueryOf(pick, p) }),
      requestPath("hostSessions", { params, query: sessionQueryOf(pick) }),
      requestPath("hostPolicies", { params, query: pickQuery(pick) }),
      requestPath("listExecutions", {
        params,
        query: executionRange(boundsOf(range, p, Date.now())),
      }),
      ...inventoryPrefetch(route.id, pick, p),
    );
  }, [route.id]);

  useEffect(() => {
    document.title = `${host.data?.hostname || `Host ${route.id}`} · Compliance`;
  }, [host.data, route.id]);

  if (host.status === "error" && !host.data) {
    return (
      <section class="page">
        <Breadcrumb name={`Host ${route.id}`} />
        <h1>Host {route.id}</h1>
        {host.error.kind === "not_found" ? (
          <Empty title="This host does not exist">
            <p>
              There is no host {route.id}. It may have been deleted; the{" "}
              <a href="#/hosts">host list</a> shows every host there is.
            </p>
          </Empty>
        ) : (
          <ErrorNotice error={host.error} onRetry={host.reload} />
        )}
      </section>
    );
  }
  if (!host.data) {
    return (
      <section class="page">
        <Breadcrumb name="…" />
        <Loading label="Loading the host" />
      </section>
    );
  }
  return <HostView host={host.data} route={route} />;
}

/** The inventory read of the tab a link opens on, if it opens on one. */
function inventoryPrefetch(id: number, pick: ExecutionPick, params: URLSearchParams): string[] {
  const tab = tabOf(params);
  if (tab === "settings") {
    return [requestPath("hostSettings", { params: { id }, query: pickQuery(pick) })];
  }
  if (tab === "processes" || tab === "sessions" || tab === "compliance") return [];
  const spec = SECTIONS[tab];
  return [spec.path(id, sectionQueryOf(spec, pickQuery(pick), params))];
}

function Breadcrumb({ name }: { name: string }) {
  return (
    <nav class="breadcrumb" aria-label="Breadcrumb">
      <a href="#/hosts">Hosts</a>
      <span aria-hidden="true"> / </span>
      <span aria-current="page">{name}</span>
    </nav>
  );
}

function HostView({ host, route }: { host: Host; route: HostRoute }) {
  const name = host.hostname || host.identifier;
  return (
    <section class="page" aria-labelledby="page-title">
      <Breadcrumb name={name} />
      <div class="page-head">
        <h1 id="page-title">{name}</h1>
        <StatusBadge host={host} long />
        <a
          class="button button-quiet"
          href={`#/activity?host=${host.id}&from=${encodeURIComponent(new Date(Date.now() - 86_400_000).toISOString())}`}
        >
          Activity in a window
        </a>
      </div>
      <p class="subtitle">
        {[host.primary_ip, host.os.name && `${host.os.name} ${host.os.version}`, host.cpu.model]
          .filter(Boolean)
          .join(" · ")}
      </p>
      <Facts host={host} />
      {host.executions === 0 ? (
        <Empty title="No report yet">
          <p>
            This host enrolled <Time iso={host.enrolled_at} ago /> but its first report has not
            arrived. Check that its agent runs and can reach this API.
          </p>
        </Empty>
      ) : (
        <History host={host} route={route} />
      )}
    </section>
  );
}

function Facts({ host }: { host: Host }) {
  const used = host.memory_total_bytes - host.memory_available_bytes;
  return (
    <section class="card" aria-labelledby="facts-title">
      <h2 id="facts-title">Facts</h2>
      <dl class="facts">
        <Fact label="Operating system">
          {host.os.name ? `${host.os.name} ${host.os.version}` : "—"}
          <span class="muted small">
            {" "}
            {[host.os.platform, host.os.arch].filter(Boolean).join(" / ")}
          </span>
        </Fact>
        <Fact label="Kernel">{host.os.kernel || "—"}</Fact>
        <Fact label="CPU">
          {host.cpu.model || "—"}
          <span class="muted small">
            {" "}
            {host.cpu.cores ? `${host.cpu.cores} cores` : ""}
            {host.cpu.vendor ? ` · ${host.cpu.vendor}` : ""}
          </span>
        </Fact>
        <Fact label="Memory">
          {host.memory_known === false ? (
            <span class="muted">unknown (not reported)</span>
          ) : (
            formatBytes(host.memory_total_bytes)
          )}
          {host.memory_known !== false && host.memory_total_bytes > 0 ? (
            <span class="muted small"> · {formatBytes(used)} in use</span>
          ) : null}
        </Fact>
        <Fact label="IP addresses">
          {host.ip_addresses.length === 0 ? (
            "—"
          ) : (
            <ul class="inline-list mono">
              {host.ip_addresses.map((ip) => (
                <li key={ip}>
                  {ip}
                  {ip === host.primary_ip ? <span class="muted small"> (primary)</span> : null}
                </li>
              ))}
            </ul>
          )}
        </Fact>
        <Fact label="Agent version">
          {host.agent_version || "—"}
          {host.source !== "agent" ? <span class="muted small"> · {host.source}</span> : null}
        </Fact>
        <Fact label="First seen">
          <Time iso={host.first_seen_at} />
        </Fact>
        <Fact label="Last seen">
          <Time iso={host.last_seen_at} ago />
        </Fact>
        <Fact label="Last change">
          <Time iso={host.last_changed_at} ago />
        </Fact>
        <Fact label="Executions kept">{formatCount(host.executions)}</Fact>
        <Fact label="Identifier">
          <span class="mono small">{host.identifier}</span>
        </Fact>
      </dl>
    </section>
  );
}

function Fact({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

const RANGES = [
  { id: "24h", label: "24 hours", ms: 86_400_000 },
  { id: "7d", label: "7 days", ms: 7 * 86_400_000 },
  { id: "30d", label: "30 days", ms: 30 * 86_400_000 },
  { id: "all", label: "All", ms: 0 },
  { id: "custom", label: "Custom", ms: 0 },
] as const;
type RangeId = (typeof RANGES)[number]["id"];

/** The API answers at most this many executions at once; the chart shows the newest. */
const EXECUTION_LIMIT = 5000;

function rangeOf(host: Host, params: URLSearchParams): RangeId {
  const r = params.get("range");
  if (RANGES.some((x) => x.id === r)) return r as RangeId;
  // A host that stopped reporting long ago would show an empty week: show all of it.
  const last = host.last_seen_at ? Date.parse(host.last_seen_at) : 0;
  return Date.now() - last > 7 * 86_400_000 ? "all" : "7d";
}

type ExecutionQuery = QueryOf<"listExecutions">;
type Bounds = Pick<ExecutionQuery, "from" | "to">;

/**
 * The collected_at bounds of a range. Relative ranges end now and start on a whole minute,
 * so the request made while the host loads and the one made after are the same.
 */
function boundsOf(range: RangeId, params: URLSearchParams, now: number): Bounds {
  if (range === "custom") {
    return { from: params.get("from") ?? undefined, to: params.get("to") ?? undefined };
  }
  const ms = RANGES.find((x) => x.id === range)?.ms ?? 0;
  if (!ms) return {};
  return { from: new Date(Math.floor((now - ms) / 60_000) * 60_000).toISOString() };
}

/** Newest first, so that past the limit the newest are the ones kept. */
const executionRange = (bounds: Bounds): ExecutionQuery => ({
  ...bounds,
  sort: "-collected_at",
  limit: EXECUTION_LIMIT,
});

/** The execution the snapshot shows: a picked one, the one in effect at a time, or the latest. */
function pickOf(params: URLSearchParams): ExecutionPick {
  const sel = (params.get("sel") ?? "").split(",").filter(Boolean);
  const at = params.get("at");
  return sel.length === 1 ? { report: sel[0]! } : at ? { at } : { latest: true };
}

/** The host's executions in a range, oldest first. */
function useExecutions(hostId: number, bounds: Bounds) {
  const client = useClient();
  return useLoad(
    async (signal) => {
      const page = await client.get(
        "listExecutions",
        { params: { id: hostId }, query: executionRange(bounds) },
        signal,
      );
      return { total: page.total, items: page.items.slice().reverse() };
    },
    [hostId, bounds.from, bounds.to],
  );
}
type ExecutionsLoad = ReturnType<typeof useExecutions>;

function History({ host, route }: { host: Host; route: HostRoute }) {
  const p = route.params;
  const range = rangeOf(host, p);
  const customFrom = p.get("from") ?? undefined;
  const customTo = p.get("to") ?? undefined;
  // Anchored when the range is chosen, not at every render.
  const bounds = useMemo(() => boundsOf(range, p, Date.now()), [range, customFrom, customTo]);
  const executions = useExecutions(host.id, bounds);

  const sel = (p.get("sel") ?? "").split(",").filter(Boolean).slice(0, 2);
  const [shown, setShown] = useState<string | null>(null);
  const onShown = useCallback((id: string | null) => setShown(id), []);

  const items = executions.data?.items ?? [];
  const byId = useMemo(() => new Map(items.map((e, i) => [e.report_id, i])), [items]);
  const chronological = (ids: string[]) =>
    [...ids].sort((a, b) => (byId.get(a) ?? 0) - (byId.get(b) ?? 0));

  const set = (changes: Record<string, string | undefined>) => navigate(withParams(route, changes));

  const onPick = (id: string) => {
    let next: string[];
    if (sel.includes(id)) next = sel.filter((x) => x !== id);
    else if (sel.length === 1) next = chronological([sel[0]!, id]);
    else next = [id];
    set({ sel: next.join(",") || undefined, at: undefined, ...FIRST_PAGES });
  };

  const previous = (reportId: string) => {
    const i = byId.get(reportId);
    return i !== undefined && i > 0 ? (items[i - 1]?.report_id ?? null) : null;
  };

  const [a, b] = sel.length === 2 ? chronological(sel) : [];

  return (
    <>
      <section class="card" aria-labelledby="history-title">
        <div class="card-head">
          <div>
            <h2 id="history-title">History</h2>
            <p class="muted small">
              Pick a point to see that execution; pick a second one to see what changed between
              them.
            </p>
          </div>
          <RangePicker
            range={range}
            from={customFrom}
            to={customTo}
            onRange={(r, from, to) =>
              set({ range: r, from, to, sel: sel.length ? sel.join(",") : undefined })
            }
          />
        </div>
        <Timeline
          host={host}
          executions={executions}
          selected={sel}
          shown={sel.length === 0 ? shown : null}
          at={p.get("at")}
          onPick={onPick}
          onAll={() => set({ range: "all" })}
        />
      </section>

      {a && b ? (
        <DiffPanel
          host={host}
          from={a}
          to={b}
          onShow={(id) => set({ sel: id })}
          onClear={() => set({ sel: undefined })}
        />
      ) : (
        <SnapshotPanel
          host={host}
          route={route}
          pick={pickOf(p)}
          previous={previous}
          onShown={onShown}
        />
      )}
    </>
  );
}

/** The chart and the list of the executions in range, or why there are none. */
function Timeline({
  host,
  executions,
  selected,
  shown,
  at,
  onPick,
  onAll,
}: {
  host: Host;
  executions: ExecutionsLoad;
  selected: string[];
  shown: string | null;
  at: string | null;
  onPick: (reportId: string) => void;
  onAll: () => void;
}) {
  const data = executions.data;
  if (executions.status === "error" && !data) {
    return <ErrorNotice error={executions.error} onRetry={executions.reload} />;
  }
  if (!data) return <Loading label="Loading the history" />;
  const items = data.items;
  if (items.length === 0) {
    return (
      <div class="state state-empty">
        <p>
          No execution in this range. The latest one was collected{" "}
          <Time iso={host.last_seen_at} ago />.
        </p>
        <button type="button" class="button" onClick={onAll}>
          Show all executions
        </button>
      </div>
    );
  }
  return (
    <div class={executions.status === "loading" ? "is-stale" : undefined}>
      <TimelineChart
        executions={items}
        selected={selected}
        shown={shown}
        marker={at ? Date.parse(at) : null}
        onPick={onPick}
      />
      <p class="muted small">
        {formatCount(items.length)} executions shown
        {data.total > items.length
          ? ` — the newest ${formatCount(items.length)} of ${formatCount(data.total)} in this range; narrow the range to see older ones`
          : ""}
        . The marks on the Δ line are check-ins that changed something.
      </p>
      <ExecutionList executions={items} selected={selected} onPick={onPick} />
    </div>
  );
}

function RangePicker({
  range,
  from,
  to,
  onRange,
}: {
  range: RangeId;
  from: string | undefined;
  to: string | undefined;
  onRange: (range: RangeId, from?: string, to?: string) => void;
}) {
  const [customFrom, setCustomFrom] = useState(
    from ? toLocalInput(Date.parse(from)) : toLocalInput(Date.now() - 86_400_000),
  );
  const [customTo, setCustomTo] = useState(
    to ? toLocalInput(Date.parse(to)) : toLocalInput(Date.now()),
  );
  const [showCustom, setShowCustom] = useState(range === "custom");
  return (
    <div class="range">
      <fieldset class="segmented">
        <legend class="sr-only">Range of the history</legend>
        {RANGES.map((r) => (
          <label
            key={r.id}
            class={
              (r.id === "custom" ? showCustom : range === r.id && !showCustom) ? "on" : undefined
            }
          >
            <input
              type="radio"
              name="range"
              value={r.id}
              checked={r.id === "custom" ? showCustom : range === r.id && !showCustom}
              onChange={() => {
                if (r.id === "custom") setShowCustom(true);
                else {
                  setShowCustom(false);
                  onRange(r.id);
                }
              }}
            />
            {r.label}
          </label>
        ))}
      </fieldset>
      {showCustom ? (
        <form
          class="range-custom"
          onSubmit={(e) => {
            e.preventDefault();
            onRange(
              "custom",
              fromLocalInput(customFrom) ?? undefined,
              fromLocalInput(customTo) ?? undefined,
            );
          }}
        >
          <label for="range-from">From</label>
          <input
            id="range-from"
            type="datetime-local"
            step={1}
            value={customFrom}
            onInput={(e) => setCustomFrom(e.currentTarget.value)}
          />
          <label for="range-to">to</label>
          <input
            id="range-to"
            type="datetime-local"
            step={1}
            value={customTo}
            onInput={(e) => setCustomTo(e.currentTarget.value)}
          />
          <button type="submit" class="button">
            Apply
          </button>
        </form>
      ) : null}
    </div>
  );
}
