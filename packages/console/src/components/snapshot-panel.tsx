import type { Host, QueryOf } from "@compliance/contract";
import { useEffect, useState } from "preact/hooks";
import { formatCount, formatTime, fromLocalInput, timeZoneName, toLocalInput } from "../format.ts";
import { useClient, useLoad } from "../hooks.ts";
import { navigate, type Route, withParams } from "../router.ts";
import { DownloadReport } from "./download-report.tsx";
import { Pager } from "./pager.tsx";
import { ProcessTable } from "./process-table.tsx";
import { SearchField } from "./search-field.tsx";
import { SessionTable } from "./session-table.tsx";
import { Empty, ErrorNotice, Loading } from "./states.tsx";
import { Time } from "./time.tsx";

const PROCESS_PAGE = 100;

/** Which execution a snapshot read is about; none of them means the latest. */
export type ExecutionPick = { report: string } | { at: string } | { latest: true };

type SnapshotQuery = QueryOf<"hostProcesses"> & QueryOf<"hostSessions">;

const pickQuery = (pick: ExecutionPick): SnapshotQuery =>
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

/**
 * What ran on the host and who was logged in, at one execution: the latest, a picked one,
 * or the one in effect at a chosen time.
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
  const tab = p.get("tab") === "sessions" ? "sessions" : "processes";
  const query = processQueryOf(pick, p);
  const q = query.q ?? "";
  const sort = query.sort ?? "";
  const pickKey = JSON.stringify(pick);

  const processes = useLoad(
    (signal) => client.get("hostProcesses", { params: { id: host.id }, query }, signal),
    [host.id, pickKey, q, sort, query.offset],
  );
  const sessions = useLoad(
    (signal) =>
      client.get("hostSessions", { params: { id: host.id }, query: sessionQueryOf(pick) }, signal),
    [host.id, pickKey],
  );
  const meta = processes.data ?? sessions.data;
  const reportId = processes.status === "ok" ? processes.data.report_id : null;

  useEffect(() => onShown(reportId), [reportId, onShown]);

  const set = (changes: Record<string, string | undefined>, replace = false) =>
    navigate(withParams(route, changes), replace);

  const notYet = processes.status === "error" && processes.error.kind === "not_found";
  const prev = reportId ? previous(reportId) : null;

  return (
    <section class="card snapshot" aria-labelledby="snapshot-title">
      <div class="card-head">
        <div>
          <h2 id="snapshot-title">{titleOf(pick)}</h2>
          <p class="muted small">
            {"at" in pick && meta ? (
              <>
                In effect then: the execution collected <Time iso={meta.collected_at} /> (
                {gapOf(meta.collected_at, pick.at)} earlier)
              </>
            ) : meta ? (
              <>
                Collected <Time iso={meta.collected_at} ago />
              </>
            ) : (
              " "
            )}
          </p>
        </div>
        <div class="card-actions">
          {prev && reportId ? (
            <button
              type="button"
              class="button button-quiet"
              onClick={() => set({ sel: `${prev},${reportId}`, at: undefined })}
            >
              Compare with the previous execution
            </button>
          ) : null}
          {reportId ? (
            <DownloadReport
              reportId={reportId}
              hostname={host.hostname}
              collectedAt={meta?.collected_at ?? ""}
            />
          ) : null}
        </div>
      </div>

      <AtTimeForm
        host={host}
        at={"at" in pick ? pick.at : null}
        onAt={(at) => set({ at, sel: undefined, poff: undefined })}
      />

      {notYet && "at" in pick ? (
        <Empty title="Nothing reported yet at that time">
          <p>
            This host's first execution was collected <Time iso={host.first_seen_at} />. Choose a
            later time.
          </p>
          {host.first_seen_at ? (
            <button
              type="button"
              class="button"
              onClick={() => set({ at: host.first_seen_at ?? undefined })}
            >
              Show the first execution
            </button>
          ) : null}
        </Empty>
      ) : processes.status === "error" && !processes.data ? (
        <ErrorNotice error={processes.error} onRetry={processes.reload} />
      ) : (
        <>
          <div class="tabs" role="tablist" aria-label="What to show">
            <Tab
              id="processes"
              active={tab === "processes"}
              onSelect={() => set({ tab: undefined })}
              label={`Processes${processes.data && !q ? ` (${formatCount(processes.data.total)})` : ""}`}
            />
            <Tab
              id="sessions"
              active={tab === "sessions"}
              onSelect={() => set({ tab: "sessions" })}
              label={`Sessions${sessions.data ? (sessions.data.known ? ` (${formatCount(sessions.data.total)})` : " (unknown)") : ""}`}
            />
          </div>
          {tab === "processes" ? (
            <div role="tabpanel" id="panel-processes" aria-labelledby="tab-processes">
              <SearchField
                id="process-search"
                label="Search processes"
                placeholder="Name, user, PID or command line"
                value={q}
                onSearch={(text) => set({ pq: text || undefined, poff: undefined }, true)}
              />
              {!processes.data ? (
                <Loading label="Loading processes" />
              ) : processes.data.total === 0 ? (
                <p class="muted">
                  {q ? `No process matches “${q}”.` : "No process was reported in this execution."}
                </p>
              ) : (
                <div class={processes.status === "loading" ? "is-stale" : undefined}>
                  <ProcessTable
                    processes={processes.data.items}
                    sort={sort}
                    busy={processes.status === "loading"}
                    onSort={(s) => set({ psort: s, poff: undefined })}
                    caption={`Processes collected ${formatTime(processes.data.collected_at)}`}
                  />
                  <Pager
                    offset={processes.data.offset}
                    limit={processes.data.limit}
                    total={processes.data.total}
                    noun="processes"
                    onPage={(o) => set({ poff: o ? String(o) : undefined })}
                  />
                </div>
              )}
            </div>
          ) : (
            <div role="tabpanel" id="panel-sessions" aria-labelledby="tab-sessions">
              {sessions.status === "error" && !sessions.data ? (
                <ErrorNotice error={sessions.error} onRetry={sessions.reload} />
              ) : !sessions.data ? (
                <Loading label="Loading sessions" />
              ) : !sessions.data.known ? (
                <div class="notice notice-warn" role="note">
                  <strong>Unknown.</strong> The agent could not read the sessions on this host
                  {sessions.data.reason ? ` (${sessions.data.reason})` : ""}. This does not mean
                  that nobody was logged in.
                </div>
              ) : sessions.data.total === 0 ? (
                <p class="muted">
                  Nobody was logged in: the agent read the sessions and found none.
                </p>
              ) : (
                <SessionTable
                  sessions={sessions.data.items}
                  caption={`Sessions collected ${formatTime(sessions.data.collected_at)}`}
                />
              )}
            </div>
          )}
        </>
      )}
    </section>
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

function Tab({
  id,
  label,
  active,
  onSelect,
}: {
  id: string;
  label: string;
  active: boolean;
  onSelect: () => void;
}) {
  return (
    <button
      type="button"
      role="tab"
      id={`tab-${id}`}
      aria-selected={active}
      aria-controls={`panel-${id}`}
      tabIndex={active ? 0 : -1}
      class="tab"
      onClick={onSelect}
      onKeyDown={(e) => {
        // Arrow keys move between the two tabs, as in any tab list.
        if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
          e.preventDefault();
          const other = e.currentTarget.parentElement?.querySelector<HTMLButtonElement>(
            `[role=tab]:not(#tab-${id})`,
          );
          other?.focus();
          other?.click();
        }
      }}
    >
      {label}
    </button>
  );
}

/** "At a time": a local date and time; the API picks the execution in effect then. */
function AtTimeForm({
  host,
  at,
  onAt,
}: {
  host: Host;
  at: string | null;
  onAt: (at: string | undefined) => void;
}) {
  const initial = at ?? host.last_seen_at ?? new Date().toISOString();
  const [value, setValue] = useState(() => toLocalInput(Date.parse(initial)));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (at) setValue(toLocalInput(Date.parse(at)));
  }, [at]);
  return (
    <form
      class="at-time"
      onSubmit={(e) => {
        e.preventDefault();
        const iso = fromLocalInput(value);
        if (!iso) {
          setError("Enter a date and a time.");
          return;
        }
        setError(null);
        onAt(iso);
      }}
    >
      <label for="at-time">What ran at</label>
      <input
        id="at-time"
        type="datetime-local"
        step={1}
        value={value}
        onInput={(e) => setValue(e.currentTarget.value)}
        aria-describedby="at-time-hint"
        aria-invalid={error ? true : undefined}
      />
      <button type="submit" class="button">
        Show
      </button>
      {at ? (
        <button type="button" class="button button-quiet" onClick={() => onAt(undefined)}>
          Back to now
        </button>
      ) : null}
      <span id="at-time-hint" class="muted small">
        Your time zone: {timeZoneName()}
      </span>
      {error ? (
        <span class="field-error" role="alert">
          {error}
        </span>
      ) : null}
    </form>
  );
}
