import type { ActivityItem } from "@compliance/contract";
import { formatTime } from "../format.ts";
import { hrefOf } from "../router.ts";
import { TableWrap } from "./table-wrap.tsx";

const KIND_LABELS: Record<ActivityItem["kind"], string> = {
  process: "Process",
  session: "Session",
  package: "Package",
  listening: "Listening socket",
  account: "Account",
  service: "Service",
  sysctl: "Kernel parameter",
  sshd: "sshd option",
  file: "File mode",
};

/** How long something lasted, from the executions that saw it: "3 h 3 min". */
export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return "under a minute";
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  return [days ? `${days} d` : "", hours ? `${hours} h` : "", rest ? `${rest} min` : ""]
    .filter(Boolean)
    .join(" ");
}

/**
 * How long it lasted as the executions bound it: at least from first to last seen, at most
 * until the first execution without it.
 */
function lastedOf(item: ActivityItem): string {
  const first = Date.parse(item.first_seen_at);
  if (!item.last_seen_at) return `so far ${formatDuration(Date.now() - first)}`;
  const least = formatDuration(Date.parse(item.last_seen_at) - first);
  if (!item.gone_at) return `at least ${least}`;
  return `${least} to ${formatDuration(Date.parse(item.gone_at) - first)}`;
}

/** Whether it began, ended, both or neither within the window, in words. */
function changeOf(item: ActivityItem): string {
  if (item.started && item.ended) return "started and ended";
  if (item.started) return "started";
  if (item.ended) return "ended";
  return "throughout";
}

/** What the item is, in one line: who ran what, who came from where. */
function whatOf(item: ActivityItem) {
  if (item.kind === "process") {
    return (
      <>
        <span class="strong">{item.name}</span> <span class="muted">as</span> {item.user}{" "}
        <span class="muted mono">pid {item.pid}</span>
        {item.cmdline ? <div class="mono small clip-line">{item.cmdline}</div> : null}
      </>
    );
  }
  if (item.kind === "session") {
    return (
      <>
        <span class="strong">{item.user}</span> <span class="muted">on</span>{" "}
        <span class="mono">{item.terminal}</span> <span class="muted">from</span>{" "}
        <span class="mono">{item.remote_host || "local"}</span>
      </>
    );
  }
  return (
    <>
      <span class="strong">{item.name}</span>
      {item.number !== undefined ? <span class="mono"> {item.number}</span> : null}
      {item.version ? <span class="muted"> {item.version}</span> : null}
    </>
  );
}

/**
 * Lifetimes within a window: what, where, seen from when to when, gone by when, how long.
 * Each host links to its page at the time the item was first seen.
 */
export function ActivityTable({
  items,
  caption,
  showHost,
}: {
  items: ActivityItem[];
  caption: string;
  showHost: boolean;
}) {
  return (
    <TableWrap label={caption}>
      <table class="table table-compact table-activity">
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">What</th>
            {showHost ? <th scope="col">Host</th> : null}
            <th scope="col">First seen</th>
            <th scope="col">Last seen</th>
            <th scope="col" class="opt">
              Gone by
            </th>
            <th scope="col">Lasted</th>
            <th scope="col" class="opt">
              In the window
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => {
            return (
              <tr
                key={`${item.kind}:${item.host_id}:${item.first_seen_at}:${item.name}:${item.pid ?? ""}:${item.terminal ?? ""}:${item.number ?? ""}`}
              >
                <td>
                  <span class="muted small">{KIND_LABELS[item.kind]}</span>
                  <div>{whatOf(item)}</div>
                </td>
                {showHost ? (
                  <td>
                    <a
                      class="host-link"
                      href={hrefOf(`/hosts/${item.host_id}`, { at: item.first_seen_at })}
                    >
                      {item.hostname}
                    </a>
                  </td>
                ) : null}
                <td class="nowrap" title={item.first_seen_at}>
                  {formatTime(item.first_seen_at)}
                </td>
                <td class="nowrap" title={item.last_seen_at ?? ""}>
                  {item.last_seen_at ? formatTime(item.last_seen_at) : "still there"}
                </td>
                <td class="nowrap opt" title={item.gone_at ?? ""}>
                  {item.gone_at ? formatTime(item.gone_at) : "—"}
                </td>
                <td class="nowrap">{lastedOf(item)}</td>
                <td class="opt">{changeOf(item)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableWrap>
  );
}
