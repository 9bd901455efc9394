import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiClient } from "./api.ts";
import { Layout } from "./components/layout.tsx";
import { ClientContext, useClient, useLoad } from "./hooks.ts";
import { ActivityPage } from "./pages/activity.tsx";
import { AdminPage } from "./pages/admin.tsx";
import { ChangesPage } from "./pages/changes.tsx";
import { HostDetail } from "./pages/host-detail.tsx";
import { HostList } from "./pages/host-list.tsx";
import { InventoryPage } from "./pages/inventory.tsx";
import { Overview } from "./pages/overview.tsx";
import { PolicyList } from "./pages/policies.tsx";
import { PolicyDetail } from "./pages/policy-detail.tsx";
import { SearchPage } from "./pages/search.tsx";
import { SignIn } from "./pages/sign-in.tsx";
import { pathOf, type Route, useRoute } from "./router.ts";
import { clearToken, loadToken, saveToken } from "./session.ts";

export function App() {
  const [token, setToken] = useState(loadToken);
  const [notice, setNotice] = useState<string | null>(null);
  const route = useRoute();

  const client = useMemo(
    () =>
      token
        ? new ApiClient({
            token,
            onUnauthorized: () => {
              clearToken();
              setNotice(
                "The API refused your token (it may have been revoked or the API's admin token changed). Sign in again.",
              );
              setToken(null);
            },
          })
        : null,
    [token],
  );

  useScrollOnPageChange(route);

  if (!client) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(t) => {
          saveToken(t);
          setNotice(null);
          setToken(t);
        }}
      />
    );
  }

  const signOut = () => {
    clearToken();
    setNotice("You are signed out.");
    setToken(null);
    location.hash = "#/";
  };

  return (
    <ClientContext.Provider value={client}>
      <SignedIn route={route} onSignOut={signOut} />
    </ClientContext.Provider>
  );
}

/** The pages, once the token's role is known: admin pages show only for admin tokens. */
function SignedIn({ route, onSignOut }: { route: Route; onSignOut: () => void }) {
  const client = useClient();
  const me = useLoad((signal) => client.get("whoAmI", {}, signal), [client]);
  const isAdmin = me.data?.role === "admin";
  return (
    <Layout route={route} onSignOut={onSignOut} isAdmin={isAdmin}>
      {route.page === "admin" && !me.data && me.status !== "error" ? null : (
        <Page route={route} isAdmin={isAdmin} />
      )}
    </Layout>
  );
}

function Page({ route, isAdmin }: { route: Route; isAdmin: boolean }) {
  switch (route.page) {
    case "overview":
      return <Overview />;
    case "hosts":
      return <HostList route={route} />;
    case "host":
      return <HostDetail key={route.id} route={route} />;
    case "policies":
      return <PolicyList />;
    case "policy":
      return <PolicyDetail key={route.id} route={route} />;
    case "activity":
      return <ActivityPage route={route} />;
    case "search":
      return <SearchPage route={route} />;
    case "changes":
      return <ChangesPage route={route} />;
    case "admin":
      return <AdminPage route={route} section={route.section} isAdmin={isAdmin} />;
    case "inventory":
      return <InventoryPage route={route} />;
    default:
      return (
        <section class="page">
          <h1>Page not found</h1>
          <p>
            There is no page at <code>{route.path}</code>. Go to the <a href="#/">overview</a>, the{" "}
            <a href="#/hosts">host list</a> or the <a href="#/policies">policies</a>.
          </p>
        </section>
      );
  }
}

/** A new page starts at its top; a change of search or sort within a page does not move. */
function useScrollOnPageChange(route: Route) {
  const key =
    route.page === "host" || route.page === "policy"
      ? `${route.page}:${route.id}`
      : route.page === "admin" || route.page === "inventory"
        ? pathOf(route)
        : route.page;
  useEffect(() => {
    window.scrollTo(0, 0);
  }, [key]);
}
