import type { ComponentChildren } from "preact";
import type { RequestError } from "../api.ts";

export function Loading({ label }: { label: string }) {
  return (
    <div class="state state-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      <span>{label}…</span>
    </div>
  );
}

/** Titles and advice per kind of failure: say what happened, then what to do. */
function adviceOf(error: RequestError): { title: string; advice: string } {
  switch (error.kind) {
    case "unreachable":
      return {
        title: "Cannot reach the Compliance API",
        advice: `Check that compliance-api is running and reachable at ${location.origin} (on its machine: npm start, or the compliance-api service), then try again.`,
      };
    case "server":
      return {
        title: `The API could not answer (${error.status || "error"})`,
        advice:
          error.status === 503
            ? "Its database is unavailable. The API keeps retrying; try again in a few seconds."
            : "Try again. If it keeps failing, the API's log says why.",
      };
    case "unauthorized":
      return { title: "Your token was refused", advice: "Sign in again with a valid token." };
    case "forbidden":
      return { title: "Not allowed", advice: "This needs an admin token." };
    case "not_found":
      return { title: "Not found", advice: "It may have been deleted, or the link is wrong." };
    default:
      return { title: "The API did not accept the request", advice: "Change it and try again." };
  }
}

export function ErrorNotice({
  error,
  onRetry,
  children,
}: {
  error: RequestError;
  onRetry?: () => void;
  children?: ComponentChildren;
}) {
  const { title, advice } = adviceOf(error);
  return (
    <div class="state state-error" role="alert">
      <h2>{title}</h2>
      <p>{error.message}</p>
      <p>{advice}</p>
      {children}
      {onRetry ? (
        <button type="button" class="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state state-empty">
      <h2>{title}</h2>
      {children}
    </div>
  );
}
