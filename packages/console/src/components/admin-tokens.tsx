import type { AnswerOf, Token } from "@compliance/contract";
import { useState } from "preact/hooks";
import { formatTime } from "../format.ts";
import { useClient, useLoad } from "../hooks.ts";
import { ConfirmDialog } from "./confirm-dialog.tsx";
import { CopyBlock } from "./copy-block.tsx";
import { ErrorNotice, Loading } from "./states.tsx";

type Created = AnswerOf<"createToken">;

/** API tokens: create one (its secret shown once), list them, revoke one. */
export function AdminTokens() {
  const client = useClient();
  const tokens = useLoad((signal) => client.get("listTokens", {}, signal), []);
  const [created, setCreated] = useState<Created | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);

  return (
    <>
      <CreateToken
        onCreated={(t) => {
          setCreated(t);
          tokens.reload();
        }}
      />
      {created ? (
        <section class="card new-token" aria-labelledby="new-token-title">
          <h2 id="new-token-title">New token “{created.name}”</h2>
          <p>
            Copy it now: it is shown this once and cannot be read again. Whoever holds it has{" "}
            {created.role === "admin" ? "admin" : "read-only"} access.
          </p>
          <CopyBlock text={created.token} label={`Token ${created.name}`} />
          <button type="button" class="button button-quiet" onClick={() => setCreated(null)}>
            I have saved it
          </button>
        </section>
      ) : null}
      <section class="card" aria-labelledby="tokens-title">
        <h2 id="tokens-title">API tokens</h2>
        {tokens.status === "error" ? (
          <ErrorNotice error={tokens.error} onRetry={tokens.reload} />
        ) : !tokens.data ? (
          <Loading label="Loading tokens" />
        ) : tokens.data.items.length === 0 ? (
          <p class="muted">
            No API token yet: only the admin token of the API's configuration works.
          </p>
        ) : (
          <TokenTable tokens={tokens.data.items} onRevoke={setRevoking} />
        )}
      </section>
      {revoking ? (
        <ConfirmDialog
          title={`Revoke the token “${revoking.name}”?`}
          confirmLabel={`Revoke ${revoking.name}`}
          onConfirm={async () => {
            await client.send("revokeToken", { params: { id: revoking.id } });
            tokens.reload();
          }}
          onClose={() => setRevoking(null)}
        >
          <p>
            Anything using it (a script, a dashboard, a person) is refused from now on. This cannot
            be undone: create a new token instead.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function TokenTable({ tokens, onRevoke }: { tokens: Token[]; onRevoke: (t: Token) => void }) {
  return (
    <div class="table-wrap">
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => (
            <tr key={t.id}>
              <td>{t.name}</td>
              <td>{t.role}</td>
              <td>{formatTime(t.created_at)}</td>
              <td>{t.last_used_at ? formatTime(t.last_used_at) : "never"}</td>
              <td>
                <button
                  type="button"
                  class="button button-quiet"
                  aria-label={`Revoke token ${t.name}`}
                  onClick={() => onRevoke(t)}
                >
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CreateToken({ onCreated }: { onCreated: (t: Created) => void }) {
  const client = useClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const name = String(data.get("name") ?? "").trim();
    const role = data.get("role") === "admin" ? "admin" : "reader";
    if (!name) {
      setError("Give the token a name that says who or what uses it.");
      return;
    }
    setBusy(true);
    setError("");
    try {
      const created = await client.send("createToken", { body: { name, role } });
      if (created) onCreated(created);
      form.reset();
    } catch (err) {
      setError(`Could not create the token: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card filter-grid" onSubmit={submit} aria-label="Create a token">
      <div class="field">
        <label for="token-name">Token name</label>
        <input id="token-name" name="name" maxLength={200} autoComplete="off" />
      </div>
      <div class="field">
        <label for="token-role">Role</label>
        <select id="token-role" name="role">
          <option value="reader">Reader (read only)</option>
          <option value="admin">Admin</option>
        </select>
      </div>
      <div class="field field-actions">
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? "Creating…" : "Create token"}
        </button>
      </div>
      {error ? (
        <p class="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}
