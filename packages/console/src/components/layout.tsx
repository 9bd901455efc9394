import type { ComponentChildren } from "preact";
import type { Route } from "../router.ts";

export function Layout({
  route,
  onSignOut,
  isAdmin,
  children,
}: {
  route: Route;
  onSignOut: () => void;
  isAdmin: boolean;
  children: ComponentChildren;
}) {
  const current = (page: Route["page"]) =>
    route.page === page ||
    (page === "hosts" && route.page === "host") ||
    (page === "policies" && route.page === "policy")
      ? "page"
      : undefined;
  return (
    <>
      <button type="button" class="skip-link" onClick={focusMain}>
        Skip to content
      </button>
      <header class="topbar">
        <a class="brand" href="#/">
          <span class="brand-mark" aria-hidden="true">
            ✓
          </span>
          Compliance
        </a>
        <nav aria-label="Main">
          <a href="#/" aria-current={current("overview")}>
            Overview
          </a>
          <a href="#/hosts" aria-current={current("hosts")}>
            Hosts
          </a>
          <a href="#/policies" aria-current={current("policies")}>
            Policies
          </a>
          <a href="#/activity" aria-current={current("activity")}>
            Activity
          </a>
          <a href="#/search" aria-current={current("search")}>
            Search
          </a>
          <a href="#/changes" aria-current={current("changes")}>
            Changes
          </a>
          <a href="#/inventory" aria-current={current("inventory")}>
            Inventory
          </a>
          {isAdmin ? (
            <a href="#/admin" aria-current={current("admin")}>
              Admin
            </a>
          ) : null}
        </nav>
        <button type="button" class="button button-quiet signout" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

/** A button, not a link to #main: the hash is the route. */
function focusMain() {
  document.getElementById("main")?.focus();
}
