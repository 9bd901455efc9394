import { useEffect } from "preact/hooks";
import { AdminAudit } from "../components/admin-audit.tsx";
import { AdminHosts } from "../components/admin-hosts.tsx";
import { AdminTokens } from "../components/admin-tokens.tsx";
import { ADMIN_SECTIONS, type AdminSection, hrefOf, type Route } from "../router.ts";

const LABELS: Record<AdminSection, string> = {
  tokens: "API tokens",
  hosts: "Hosts",
  audit: "Audit trail",
};

/** Tokens, hosts' removal and keys, and the audit trail: for admin tokens only. */
export function AdminPage({
  route,
  section,
  isAdmin,
}: {
  route: Route;
  section: AdminSection;
  isAdmin: boolean;
}) {
  useEffect(() => {
    document.title = "Admin · Compliance";
  }, []);

  return (
    <section class="page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Admin</h1>
      </div>
      {!isAdmin ? (
        <div class="state state-error" role="alert">
          <h2>This page is for admins</h2>
          <p>
            You signed in with a reader token: it can read the fleet but not manage tokens, hosts or
            the audit trail. Sign out and sign in with an admin token to use it.
          </p>
        </div>
      ) : (
        <>
          <nav class="subnav" aria-label="Admin">
            {ADMIN_SECTIONS.map((s) => (
              <a
                key={s}
                href={hrefOf(`/admin/${s}`)}
                aria-current={s === section ? "page" : undefined}
                class={s === section ? "subnav-current" : undefined}
              >
                {LABELS[s]}
              </a>
            ))}
          </nav>
          {section === "tokens" ? (
            <AdminTokens />
          ) : section === "hosts" ? (
            <AdminHosts route={route} />
          ) : (
            <AdminAudit route={route} />
          )}
        </>
      )}
    </section>
  );
}
