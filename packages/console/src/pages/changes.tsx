import type { Change } from "@compliance/contract";
import { useEffect, useRef, useState } from "preact/hooks";
import type { ApiClient, RequestError } from "../api.ts";
import { Pager } from "../components/pager.tsx";
import { Empty, ErrorNotice, Loading } from "../components/states.tsx";
import { DAY_MS, HOUR_MS } from "../components/time-field.tsx";
import { formatTime, plural } from "../format.ts";
import { useClient } from "../hooks.ts";
import { hrefOf, navigate, type Route, withParams } from "../router.ts";

const PAGE_SIZE = 50;
/** How often the feed asks for what is new. */
const POLL_MS = 10_000;
/** The most changes kept in the page: the newest. */
const KEEP = 5000;
const PERIODS = [
  { value: "hour", label: "Last hour", ms: HOUR_MS },
  { value: "day", label: "Since yesterday", ms: DAY_MS },
  { value: "week", label: "Last 7 days", ms: 7 * DAY_MS },
  { value: "all", label: "Everything kept", ms: Number.POSITIVE_INFINITY },
] as const;
const KINDS = [
  { value: "processes", label: "Processes" },
  { value: "sessions", label: "Sessions" },
  { value: "facts", label: "Facts" },
  { value: "policies", label: "Policy status" },
] as const;

interface Feed {
  /** Newest first. */
  items: Change[];
  cursor: string;
  asOf: number;
}

/** Reads the feed from `since` to its end, newest first, the newest KEEP. */
async function readFeed(
  client: ApiClient,
  since: string,
): Promise<{ items: Change[]; cursor: string }> {
  let cursor = since;
  let items: Change[] = [];
  for (;;) {
    const page = await client.get("changes", { query: { since: cursor, limit: 500 } });
    items = [...page.items.reverse(), ...items].slice(0, KEEP);
    const moved = page.next_cursor !== cursor;
    cursor = page.next_cursor;
    if (!page.has_more || !moved) return { items, cursor };
  }
}

/**
 * The feed of changes over the fleet, newest first, kept live: new changes are asked for
 * every few seconds. While the person reads further down or on another page, the new ones
 * wait behind a button, so nothing moves under their eyes.
 */
function useLiveFeed(client: ApiClient, holdNew: boolean) {
  const [feed, setFeed] = useState<Feed | null>(null);
  const [pending, setPending] = useState<Change[]>([]);
  const [error, setError] = useState<RequestError | null>(null);
  const hold = useRef(holdNew);
  hold.current = holdNew;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let cursor = "0";
    const round = async () => {
      try {
        const got = await readFeed(client, cursor);
        if (stopped) return;
        cursor = got.cursor;
        setError(null);
        if (hold.current && got.items.length > 0) setPending((p) => [...got.items, ...p]);
        setFeed((f) => ({
          items:
            f === null || !hold.current
              ? [...got.items, ...(f?.items ?? [])].slice(0, KEEP)
              : f.items,
          cursor,
          asOf: Date.now(),
        }));
      } catch (e) {
        if (!stopped) setError(e as RequestError);
      }
      if (!stopped) timer = setTimeout(round, POLL_MS);
    };
    round();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client]);
  const showPending = () => {
    setFeed((f) => (f ? { ...f, items: [...pending, ...f.items].slice(0, KEEP) } : f));
    setPending([]);
  };
  return { feed, pending, error, showPending };
}

const matchesKind = (c: Change, kind: string | null) => {
  if (!kind) return true;
  if (kind === "processes") {
    const p = c.processes;
    return p.started.length + p.ended.length + p.changed.length > 0;
  }
  if (kind === "sessions") return c.sessions.opened.length + c.sessions.closed.length > 0;
  if (kind === "facts") return c.facts.length > 0;
  return (c.policies?.length ?? 0) > 0;
};

