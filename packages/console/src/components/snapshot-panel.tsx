import type { AnswerOf, Host, QueryOf } from "@compliance/contract";
import { useEffect } from "preact/hooks";
import { formatCount, formatTime } from "../format.ts";
import { type Loaded, useClient, useLoad } from "../hooks.ts";
import { navigate, type Route, withParams } from "../router.ts";
import { AtTimeForm } from "./at-time-form.tsx";
import { CompliancePanel, complianceCountOf } from "./compliance-panel.tsx";
import { DownloadReport } from "./download-report.tsx";
import { InventoryPanel } from "./inventory-panel.tsx";
import { ACCOUNTS, LISTENING, PACKAGES, SECTIONS, SERVICES } from "./inventory-sections.tsx";
import { Pager } from "./pager.tsx";
import { ProcessTable } from "./process-table.tsx";
import { SearchField } from "./search-field.tsx";
import { SessionTable } from "./session-table.tsx";
import { SettingsPanel } from "./settings-panel.tsx";
import { Empty, ErrorNotice, Loading } from "./states.tsx";
import { type TabItem, TabList, TabPanel } from "./tabs.tsx";
import { Time } from "./time.tsx";

const PROCESS_PAGE = 100;

/** Which execution a snapshot read is about; none of them means the latest. */
export type ExecutionPick = { report: string } | { at: string } | { latest: true };

type SnapshotQuery = QueryOf<"hostProcesses"> & QueryOf<"hostSessions">;
type ProcessPage = AnswerOf<"hostProcesses">;
type SessionPage = AnswerOf<"hostSessions">;
type HostPolicies = AnswerOf<"hostPolicies">;

export const pickQuery = (pick: ExecutionPick): Pick<SnapshotQuery, "at" | "report"> =>
  "report" in pick ? { report: pick.report } : "at" in pick ? { at: pick.at } : {};

/** The processes query of the panel for a route: its execution, search, sort and page. */
export function processQueryOf(pick: ExecutionPick, params: URLSearchParams): SnapshotQuery {
  return {
    ...pickQuery(pick),
    q: params.get("pq") ?? "",
    sort: params.get("psort") ?? "-cpu_percent",
    limit: PROCESS_PAGE,
    offset: Math.max(0, Number(params.get("poff")) || 0),
  };
}

/** Sessions are few: one page holds them all. */
export const sessionQueryOf = (pick: ExecutionPick): SnapshotQuery => ({
  ...pickQuery(pick),
  limit: 1000,
  offset: 0,
});

export type SnapshotTab =
  | "processes"
  | "sessions"
  | keyof typeof SECTIONS
  | "settings"
  | "compliance";
const TABS: readonly SnapshotTab[] = [
  "processes",
  "sessions",
  "packages",
  "listening",
  "accounts",
  "services",
  "settings",
  "compliance",
];

/** The tab a route shows; processes unless it names another. */
export function tabOf(params: URLSearchParams): SnapshotTab {
  const tab = params.get("tab");
  return TABS.find((t) => t === tab) ?? "processes";
}

/**
 * The page parameters of every list: another execution may hold fewer items, so picking
 * one starts each list at its first page.
 */
export const FIRST_PAGES: Record<string, undefined> = Object.fromEntries(
  ["poff", ...Object.values(SECTIONS).map((s) => `${s.param}off`)].map((k): [string, undefined] => [
    k,
    undefined,
  ]),
);

/**
 * The host at one execution, the latest, a picked one or the one in effect at a chosen
 * time: what ran, who was logged in, and its inventory (packages, listening sockets,
 * accounts, services, settings), one tab each.
 */
