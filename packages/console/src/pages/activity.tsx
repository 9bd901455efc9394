import { ACTIVITY_KINDS, type ActivityKind } from "@compliance/contract";
import { useEffect } from "preact/hooks";
import { ActivityTable } from "../components/activity-table.tsx";
import { Pager } from "../components/pager.tsx";
import { Empty, ErrorNotice, Loading } from "../components/states.tsx";
import { WindowForm } from "../components/window-form.tsx";
import { formatCount, formatTime } from "../format.ts";
import { useClient, useLoad } from "../hooks.ts";
import { navigate, type Route, withParams } from "../router.ts";

const PAGE_SIZE = 100;

const kindOf = (k: string | null): ActivityKind | undefined =>
  (ACTIVITY_KINDS as readonly string[]).includes(k ?? "") ? (k as ActivityKind) : undefined;

const text = (data: FormData, name: string) => String(data.get(name) ?? "").trim() || undefined;

/**
 * What happened within a window, fleet-wide or on one host (`host`): every process,
 * session and inventory item that started, ended or lasted through it, with who, from
 * where, when and for how long. Everything is in the route: `from`, `to`, `kind`, `user`,
 * `name`, `remote`, `changed`, `offset`.
 */
export function ActivityPage({ route }: { route: Extract<Route, { page: "activity" }> }) {
  const client = useClient();
  const p = route.params;
  const hostId = Number(p.get("host")) || undefined;
  const from = p.get("from");
  const filter = {
    from: from ?? "",
    to: p.get("to") ?? undefined,
    kind: kindOf(p.get("kind")),
    user: p.get("user") ?? undefined,
    name: p.get("name") ?? undefined,
    remote: p.get("remote") ?? undefined,
    changed: p.get("changed") === "1" ? true : undefined,
    limit: PAGE_SIZE,
    offset: Math.max(0, Number(p.get("offset")) || 0),
  };
  const key = JSON.stringify([hostId, filter]);
  const host = useLoad(
    (signal) =>
      hostId ? client.get("getHost", { params: { id: hostId } }, signal) : Promise.resolve(null),
    [hostId],
  );
  const activity = useLoad(
    (signal) =>
      !from
        ? Promise.resolve(null)
        : hostId
          ? client.get("hostActivity", { params: { id: hostId }, query: filter }, signal)
          : client.get("fleetActivity", { query: filter }, signal),
    [key],
  );
  const where = hostId ? (host.data?.hostname ?? `host ${hostId}`) : "the fleet";

  useEffect(() => {
    document.title = `Activity of ${where} · Compliance`;
  }, [where]);

  return (
    <section class="page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Activity {hostId ? `on ${where}` : "in the fleet"}</h1>
        {hostId ? (
          <a class="button button-quiet" href={withParams(route, { host: undefined })}>
            The whole fleet
          </a>
        ) : null}
      </div>
      <p class="muted">
        Every process, session and inventory item that started, ended or lasted through the window:
        not only what differs between its two ends.
      </p>
      <WindowForm
        idPrefix="activity"
        from={from}
        to={p.get("to")}
        submitLabel="Show activity"
        onWindow={(w, data) =>
          navigate(
            withParams(route, {
              from: w.from,
              to: w.to,
              kind: text(data, "kind"),
              user: text(data, "user"),
              name: text(data, "name"),
              remote: text(data, "remote"),
              changed: data.get("changed") ? "1" : undefined,
              offset: undefined,
            }),
          )
        }
      >
        <Filters params={p} />
      </WindowForm>

      {activity.status === "error" ? (
        <ErrorNotice error={activity.error} onRetry={activity.reload} />
      ) : !from ? (
        <Empty title="Choose a window">
          <p>Type a start (and an end), or pick “Last hour”, “Since yesterday” or “Last 7 days”.</p>
        </Empty>
      ) : !activity.data ? (
        <Loading label="Loading the activity" />
      ) : activity.data.total === 0 ? (
        <Empty title="Nothing in this window">
          <p>No lifetime matches these filters between these times.</p>
        </Empty>
      ) : (
        <div class={activity.status === "loading" ? "is-stale" : undefined}>
          <p class="muted" aria-live="polite">
            {formatCount(activity.data.total)} on {where} from {formatTime(filter.from)} to{" "}
            {filter.to ? formatTime(filter.to) : "now"}
          </p>
          <ActivityTable
            items={activity.data.items}
            caption={`What started, ended or lasted in the window on ${where}`}
            showHost={!hostId}
          />
          <Pager
            offset={activity.data.offset}
            limit={activity.data.limit}
            total={activity.data.total}
            noun="lifetimes"
            onPage={(offset) => navigate(withParams(route, { offset: offset || undefined }))}
          />
        </div>
      )}
    </section>
  );
}

function Filters({ params }: { params: URLSearchParams }) {
  const key = params.toString();
  return (
    <>
      <div class="field" key={`kind:${key}`}>
        <label for="activity-kind">Kind</label>
        <select id="activity-kind" name="kind" defaultValue={params.get("kind") ?? ""}>
          <option value="">Everything</option>
          <option value="process">Processes</option>
          <option value="session">Sessions</option>
          <option value="package">Packages</option>
          <option value="listening">Listening sockets</option>
          <option value="account">Accounts</option>
          <option value="service">Services</option>
        </select>
      </div>
      {(
        [
          ["user", "User", "root, or a glob: adm*"],
          ["name", "Name", "sshd, or a glob: post*"],
          ["remote", "Session from", "an address or 10.0.0.*"],
        ] as const
      ).map(([name, label, hint]) => (
        <div class="field" key={`${name}:${key}`}>
          <label for={`activity-${name}`}>{label}</label>
          <input
            id={`activity-${name}`}
            name={name}
            defaultValue={params.get(name) ?? ""}
            placeholder={hint}
            autoComplete="off"
            spellcheck={false}
          />
        </div>
      ))}
      <div class="field field-check" key={`changed:${key}`}>
        <label>
          <input type="checkbox" name="changed" defaultChecked={params.get("changed") === "1"} />{" "}
          Only what started or ended
        </label>
      </div>
    </>
  );
}
