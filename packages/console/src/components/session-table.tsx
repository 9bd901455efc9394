import type { ReportSession } from "@compliance/contract";
import { formatTime } from "../format.ts";

/** Who had a session open. */
export function SessionTable({
  sessions,
  caption,
}: {
  sessions: ReportSession[];
  caption: string;
}) {
  return (
    <div class="table-wrap">
      <table class="table table-compact">
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Terminal</th>
            <th scope="col">From</th>
            <th scope="col">Since</th>
            <th scope="col" class="num opt">
              PID
            </th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={`${s.user}:${s.terminal}:${s.started_at ?? ""}:${s.pid ?? ""}`}>
              <td class="strong">{s.user}</td>
              <td class="mono">{s.terminal || "—"}</td>
              <td class="mono">{s.remote_host || "local"}</td>
              <td title={s.started_at ?? ""}>{s.started_at ? formatTime(s.started_at) : "—"}</td>
              <td class="num mono opt">{s.pid ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
