import type { Execution } from "@compliance/contract";
import { useState } from "preact/hooks";
import { formatCount, formatPercent, plural } from "../format.ts";
import { Pager } from "./pager.tsx";
import { Time } from "./time.tsx";

const PAGE = 25;

/**
 * The timeline's executions as a table, newest first: the same picking as the chart, for
 * screen readers and for fingers on a small screen where chart columns are too thin.
 */
export function ExecutionList({
  executions,
  selected,
  onPick,
}: {
  executions: Execution[];
  selected: string[];
  onPick: (reportId: string) => void;
}) {
  const [offset, setOffset] = useState(0);
  const newestFirst = executions.slice().reverse();
  const page = newestFirst.slice(offset, offset + PAGE);
  return (
    <details class="execution-list">
      <summary>Executions as a list</summary>
      <div class="table-wrap">
        <table class="table table-compact">
          <caption class="sr-only">
            Executions, newest first; check one to see it, two to compare
          </caption>
          <thead>
            <tr>
              <th scope="col">Pick</th>
              <th scope="col">Collected</th>
              <th scope="col" class="num">
                Processes
              </th>
              <th scope="col" class="num">
                Sessions
              </th>
              <th scope="col" class="num opt">
                CPU
              </th>
              <th scope="col">Changes</th>
            </tr>
          </thead>
          <tbody>
            {page.map((e) => (
              <tr
                key={e.report_id}
                class={selected.includes(e.report_id) ? "row-picked" : undefined}
              >
                <td>
                  <input
                    type="checkbox"
                    checked={selected.includes(e.report_id)}
                    onChange={() => onPick(e.report_id)}
                    aria-label={`Pick the execution collected ${e.collected_at}`}
                  />
                </td>
                <td>
                  <Time iso={e.collected_at} />
                </td>
                <td class="num">
                  {e.processes_known === false ? "?" : formatCount(e.process_count)}
                </td>
                <td class="num">{e.sessions_known ? formatCount(e.session_count) : "?"}</td>
                <td class="num opt">
                  {e.cpu_usage_known === false ? "unknown" : formatPercent(e.cpu_usage_percent)}
                </td>
                <td class="small">
                  <ChangesCell changes={e.changes} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager
        offset={offset}
        limit={PAGE}
        total={newestFirst.length}
        noun="executions"
        onPage={setOffset}
      />
    </details>
  );
}

/** What an execution changed against the one before, in short. */
function ChangesCell({ changes: c }: { changes: Execution["changes"] }) {
  if (!c) return <span class="muted">first</span>;
  const inventory = c.inventory_changed ?? 0;
  if (
    !c.processes_started &&
    !c.processes_ended &&
    !c.sessions_opened &&
    !c.sessions_closed &&
    !c.facts_changed &&
    !inventory
  ) {
    return <span class="muted">none</span>;
  }
  return (
    <>
      {c.processes_started ? <span class="plus-text">+{c.processes_started} </span> : null}
      {c.processes_ended ? <span class="minus-text">−{c.processes_ended} </span> : null}
      {c.sessions_opened || c.sessions_closed ? (
        <span>
          sessions +{c.sessions_opened}/−{c.sessions_closed}{" "}
        </span>
      ) : null}
      {c.facts_changed ? <span>{c.facts_changed} facts </span> : null}
      {inventory ? <span>{plural(inventory, "inventory change")}</span> : null}
    </>
  );
}