export function SnapshotPanel({
  host,
  route,
  pick,
  previous,
  onShown,
}: {
  host: Host;
  route: Route;
  pick: ExecutionPick;
  /** The execution before the shown one, when the timeline knows it: offers a comparison. */
  previous: (reportId: string) => string | null;
  onShown: (reportId: string | null) => void;
}) {
  const client = useClient();
  const p = route.params;
  const tab = tabOf(p);
  const query = processQueryOf(pick, p);
  const pickKey = JSON.stringify(pick);

  const processes = useLoad(
    (signal) => client.get("hostProcesses", { params: { id: host.id }, query }, signal),
    [host.id, pickKey, query.q, query.sort, query.offset],
  );
  const sessions = useLoad(
    (signal) =>
      client.get("hostSessions", { params: { id: host.id }, query: sessionQueryOf(pick) }, signal),
    [host.id, pickKey],
  );
  // Read whatever the tab, so that its label says how many policies the host fails.
  const policies = useLoad(
    (signal) =>
      client.get("hostPolicies", { params: { id: host.id }, query: pickQuery(pick) }, signal),
    [host.id, pickKey],
  );
  const reportId = processes.status === "ok" ? processes.data.report_id : null;

  useEffect(() => onShown(reportId), [reportId, onShown]);

  const set = (changes: Record<string, string | undefined>, replace = false) =>
    navigate(withParams(route, changes), replace);
  const notYet = processes.status === "error" && processes.error.kind === "not_found";

  return (
    <section class="card snapshot" aria-labelledby="snapshot-title">
      <SnapshotHead
        host={host}
        pick={pick}
        collectedAt={(processes.data ?? sessions.data)?.collected_at ?? null}
        reportId={reportId}
        previous={reportId ? previous(reportId) : null}
        onCompare={(prev) => set({ sel: `${prev},${reportId}`, at: undefined })}
      />
      <AtTimeForm
        host={host}
        at={"at" in pick ? pick.at : null}
        onAt={(at) => set({ at, sel: undefined, ...FIRST_PAGES })}
      />
      {notYet && "at" in pick ? (
        <NothingYet host={host} onFirst={(at) => set({ at })} />
      ) : processes.status === "error" && !processes.data ? (
        <ErrorNotice error={processes.error} onRetry={processes.reload} />
      ) : (
        <>
          <TabList
            label="What to show"
            tabs={tabsOf(processes.data, sessions.data, policies.data, query.q ?? "")}
            active={tab}
            onSelect={(id) => set({ tab: id === "processes" ? undefined : id })}
          />
          <TabBody
            tab={tab}
            host={host}
            route={route}
            pick={pick}
            processes={processes}
            sessions={sessions}
            policies={policies}
          />
        </>
      )}
    </section>
  );
}

/** The tabs, with the counts already known: the inventory's are in each tab's own pages. */
function tabsOf(
  processes: ProcessPage | undefined,
  sessions: SessionPage | undefined,
  policies: HostPolicies | undefined,
  q: string,
): TabItem<SnapshotTab>[] {
  const count = processes && !q ? ` (${formatCount(processes.total)})` : "";
  const sessionCount = sessions
    ? sessions.known
      ? ` (${formatCount(sessions.total)})`
      : " (unknown)"
    : "";
  return [
    { id: "processes", label: `Processes${count}` },
    { id: "sessions", label: `Sessions${sessionCount}` },
    ...Object.values(SECTIONS).map((s) => ({ id: s.id, label: s.label })),
    { id: "settings", label: "Settings" },
    { id: "compliance", label: `Compliance${complianceCountOf(policies)}` },
  ];
}

function TabBody({
  tab,
  host,
  route,
  pick,
  processes,
  sessions,
  policies,
}: {
  tab: SnapshotTab;
  host: Host;
  route: Route;
  pick: ExecutionPick;
  processes: Loaded<ProcessPage>;
  sessions: Loaded<SessionPage>;
  policies: Loaded<HostPolicies>;
}) {
  const at = pickQuery(pick);
  // Keyed by tab: a section's answer must never be drawn with another section's columns.
  const section = { hostId: host.id, pickQuery: at, route };
  switch (tab) {
    case "processes":
      return <ProcessesTab route={route} processes={processes} />;
    case "sessions":
      return <SessionsTab sessions={sessions} />;
    case "packages":
      return <InventoryPanel key={tab} spec={PACKAGES} {...section} />;
    case "listening":
      return <InventoryPanel key={tab} spec={LISTENING} {...section} />;
    case "accounts":
      return <InventoryPanel key={tab} spec={ACCOUNTS} {...section} />;
    case "services":
      return <InventoryPanel key={tab} spec={SERVICES} {...section} />;
    case "settings":
      return <SettingsPanel hostId={host.id} pickQuery={at} route={route} />;
    case "compliance":
      return <CompliancePanel policies={policies} route={route} />;
  }
}

