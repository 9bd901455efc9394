import type { ReportProcess } from "@compliance/contract";
import { formatBytes, formatTime } from "../format.ts";
import { SortHeader } from "./sort-header.tsx";

const COLUMNS = [
  { key: "pid", label: "PID", num: true, firstDesc: false, optional: true },
  { key: "name", label: "Name", firstDesc: false },
  { key: "user", label: "User", firstDesc: false },
  { key: "cpu_percent", label: "CPU %", num: true, firstDesc: true },
  { key: "rss_bytes", label: "Memory", num: true, firstDesc: true },
  { key: "started_at", label: "Started", firstDesc: true, optional: true },
] as const;

/** The processes of one execution, sortable by the API; the command line sits under the name. */
export function ProcessTable({
  processes,
  sort,
  onSort,
  busy,
  caption,
}: {
  processes: ReportProcess[];
  sort: string;
  onSort: (sort: string) => void;
  busy: boolean;
  caption: string;
}) {
  return (
    <div class="table-wrap">
      <table class="table table-processes" aria-busy={busy}>
        <caption class="sr-only">{caption}</caption>
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
                class={["num" in c ? "num" : "", "optional" in c ? "opt" : ""].join(" ").trim()}
              />
            ))}
          </tr>
        </thead>
        <tbody>
          {processes.map((p) => (
            <tr key={`${p.pid}:${p.started_at ?? ""}`}>
              <td class="num mono opt">{p.pid}</td>
              <td class="proc-name">
                <span class="strong">{p.name || "—"}</span>
                {p.cmdline ? (
                  <div class="cmdline mono" title={p.cmdline}>
                    {p.cmdline}
                  </div>
                ) : null}
              </td>
              <td>{p.user}</td>
              <td class="num">{p.cpu_percent.toFixed(1)}</td>
              <td class="num">{formatBytes(p.rss_bytes)}</td>
              <td class="opt small" title={p.started_at ?? ""}>
                {p.started_at ? formatTime(p.started_at) : "—"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A short list of processes, for diffs: what matters is which ones. */
export function ProcessList({ processes }: { processes: ReportProcess[] }) {
  return (
    <div class="table-wrap">
      <table class="table table-compact">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" class="num">
              PID
            </th>
            <th scope="col">User</th>
            <th scope="col" class="opt">
              Command line
            </th>
          </tr>
        </thead>
        <tbody>
          {processes.map((p) => (
            <tr key={`${p.pid}:${p.started_at ?? ""}`}>
              <td class="strong">{p.name}</td>
              <td class="num mono">{p.pid}</td>
              <td>{p.user}</td>
              <td class="opt mono small cmdline-cell" title={p.cmdline ?? ""}>
                {p.cmdline ?? ""}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
