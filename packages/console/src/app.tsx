import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiClient } from "./api.ts";
import { Layout } from "./components/layout.tsx";
import { ClientContext } from "./hooks.ts";
import { ActivityPage } from "./pages/activity.tsx";
import { ChangesPage } from "./pages/changes.tsx";
import { HostDetail } from "./pages/host-detail.tsx";
import { HostList } from "./pages/host-list.tsx";
import { Overview } from "./pages/overview.tsx";
import { PolicyList } from "./pages/policies.tsx";
import { PolicyDetail } from "./pages/policy-detail.tsx";
import { SearchPage } from "./pages/search.tsx";
import { SignIn } from "./pages/sign-in.tsx";
import { type Route, useRoute } from "./router.ts";
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
      <Layout route={route} onSignOut={signOut}>
        <Page route={route} />
      </Layout>
    </ClientContext.Provider>
  );
}

function Page({ route }: { route: Route }) {
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
    route.page === "host" || route.page === "policy" ? `${route.page}:${route.id}` : route.page;
  useEffect(() => {
    window.scrollTo(0, 0);
  }, [key]);
}
