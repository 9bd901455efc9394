import type { Diff, Host } from "@compliance/contract";
import type { ComponentChildren } from "preact";
import { formatCount } from "../format.ts";
import { useClient, useLoad } from "../hooks.ts";
import { ProcessList } from "./process-table.tsx";
import { SessionTable } from "./session-table.tsx";
import { ErrorNotice, Loading } from "./states.tsx";
import { Time } from "./time.tsx";

/** What changed between two executions, A (earlier) and B (later). */
export function DiffPanel({
  host,
  from,
  to,
  onShow,
  onClear,
}: {
  host: Host;
  from: string;
  to: string;
  onShow: (reportId: string) => void;
  onClear: () => void;
}) {
  const client = useClient();
  const diff = useLoad(
    (signal) => client.get("hostDiff", { params: { id: host.id }, query: { from, to } }, signal),
    [host.id, from, to],
  );
  const d = diff.data;

  return (
    <section class="card diff" aria-labelledby="diff-title" aria-busy={diff.status === "loading"}>
      <div class="card-head">
        <div>
          <h2 id="diff-title">What changed from A to B</h2>
          {d ? (
            <p class="muted small">
              <span class="pin-label">A</span> <Time iso={d.from.collected_at} /> →{" "}
              <span class="pin-label">B</span> <Time iso={d.to.collected_at} />
            </p>
          ) : null}
        </div>
        <div class="card-actions">
          <button type="button" class="button button-quiet" onClick={() => onShow(from)}>
            Show A
          </button>
          <button type="button" class="button button-quiet" onClick={() => onShow(to)}>
            Show B
          </button>
          <button type="button" class="button" onClick={onClear}>
            Clear comparison
          </button>
        </div>
      </div>
      {diff.status === "error" ? (
        <ErrorNotice error={diff.error} onRetry={diff.reload} />
      ) : !d ? (
        <Loading label="Comparing the two executions" />
      ) : (
        <DiffBody diff={d} />
      )}
    </section>
  );
}

function DiffBody({ diff }: { diff: Diff }) {
  const { processes, sessions, facts } = diff;
  const nothing =
    processes.started.length +
      processes.ended.length +
      processes.changed.length +
      sessions.opened.length +
      sessions.closed.length +
      facts.length ===
    0;
  return (
    <>
      <ul class="chips" aria-label="Summary of changes">
        <Chip
          tone="plus"
          n={processes.started.length}
          one="process"
          many="processes"
          verb="started"
        />
        <Chip tone="minus" n={processes.ended.length} one="process" many="processes" verb="ended" />
        <Chip
          tone="change"
          n={processes.changed.length}
          one="process"
          many="processes"
          verb="changed"
        />
        <Chip tone="plus" n={sessions.opened.length} one="session" many="sessions" verb="opened" />
        <Chip tone="minus" n={sessions.closed.length} one="session" many="sessions" verb="closed" />
        <Chip tone="change" n={facts.length} one="fact" many="facts" verb="changed" />
      </ul>
      {nothing ? (
        <p class="muted">
          Nothing changed: the same processes ran and the same sessions were open.
        </p>
      ) : null}
      {processes.started.length > 0 ? (
        <Part title="Processes started" tone="plus" id="diff-started">
          <ProcessList processes={processes.started} />
        </Part>
      ) : null}
      {processes.ended.length > 0 ? (
        <Part title="Processes ended" tone="minus" id="diff-ended">
          <ProcessList processes={processes.ended} />
        </Part>
      ) : null}
      {processes.changed.length > 0 ? (
        <Part title="Processes changed" tone="change" id="diff-changed">
          <div class="table-wrap">
            <table class="table table-compact">
              <thead>
                <tr>
                  <th scope="col" class="num">
                    PID
                  </th>
                  <th scope="col">Before</th>
                  <th scope="col">After</th>
                </tr>
              </thead>
              <tbody>
                {processes.changed.map(({ before, after }) => (
                  <tr key={after.pid}>
                    <td class="num mono">{after.pid}</td>
                    <td>
                      <span class="strong">{before.name}</span> ({before.user})
                      <div class="mono small cmdline">{before.cmdline ?? ""}</div>
                    </td>
                    <td>
                      <span class="strong">{after.name}</span> ({after.user})
                      <div class="mono small cmdline">{after.cmdline ?? ""}</div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Part>
      ) : null}
      {sessions.opened.length > 0 ? (
        <Part title="Sessions opened" tone="plus" id="diff-opened">
          <SessionTable sessions={sessions.opened} caption="Sessions opened" />
        </Part>
      ) : null}
      {sessions.closed.length > 0 ? (
        <Part title="Sessions closed" tone="minus" id="diff-closed">
          <SessionTable sessions={sessions.closed} caption="Sessions closed" />
        </Part>
      ) : null}
      {facts.length > 0 ? (
        <Part title="Facts changed" tone="change" id="diff-facts">
          <div class="table-wrap">
            <table class="table table-compact">
              <thead>
                <tr>
                  <th scope="col">Fact</th>
                  <th scope="col">Before</th>
                  <th scope="col">After</th>
                </tr>
              </thead>
              <tbody>
                {facts.map((f) => (
                  <tr key={f.field}>
                    <td class="mono">{f.field}</td>
                    <td class="minus-text">{show(f.before)}</td>
                    <td class="plus-text">{show(f.after)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Part>
      ) : null}
    </>
  );
}

function show(v: unknown): string {
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "string") return v;
  if (typeof v === "number") return v.toLocaleString("en-US");
  if (Array.isArray(v) && v.every((x) => typeof x !== "object")) return v.join(", ");
  return JSON.stringify(v);
}

function Chip({
  tone,
  n,
  one,
  many,
  verb,
}: {
  tone: "plus" | "minus" | "change";
  n: number;
  one: string;
  many: string;
  verb: string;
}) {
  return (
    <li class={`chip chip-${n > 0 ? tone : "zero"}`}>
      <strong>{formatCount(n)}</strong> {n === 1 ? one : many} {verb}
    </li>
  );
}

function Part({
  title,
  tone,
  id,
  children,
}: {
  title: string;
  tone: "plus" | "minus" | "change";
  id: string;
  children: ComponentChildren;
}) {
  return (
    <section class={`diff-part diff-${tone}`} aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      {children}
    </section>
  );
}
