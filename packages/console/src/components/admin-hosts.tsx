import type { Host } from "@compliance/contract";
import { useState } from "preact/hooks";
import { formatTime } from "../format.ts";
import { useClient, useLoad } from "../hooks.ts";
import { navigate, type Route, withParams } from "../router.ts";
import { ConfirmDialog } from "./confirm-dialog.tsx";
import { Pager } from "./pager.tsx";
import { SearchField } from "./search-field.tsx";
import { ErrorNotice, Loading } from "./states.tsx";

const PAGE_SIZE = 50;

type Action = { kind: "delete" | "revoke"; host: Host };

/** Hosts an admin can delete (with their history) or cut off (revoke the node key). */
export function AdminHosts({ route }: { route: Route }) {
  const client = useClient();
  const q = route.params.get("q") ?? "";
  const offset = Math.max(0, Number(route.params.get("offset")) || 0);
  const hosts = useLoad(
    (signal) =>
      client.get("listHosts", { query: { q, limit: PAGE_SIZE, offset, sort: "hostname" } }, signal),
    [q, offset],
  );
  const [action, setAction] = useState<Action | null>(null);
  const [done, setDone] = useState("");

  return (
    <section class="card" aria-labelledby="admin-hosts-title">
      <h2 id="admin-hosts-title">Hosts</h2>
      <SearchField
        id="admin-host-search"
        label="Find a host"
        placeholder="Hostname, IP, OS…"
        value={q}
        delayMs={250}
        onSearch={(v) => navigate(withParams(route, { q: v, offset: undefined }), true)}
      />
      <p class="muted" role="status">
        {done}
      </p>
      {hosts.status === "error" ? (
        <ErrorNotice error={hosts.error} onRetry={hosts.reload} />
      ) : !hosts.data ? (
        <Loading label="Loading hosts" />
      ) : (
        <>
          <HostActions hosts={hosts.data.items} onAction={setAction} />
          <Pager
            offset={hosts.data.offset}
            limit={hosts.data.limit}
            total={hosts.data.total}
            noun="hosts"
            onPage={(o) => navigate(withParams(route, { offset: o || undefined }))}
          />
        </>
      )}
      {action ? (
        <ActionDialog
          action={action}
          onDone={(message) => {
            setDone(message);
            hosts.reload();
          }}
          onClose={() => setAction(null)}
        />
      ) : null}
    </section>
  );
}

function HostActions({ hosts, onAction }: { hosts: Host[]; onAction: (a: Action) => void }) {
  if (hosts.length === 0) return <p class="muted">No host matches.</p>;
  return (
    <div class="table-wrap">
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Host</th>
            <th scope="col">Last report</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {hosts.map((h) => {
            const name = h.hostname || h.identifier;
            return (
              <tr key={h.id}>
                <td>
                  <a href={`#/hosts/${h.id}`} class="host-name" title={name}>
                    {name}
                  </a>
                </td>
                <td>{h.last_seen_at ? formatTime(h.last_seen_at) : "never"}</td>
                <td class="row-actions">
                  <button
                    type="button"
                    class="button button-quiet"
                    aria-label={`Revoke key of ${name}`}
                    onClick={() => onAction({ kind: "revoke", host: h })}
                  >
                    Revoke key
                  </button>
                  <button
                    type="button"
                    class="button button-quiet"
                    aria-label={`Delete ${name}`}
                    onClick={() => onAction({ kind: "delete", host: h })}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function ActionDialog({
  action,
  onDone,
  onClose,
}: {
  action: Action;
  onDone: (message: string) => void;
  onClose: () => void;
}) {
  const client = useClient();
  const name = action.host.hostname || action.host.identifier;
  const params = { id: action.host.id };
  if (action.kind === "delete") {
    return (
      <ConfirmDialog
        title={`Delete the host ${name}?`}
        confirmLabel={`Delete ${name}`}
        onConfirm={async () => {
          await client.send("deleteHost", { params });
          onDone(`${name} was deleted with its history.`);
        }}
        onClose={onClose}
      >
        <p>
          Its whole history ({action.host.executions} executions) is deleted and its node key stops
          working. If its agent still runs, it enrolls again as a new host.
        </p>
      </ConfirmDialog>
    );
  }
  return (
    <ConfirmDialog
      title={`Revoke the key of ${name}?`}
      confirmLabel={`Revoke the key of ${name}`}
      onConfirm={async () => {
        await client.send("revokeHostKey", { params });
        onDone(`The key of ${name} was revoked: it must enroll again to report.`);
      }}
      onClose={onClose}
    >
      <p>Its history stays. Its agent is refused until it enrolls again with the enroll secret.</p>
    </ConfirmDialog>
  );
}