function SnapshotHead({
  host,
  pick,
  collectedAt,
  reportId,
  previous,
  onCompare,
}: {
  host: Host;
  pick: ExecutionPick;
  collectedAt: string | null;
  reportId: string | null;
  previous: string | null;
  onCompare: (previous: string) => void;
}) {
  return (
    <div class="card-head">
      <div>
        <h2 id="snapshot-title">{titleOf(pick)}</h2>
        <p class="muted small">
          {"at" in pick && collectedAt ? (
            <>
              In effect then: the execution collected <Time iso={collectedAt} /> (
              {gapOf(collectedAt, pick.at)} earlier)
            </>
          ) : collectedAt ? (
            <>
              Collected <Time iso={collectedAt} ago />
            </>
          ) : (
            " "
          )}
        </p>
      </div>
      <div class="card-actions">
        {previous && reportId ? (
          <button type="button" class="button button-quiet" onClick={() => onCompare(previous)}>
            Compare with the previous execution
          </button>
        ) : null}
        {reportId ? (
          <DownloadReport
            reportId={reportId}
            hostname={host.hostname}
            collectedAt={collectedAt ?? ""}
          />
        ) : null}
      </div>
    </div>
  );
}

function NothingYet({ host, onFirst }: { host: Host; onFirst: (at: string) => void }) {
  const first = host.first_seen_at;
  return (
    <Empty title="Nothing reported yet at that time">
      <p>
        This host's first execution was collected <Time iso={first} />. Choose a later time.
      </p>
      {first ? (
        <button type="button" class="button" onClick={() => onFirst(first)}>
          Show the first execution
        </button>
      ) : null}
    </Empty>
  );
}

function ProcessesTab({ route, processes }: { route: Route; processes: Loaded<ProcessPage> }) {
  const p = route.params;
  const q = p.get("pq") ?? "";
  const sort = p.get("psort") ?? "-cpu_percent";
  const set = (changes: Record<string, string | undefined>, replace = false) =>
    navigate(withParams(route, changes), replace);
  const data = processes.data;
  return (
    <TabPanel id="processes">
      <SearchField
        id="process-search"
        label="Search processes"
        placeholder="Name, user, PID or command line"
        value={q}
        onSearch={(text) => set({ pq: text || undefined, poff: undefined }, true)}
      />
      {!data ? (
        <Loading label="Loading processes" />
      ) : data.known === false ? (
        <p class="muted">
          Processes unknown: not reported in this execution{data.reason ? ` (${data.reason})` : ""}.
        </p>
      ) : data.total === 0 ? (
        <p class="muted">
          {q ? `No process matches “${q}”.` : "No process was reported in this execution."}
        </p>
      ) : (
        <div class={processes.status === "loading" ? "is-stale" : undefined}>
          <ProcessTable
            processes={data.items}
            sort={sort}
            busy={processes.status === "loading"}
            onSort={(s) => set({ psort: s, poff: undefined })}
            caption={`Processes collected ${formatTime(data.collected_at)}`}
          />
          <Pager
            offset={data.offset}
            limit={data.limit}
            total={data.total}
            noun="processes"
            onPage={(o) => set({ poff: o ? String(o) : undefined })}
          />
        </div>
      )}
    </TabPanel>
  );
}

function SessionsTab({ sessions }: { sessions: Loaded<SessionPage> }) {
  const data = sessions.data;
  return (
    <TabPanel id="sessions">
      {sessions.status === "error" && !data ? (
        <ErrorNotice error={sessions.error} onRetry={sessions.reload} />
      ) : !data ? (
        <Loading label="Loading sessions" />
      ) : !data.known ? (
        <div class="notice notice-warn" role="note">
          <strong>Unknown.</strong> The agent could not read the sessions on this host
          {data.reason ? ` (${data.reason})` : ""}. This does not mean that nobody was logged in.
        </div>
      ) : data.total === 0 ? (
        <p class="muted">Nobody was logged in: the agent read the sessions and found none.</p>
      ) : (
        <SessionTable
          sessions={data.items}
          caption={`Sessions collected ${formatTime(data.collected_at)}`}
        />
      )}
    </TabPanel>
  );
}

function titleOf(pick: ExecutionPick): string {
  if ("at" in pick) return `At ${formatTime(pick.at)}`;
  if ("report" in pick) return "Picked execution";
  return "Now";
}

function gapOf(collectedAt: string, at: string): string {
  const s = Math.max(0, Math.round((Date.parse(at) - Date.parse(collectedAt)) / 1000));
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}
