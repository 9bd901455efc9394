import type { Diff, Host } from "@compliance/contract";
import { useClient, useLoad } from "../hooks.ts";
import { inventoryParts, unknownParts } from "./diff-inventory.tsx";
import { Chip, type Count, Part } from "./diff-parts.tsx";
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
  const inventory = inventoryParts(diff);
  const counts = [...coreCounts(diff), ...inventory];
  const unknown = unknownParts(diff);
  const nothing = counts.every((c) => c.n === 0);
  return (
    <>
      <ul class="chips" aria-label="Summary of changes">
        {counts.map((c, i) =>
          // Processes, sessions and facts always show, zero or not; the inventory when it moved.
          i < CORE_COUNTS || c.n > 0 ? (
            <Chip
              key={`${c.one} ${c.verb}`}
              tone={c.tone}
              n={c.n}
              one={c.one}
              many={c.many}
              verb={c.verb}
            />
          ) : null,
        )}
      </ul>
      {unknown.length > 0 ? (
        <div class="notice notice-warn" role="note">
          <strong>Not collected on one side.</strong> One of the two executions did not collect the{" "}
          {unknown.join(", ")}: whether they changed is unknown.
        </div>
      ) : null}
      {nothing ? (
        <p class="muted">
          {unknown.length > 0
            ? "Nothing changed in what both executions collected."
            : "Nothing changed: the same processes ran, the same sessions were open and the inventory stayed the same."}
        </p>
      ) : null}
      <ProcessChanges processes={diff.processes} />
      <Part title="Sessions opened" tone="plus" id="diff-opened" show={!!diff.sessions.opened[0]}>
        <SessionTable sessions={diff.sessions.opened} caption="Sessions opened" />
      </Part>
      <Part title="Sessions closed" tone="minus" id="diff-closed" show={!!diff.sessions.closed[0]}>
        <SessionTable sessions={diff.sessions.closed} caption="Sessions closed" />
      </Part>
      <FactChanges facts={diff.facts} />
      {inventory.map((p) => p.node)}
    </>
  );
}

/** How many of the summary's counts are about processes, sessions and facts. */
const CORE_COUNTS = 6;

function coreCounts({ processes, sessions, facts }: Diff): Count[] {
  const p = { one: "process", many: "processes" };
  const s = { one: "session", many: "sessions" };
  return [
    { tone: "plus", n: processes.started.length, ...p, verb: "started" },
    { tone: "minus", n: processes.ended.length, ...p, verb: "ended" },
    { tone: "change", n: processes.changed.length, ...p, verb: "changed" },
    { tone: "plus", n: sessions.opened.length, ...s, verb: "opened" },
    { tone: "minus", n: sessions.closed.length, ...s, verb: "closed" },
    { tone: "change", n: facts.length, one: "fact", many: "facts", verb: "changed" },
  ];
}

function ProcessChanges({ processes }: { processes: Diff["processes"] }) {
  return (
    <>
      <Part title="Processes started" tone="plus" id="diff-started" show={!!processes.started[0]}>
        <ProcessList processes={processes.started} />
      </Part>
      <Part title="Processes ended" tone="minus" id="diff-ended" show={!!processes.ended[0]}>
        <ProcessList processes={processes.ended} />
      </Part>
      <Part title="Processes changed" tone="change" id="diff-changed" show={!!processes.changed[0]}>
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
    </>
  );
}

function FactChanges({ facts }: { facts: Diff["facts"] }) {
  return (
    <Part title="Facts changed" tone="change" id="diff-facts" show={facts.length > 0}>
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
  );
}

function show(v: unknown): string {
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "string") return v;
  if (typeof v === "number") return v.toLocaleString("en-US");
  if (Array.isArray(v) && v.every((x) => typeof x !== "object")) return v.join(", ");
  return JSON.stringify(v);
}
