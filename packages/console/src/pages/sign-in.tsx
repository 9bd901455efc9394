import { useEffect, useState } from "preact/hooks";
import { ApiClient, RequestError } from "../api.ts";

/**
 * Signs in with the admin token or a reader token. The token is checked by asking the API
 * which role it has (/me): a 401 means the token is wrong, anything else that fails is the
 * API's trouble and is said as such.
 */
export function SignIn({
  notice,
  onSignedIn,
}: {
  notice: string | null;
  onSignedIn: (token: string) => void;
}) {
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    document.title = "Sign in · Compliance";
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) {
      setError("Paste your token first.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await new ApiClient({ token: value }).get("whoAmI");
      onSignedIn(value);
    } catch (e) {
      setBusy(false);
      if (e instanceof RequestError && e.kind === "unauthorized") {
        setError(
          "This token is not valid. Use the admin token (printed when the API starts and saved in data/admin-token) or a reader token.",
        );
      } else if (e instanceof RequestError && e.kind === "unreachable") {
        setError(
          `Cannot reach the Compliance API at ${location.origin}. Check that it is running, then try again.`,
        );
      } else {
        setError(`The API could not check the token: ${(e as Error).message}`);
      }
    }
  };

  return (
    <main class="signin" id="main">
      <form class="signin-card" onSubmit={submit} aria-describedby="signin-help" noValidate>
        <div class="brand brand-large">
          <span class="brand-mark" aria-hidden="true">
            ✓
          </span>
          Compliance
        </div>
        <h1>Sign in</h1>
        {notice ? (
          <p class="notice" role="status">
            {notice}
          </p>
        ) : null}
        <label for="token">Access token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "signin-error" : "signin-help"}
          // biome-ignore lint/a11y/noAutofocus: the only field of a page whose sole purpose is signing in
          autoFocus
        />
        {error ? (
          <p id="signin-error" class="field-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
        <p id="signin-help" class="muted small">
          The admin token is printed when the API starts and saved in <code>data/admin-token</code>.
          An admin can also create read-only tokens. The token is kept only for this browser tab.
        </p>
      </form>
    </main>
  );
}