export function ChangesPage({ route }: { route: Extract<Route, { page: "changes" }> }) {
  const client = useClient();
  const p = route.params;
  const offset = Math.max(0, Number(p.get("offset")) || 0);
  const period = PERIODS.find((x) => x.value === p.get("period")) ?? PERIODS[1];
  const kind = p.get("kind");
  const hostText = (p.get("host") ?? "").toLowerCase();
  const [scrolled, setScrolled] = useState(false);
  useEffect(() => {
    document.title = "Changes · Compliance";
    const onScroll = () => setScrolled(window.scrollY > 80);
    window.addEventListener("scroll", onScroll, { passive: true });
    return () => window.removeEventListener("scroll", onScroll);
  }, []);
  const { feed, pending, error, showPending } = useLiveFeed(client, scrolled || offset > 0);
  const since = feed ? feed.asOf - period.ms : 0;
  const shown = (feed?.items ?? []).filter(
    (c) =>
      Date.parse(c.collected_at) >= since &&
      matchesKind(c, kind) &&
      (!hostText || c.hostname.toLowerCase().includes(hostText)),
  );
  const set = (changes: Record<string, string | undefined>) =>
    navigate(withParams(route, { ...changes, offset: undefined }), true);
  return (
    <section class="page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Changes in the fleet</h1>
        {feed ? (
          <span class="muted" aria-live="polite">
            Data as of {formatTime(new Date(feed.asOf).toISOString())}, refreshed every{" "}
            {POLL_MS / 1000} s
          </span>
        ) : null}
      </div>
      <div class="filter-grid">
        <div class="field">
          <label for="changes-period">Period</label>
          <select
            id="changes-period"
            value={period.value}
            onChange={(e) => set({ period: e.currentTarget.value })}
          >
            {PERIODS.map((x) => (
              <option key={x.value} value={x.value}>
                {x.label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="changes-kind">What changed</label>
          <select
            id="changes-kind"
            value={kind ?? ""}
            onChange={(e) => set({ kind: e.currentTarget.value || undefined })}
          >
            <option value="">Anything</option>
            {KINDS.map((x) => (
              <option key={x.value} value={x.value}>
                {x.label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="changes-host">Host</label>
          <input
            id="changes-host"
            defaultValue={p.get("host") ?? ""}
            placeholder="hostname contains"
            autoComplete="off"
            spellcheck={false}
            onInput={(e) => set({ host: e.currentTarget.value.trim() || undefined })}
          />
        </div>
      </div>
      {pending.length > 0 ? (
        <button type="button" class="button" onClick={showPending}>
          Show {plural(pending.length, "new change")}
        </button>
      ) : null}
      {error ? <ErrorNotice error={error} /> : null}
      {!feed ? (
        error ? null : (
          <Loading label="Loading the changes" />
        )
      ) : error ? null : shown.length === 0 ? (
        <Empty title="No change">
          <p>Nothing changed in this period with these filters.</p>
        </Empty>
      ) : (
        <>
          <ol class="change-feed">
            {shown.slice(offset, offset + PAGE_SIZE).map((c) => (
              <ChangeItem key={c.cursor} change={c} />
            ))}
          </ol>
          <Pager
            offset={offset}
            limit={PAGE_SIZE}
            total={shown.length}
            noun="changes"
            onPage={(o) => navigate(withParams(route, { offset: o || undefined }))}
          />
        </>
      )}
    </section>
  );
}

const names = (items: { name?: string; user?: string; remote_host?: string }[], max = 8) => {
  const list = items
    .slice(0, max)
    .map((x) => x.name ?? `${x.user}${x.remote_host ? ` from ${x.remote_host}` : ""}`);
  return list.join(", ") + (items.length > max ? ` and ${items.length - max} more` : "");
};

function ChangeItem({ change: c }: { change: Change }) {
  const lines: [string, string][] = [];
  if (c.first)
    lines.push(["First report", `${plural(c.processes.started.length, "process", "processes")}`]);
  else {
    if (c.processes.started.length) lines.push(["Started", names(c.processes.started)]);
    if (c.processes.ended.length) lines.push(["Ended", names(c.processes.ended)]);
    if (c.processes.changed.length)
      lines.push(["Changed", names(c.processes.changed.map((x) => x.after))]);
  }
  if (!c.sessions.known) lines.push(["Sessions", "unknown"]);
  if (c.sessions.opened.length)
    lines.push([
      "Logged in",
      names(c.sessions.opened.map((s) => ({ user: s.user, remote_host: s.remote_host }))),
    ]);
  if (c.sessions.closed.length)
    lines.push([
      "Logged out",
      names(c.sessions.closed.map((s) => ({ user: s.user, remote_host: s.remote_host }))),
    ]);
  if (c.facts.length) lines.push(["Facts", c.facts.map((f) => f.field).join(", ")]);
  for (const x of c.policies ?? [])
    lines.push(["Policy", `${x.policy_id}: ${x.before ?? "new"} → ${x.after}`]);
  return (
    <li class="change-item">
      <div class="change-head">
        <a class="host-link" href={hrefOf(`/hosts/${c.host_id}`, { sel: c.report_id })}>
          {c.hostname}
        </a>{" "}
        <span class="muted nowrap" title={c.collected_at}>
          {formatTime(c.collected_at)}
        </span>
      </div>
      <dl class="change-lines">
        {lines.map(([label, value], i) => (
          <div key={`${i}:${label}`}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </li>
  );
}
