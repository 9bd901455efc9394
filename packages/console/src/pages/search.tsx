import type { ProcessSearchHit } from "@compliance/contract";
import { useEffect, useState } from "preact/hooks";
import { ActivityTable } from "../components/activity-table.tsx";
import { Pager } from "../components/pager.tsx";
import { Empty, ErrorNotice, Loading } from "../components/states.tsx";
import { TimeField, ZoneHint } from "../components/time-field.tsx";
import { WindowForm } from "../components/window-form.tsx";
import { formatCount, formatTime, formatTyped, parseTyped } from "../format.ts";
import { useClient, useLoad } from "../hooks.ts";
import { hrefOf, navigate, type Route, withParams } from "../router.ts";

type SearchRoute = Extract<Route, { page: "search" }>;
const PAGE_SIZE = 100;

/**
 * Fleet-wide searches: sessions (who, from where, when: every session lifetime in a window)
 * and processes (which hosts ran it, now or at a time, as whom, with its command line).
 * `what` picks the tab; each keeps its terms in the route.
 */
export function SearchPage({ route }: { route: SearchRoute }) {
  const what = route.params.get("what") === "processes" ? "processes" : "sessions";
  useEffect(() => {
    document.title = "Search · Compliance";
  }, []);
  return (
    <section class="page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Search the fleet</h1>
      </div>
      <nav class="tabs" aria-label="What to search">
        <a
          class="tab"
          href={hrefOf("/search", { what: "sessions" })}
          aria-current={what === "sessions" ? "page" : undefined}
        >
          Sessions
        </a>
        <a
          class="tab"
          href={hrefOf("/search", { what: "processes" })}
          aria-current={what === "processes" ? "page" : undefined}
        >
          Processes
        </a>
      </nav>
      {what === "sessions" ? <SessionSearch route={route} /> : <ProcessSearch route={route} />}
    </section>
  );
}

const text = (data: FormData, name: string) => String(data.get(name) ?? "").trim() || undefined;

function SessionSearch({ route }: { route: SearchRoute }) {
  const client = useClient();
  const p = route.params;
  const from = p.get("from");
  const query = {
    from: from ?? "",
    to: p.get("to") ?? undefined,
    kind: "session" as const,
    user: p.get("user") ?? undefined,
    remote: p.get("remote") ?? undefined,
    limit: PAGE_SIZE,
    offset: Math.max(0, Number(p.get("offset")) || 0),
  };
  const found = useLoad(
    (signal) => (from ? client.get("fleetActivity", { query }, signal) : Promise.resolve(null)),
    [JSON.stringify(query)],
  );
  const key = p.toString();
  return (
    <>
      <WindowForm
        idPrefix="sessions"
        from={from}
        to={p.get("to")}
        submitLabel="Find sessions"
        onWindow={(w, data) =>
          navigate(
            withParams(route, {
              what: "sessions",
              from: w.from,
              to: w.to,
              user: text(data, "user"),
              remote: text(data, "remote"),
              offset: undefined,
            }),
          )
        }
      >
        <div class="field" key={`user:${key}`}>
          <label for="sessions-user">User</label>
          <input
            id="sessions-user"
            name="user"
            defaultValue={p.get("user") ?? ""}
            placeholder="root, or a glob: adm*"
            autoComplete="off"
            spellcheck={false}
          />
        </div>
        <div class="field" key={`remote:${key}`}>
          <label for="sessions-remote">From address</label>
          <input
            id="sessions-remote"
            name="remote"
            defaultValue={p.get("remote") ?? ""}
            placeholder="10.0.0.9, or a range: 10.0.*"
            autoComplete="off"
            spellcheck={false}
          />
        </div>
      </WindowForm>
      {found.status === "error" ? (
        <ErrorNotice error={found.error} onRetry={found.reload} />
      ) : !from ? (
        <Empty title="Who logged in, where, when">
          <p>Type a user (or leave it empty for anyone) and pick a window.</p>
        </Empty>
      ) : !found.data ? (
        <Loading label="Searching sessions" />
      ) : found.data.total === 0 ? (
        <Empty title="No session found">
          <p>No session matches in this window.</p>
        </Empty>
      ) : (
        <div class={found.status === "loading" ? "is-stale" : undefined}>
          <p class="muted" aria-live="polite">
            {formatCount(found.data.total)} sessions from {formatTime(query.from)} to{" "}
            {query.to ? formatTime(query.to) : "now"}
          </p>
          <ActivityTable items={found.data.items} caption="Sessions found" showHost />
          <Pager
            offset={found.data.offset}
            limit={found.data.limit}
            total={found.data.total}
            noun="sessions"
            onPage={(offset) => navigate(withParams(route, { offset: offset || undefined }))}
          />
        </div>
      )}
    </>
  );
}

