import type { CollectorError, SettingsSnapshot } from "@compliance/contract";
import { useEffect, useMemo, useState } from "preact/hooks";
import { useClient, useLoad } from "../hooks.ts";
import { navigate, type Route, withParams } from "../router.ts";
import type { SectionQuery } from "./inventory-panel.tsx";
import { NotCollected } from "./inventory-panel.tsx";
import { Pager } from "./pager.tsx";
import { SearchField } from "./search-field.tsx";
import { ErrorNotice, Loading } from "./states.tsx";
import { TabPanel } from "./tabs.tsx";

/** Rows per page of each table: a host can send thousands of kernel parameters. */
const PAGE = 100;

type Part = "sysctl" | "sshd" | "files";

const PARTS: { id: Part; title: string; many: string; head: readonly string[] }[] = [
  {
    id: "sysctl",
    title: "Kernel parameters",
    many: "kernel parameters",
    head: ["Parameter", "Value"],
  },
  { id: "sshd", title: "sshd options", many: "sshd options", head: ["Option", "Value"] },
  {
    id: "files",
    title: "File modes",
    many: "file modes",
    head: ["Path", "Mode", "Owner (uid:gid)"],
  },
];

/** A part of the settings as rows of text, sorted by name; null when not collected. */
function rowsOf(settings: SettingsSnapshot, part: Part): string[][] | null {
  if (part === "files") {
    return settings.files?.map((f) => [f.path, f.mode, `${f.uid}:${f.gid}`]).sort(byFirst) ?? null;
  }
  const map = settings[part];
  return map ? Object.entries(map).sort(byFirst) : null;
}

const byFirst = (a: string[], b: string[]) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0);

const reasonOf = (reasons: CollectorError[], part: string) =>
  reasons.find((r) => r.collector === part)?.message;

/**
 * Kernel parameters, sshd options and file modes of the execution shown, as three small
 * tables. The API answers them whole, so the text filter and the pages are done here.
 */
export function SettingsPanel({
  hostId,
  pickQuery,
  route,
}: {
  hostId: number;
  pickQuery: Pick<SectionQuery, "at" | "report">;
  route: Route;
}) {
  const client = useClient();
  const settings = useLoad(
    (signal) => client.get("hostSettings", { params: { id: hostId }, query: pickQuery }, signal),
    [hostId, pickQuery.at, pickQuery.report],
  );
  const q = route.params.get("stq") ?? "";
  const data = settings.data;
  // Once per answer, so that a table's page is kept until its rows change.
  const rows = useMemo(() => data && PARTS.map((part) => rowsOf(data, part.id)), [data]);

  return (
    <TabPanel id="settings">
      {data && !data.known ? null : (
        <SearchField
          id="settings-search"
          label="Search settings"
          placeholder="Parameter, option, path or value"
          value={q}
          onSearch={(text) => navigate(withParams(route, { stq: text || undefined }), true)}
        />
      )}
      {settings.status === "error" && !data ? (
        <ErrorNotice error={settings.error} onRetry={settings.reload} />
      ) : !data ? (
        <Loading label="Loading settings" />
      ) : !data.known ? (
        <NotCollected
          what="settings (kernel parameters, sshd options, file modes)"
          reason={data.reasons.map((r) => `${r.collector}: ${r.message}`).join("; ") || undefined}
          notNone="This does not mean that they are unset."
        />
      ) : (
        <div class={`settings${settings.status === "loading" ? " is-stale" : ""}`}>
          {PARTS.map((part, i) => (
            <SettingsTable
              key={part.id}
              {...part}
              rows={rows?.[i] ?? null}
              reason={reasonOf(data.reasons, part.id)}
              q={q}
            />
          ))}
        </div>
      )}
    </TabPanel>
  );
}

function SettingsTable({
  id,
  title,
  many,
  head,
  rows,
  reason,
  q,
}: {
  id: Part;
  title: string;
  many: string;
  head: readonly string[];
  rows: string[][] | null;
  reason: string | undefined;
  q: string;
}) {
  const [offset, setOffset] = useState(0);
  const shown = useMemo(() => {
    const needle = q.toLowerCase();
    return needle ? rows?.filter((r) => r.some((c) => c.toLowerCase().includes(needle))) : rows;
  }, [rows, q]);
  // Another execution or another filter starts again at the first page.
  useEffect(() => setOffset(0), [shown]);

  return (
    <section class="settings-part" aria-labelledby={`settings-${id}`}>
      <h3 id={`settings-${id}`}>{title}</h3>
      {!shown ? (
        <NotCollected what={many} reason={reason} notNone="This does not mean that none is set." />
      ) : shown.length === 0 ? (
        <p class="muted">
          {q ? `None matches “${q}”.` : `None: the agent read the ${many} and found none.`}
        </p>
      ) : (
        <>
          <div class="table-wrap">
            <table class={`table table-compact table-settings-${id}`}>
              <caption class="sr-only">{title}</caption>
              <thead>
                <tr>
                  {head.map((h) => (
                    <th key={h} scope="col">
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {shown.slice(offset, offset + PAGE).map(([key, ...rest]) => (
                  <tr key={key}>
                    <th scope="row" class="mono">
                      {key}
                    </th>
                    {rest.map((value, i) => (
                      <td key={i} class="mono">
                        {value}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager offset={offset} limit={PAGE} total={shown.length} noun={many} onPage={setOffset} />
        </>
      )}
    </section>
  );
}
