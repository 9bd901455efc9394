import { AUDIT_ACTIONS, type AuditAction, type AuditEntry } from "@compliance/contract";
import { formatTime } from "../format.ts";
import { useClient, useLoad } from "../hooks.ts";
import { navigate, type Route, withParams } from "../router.ts";
import { Pager } from "./pager.tsx";
import { SearchField } from "./search-field.tsx";
import { ErrorNotice, Loading } from "./states.tsx";

const PAGE_SIZE = 50;

const actionOf = (s: string | null): AuditAction | undefined => AUDIT_ACTIONS.find((a) => a === s);

/** The audit trail of admin actions, newest first, filtered by action and actor. */
export function AdminAudit({ route }: { route: Route }) {
  const client = useClient();
  const p = route.params;
  const query = {
    action: actionOf(p.get("action")),
    actor: p.get("actor") || undefined,
    limit: PAGE_SIZE,
    offset: Math.max(0, Number(p.get("offset")) || 0),
  };
  const audit = useLoad(
    (signal) => client.get("listAudit", { query }, signal),
    [JSON.stringify(query)],
  );
  const set = (changes: Record<string, string | undefined>, replace = false) =>
    navigate(withParams(route, { ...changes, offset: undefined }), replace);

  return (
    <section class="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit trail</h2>
      <div class="filter-grid">
        <div class="field">
          <label for="audit-action">Action</label>
          <select
            id="audit-action"
            value={query.action ?? ""}
            onChange={(e) => set({ action: e.currentTarget.value || undefined })}
          >
            <option value="">Any</option>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <SearchField
          id="audit-actor"
          label="Actor"
          placeholder="token name, token:<id>, admin-token, cli…"
          value={query.actor ?? ""}
          onSearch={(actor) => set({ actor: actor || undefined }, true)}
        />
      </div>
      {audit.status === "error" ? (
        <ErrorNotice error={audit.error} onRetry={audit.reload} />
      ) : !audit.data ? (
        <Loading label="Loading the audit trail" />
      ) : audit.data.total === 0 ? (
        <p class="muted">
          No admin action recorded{query.action || query.actor ? " matches" : ""}.
        </p>
      ) : (
        <div class={audit.status === "loading" ? "is-stale" : undefined}>
          <AuditTable entries={audit.data.items} />
          <Pager
            offset={audit.data.offset}
            limit={audit.data.limit}
            total={audit.data.total}
            noun="actions"
            onPage={(o) => navigate(withParams(route, { offset: o || undefined }))}
          />
        </div>
      )}
    </section>
  );
}

function AuditTable({ entries }: { entries: AuditEntry[] }) {
  return (
    <div class="table-wrap">
      <table class="table table-audit">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id}>
              <td class="nowrap">{formatTime(e.at)}</td>
              <td>
                {e.actor_name ?? e.actor}
                {e.actor_name ? <div class="muted small">{e.actor}</div> : null}
              </td>
              <td class="mono">{e.action}</td>
              <td class="mono">{e.target ?? "—"}</td>
              <td class="mono small">
                {Object.keys(e.details).length ? JSON.stringify(e.details) : "—"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