function ProcessSearch({ route }: { route: SearchRoute }) {
  const client = useClient();
  const p = route.params;
  const name = p.get("name");
  const at = p.get("at");
  const query = {
    name: name ?? "",
    at: at ?? undefined,
    limit: PAGE_SIZE,
    offset: Math.max(0, Number(p.get("offset")) || 0),
  };
  const found = useLoad(
    (signal) => (name ? client.get("searchProcesses", { query }, signal) : Promise.resolve(null)),
    [JSON.stringify(query)],
  );
  const [typedName, setTypedName] = useState(name ?? "");
  const [typedAt, setTypedAt] = useState(at ? formatTyped(Date.parse(at)) : "");
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <form
        class="window-form"
        onSubmit={(e) => {
          e.preventDefault();
          const ms = typedAt.trim() === "" ? null : parseTyped(typedAt);
          if (!typedName.trim()) return setError("Type a process name, or a glob such as post*.");
          if (typedAt.trim() !== "" && ms === null) {
            return setError("Enter the time as YYYY-MM-DD HH:MM:SS, or leave it empty for now.");
          }
          setError(null);
          navigate(
            withParams(route, {
              what: "processes",
              name: typedName.trim(),
              at: ms === null ? undefined : new Date(ms).toISOString(),
              offset: undefined,
            }),
          );
        }}
      >
        <div class="filter-grid">
          <div class="field">
            <label for="processes-name">Process name</label>
            <input
              id="processes-name"
              value={typedName}
              onInput={(e) => setTypedName(e.currentTarget.value)}
              placeholder="nginx, or a glob: post*"
              autoComplete="off"
              spellcheck={false}
            />
          </div>
          <TimeField
            id="processes-at"
            label="At (empty: now)"
            value={typedAt}
            onInput={setTypedAt}
          />
          <div class="field field-actions">
            <button type="submit" class="button">
              Find hosts
            </button>
          </div>
        </div>
        <div class="shortcuts">
          <ZoneHint />
        </div>
        {error ? (
          <p class="field-error" role="alert">
            {error}
          </p>
        ) : null}
      </form>
      {found.status === "error" ? (
        <ErrorNotice error={found.error} onRetry={found.reload} />
      ) : !name ? (
        <Empty title="Which hosts ran a process, when, as whom">
          <p>Type a process name; add a time to ask about the past.</p>
        </Empty>
      ) : !found.data ? (
        <Loading label="Searching processes" />
      ) : found.data.total === 0 ? (
        <Empty title="No host ran it">
          <p>No host {at ? `ran ${name} at ${formatTime(at)}` : `runs ${name} now`}.</p>
        </Empty>
      ) : (
        <div class={found.status === "loading" ? "is-stale" : undefined}>
          <p class="muted" aria-live="polite">
            {formatCount(found.data.total)} hosts{" "}
            {at ? `ran it at ${formatTime(at)}` : "run it now"}
          </p>
          <ProcessHits hits={found.data.items} at={at} />
          <Pager
            offset={found.data.offset}
            limit={found.data.limit}
            total={found.data.total}
            noun="hosts"
            onPage={(offset) => navigate(withParams(route, { offset: offset || undefined }))}
          />
        </div>
      )}
    </>
  );
}

/** Each host, the execution searched, and its matching processes: pid, user, command line. */
function ProcessHits({ hits, at }: { hits: ProcessSearchHit[]; at: string | null }) {
  return (
    <div class="table-wrap">
      <table class="table table-compact">
        <caption class="sr-only">Hosts running the process</caption>
        <thead>
          <tr>
            <th scope="col">Host</th>
            <th scope="col">Process</th>
            <th scope="col" class="num">
              PID
            </th>
            <th scope="col">User</th>
            <th scope="col">Command line</th>
            <th scope="col" class="opt">
              Execution
            </th>
          </tr>
        </thead>
        <tbody>
          {hits.flatMap((h) =>
            h.processes.map((proc, i) => (
              <tr key={`${h.host_id}:${proc.pid}:${proc.started_at ?? ""}`}>
                <td>
                  {i === 0 ? (
                    <a class="host-link" href={hrefOf(`/hosts/${h.host_id}`, at ? { at } : {})}>
                      {h.hostname}
                    </a>
                  ) : null}
                </td>
                <td class="strong">{proc.name}</td>
                <td class="num mono">{proc.pid}</td>
                <td>{proc.user}</td>
                <td class="mono small clip-line">{proc.cmdline ?? "—"}</td>
                <td class="opt nowrap" title={h.collected_at}>
                  {formatTime(h.collected_at)}
                </td>
              </tr>
            )),
          )}
        </tbody>
      </table>
    </div>
  );
}
