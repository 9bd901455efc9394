import type { PageOf, QueryOf } from "@compliance/contract";
import type { ComponentChildren } from "preact";
import type { ApiClient } from "../api.ts";
import { formatTime } from "../format.ts";
import { useClient, useLoad } from "../hooks.ts";
import { navigate, type Route, withParams } from "../router.ts";
import { Pager } from "./pager.tsx";
import { SearchField } from "./search-field.tsx";
import { SortHeader } from "./sort-header.tsx";
import { ErrorNotice, Loading } from "./states.tsx";
import { TabPanel } from "./tabs.tsx";

/** The four inventory sections read as paged lists: the same query as the process list. */
export type SectionQuery = QueryOf<"hostPackages">;

/** A page of a section, and whether the agent collected that section at all. */
export type SectionPage<T> = PageOf<T> & {
  report_id: string;
  collected_at: string;
  known: boolean;
  reason?: string | undefined;
};

export interface Column<T> {
  /** The field the API sorts by. */
  key: string;
  label: string;
  num?: boolean;
  /** Hidden on small screens. */
  optional?: boolean;
  /** Counts sort biggest first, as in the process list. */
  firstDesc?: boolean;
  cell: (item: T) => ComponentChildren;
}

/** What differs from one inventory section to another: its route, words and columns. */
export interface SectionSpec<T> {
  id: "packages" | "listening" | "accounts" | "services";
  /** Tab and caption. */
  label: string;
  /** Prefix of its route parameters: `<param>q`, `<param>sort`, `<param>off`. */
  param: string;
  one: string;
  many: string;
  placeholder: string;
  defaultSort: string;
  /** Said when the agent listed the section and found nothing. */
  none: string;
  /** Said when the agent did not list it: what that does not mean. */
  notNone: string;
  columns: readonly Column<T>[];
  rowKey: (item: T) => string;
  path: (hostId: number, query: SectionQuery) => string;
  load: (
    client: ApiClient,
    hostId: number,
    query: SectionQuery,
    signal: AbortSignal,
  ) => Promise<SectionPage<T>>;
}

const PAGE = 100;

/** The query a section's tab makes for a route: its execution, search, sort and page. */
export function sectionQueryOf(
  spec: Pick<SectionSpec<unknown>, "param" | "defaultSort">,
  pickQuery: Pick<SectionQuery, "at" | "report">,
  params: URLSearchParams,
): SectionQuery {
  return {
    ...pickQuery,
    q: params.get(`${spec.param}q`) ?? "",
    sort: params.get(`${spec.param}sort`) ?? spec.defaultSort,
    limit: PAGE,
    offset: Math.max(0, Number(params.get(`${spec.param}off`)) || 0),
  };
}

/**
 * One inventory section of the execution shown: searched, sorted and paged by the API like
 * the processes. Not collected is said as such, with the agent's reason, never shown as an
 * empty list.
 */
export function InventoryPanel<T>({
  spec,
  hostId,
  pickQuery,
  route,
}: {
  spec: SectionSpec<T>;
  hostId: number;
  pickQuery: Pick<SectionQuery, "at" | "report">;
  route: Route;
}) {
  const client = useClient();
  const query = sectionQueryOf(spec, pickQuery, route.params);
  const q = query.q ?? "";
  const sort = query.sort ?? "";
  const page = useLoad(
    (signal) => spec.load(client, hostId, query, signal),
    [hostId, query.at, query.report, q, sort, query.offset],
  );
  const set = (changes: Record<string, string | undefined>, replace = false) =>
    navigate(withParams(route, changes), replace);
  const data = page.data;

  return (
    <TabPanel id={spec.id}>
      {data && !data.known ? null : (
        <SearchField
          id={`${spec.id}-search`}
          label={`Search ${spec.many}`}
          placeholder={spec.placeholder}
          value={q}
          onSearch={(text) =>
            set({ [`${spec.param}q`]: text || undefined, [`${spec.param}off`]: undefined }, true)
          }
        />
      )}
      {page.status === "error" && !data ? (
        <ErrorNotice error={page.error} onRetry={page.reload} />
      ) : !data ? (
        <Loading label={`Loading ${spec.many}`} />
      ) : !data.known ? (
        <NotCollected what={spec.many} reason={data.reason} notNone={spec.notNone} />
      ) : data.total === 0 ? (
        <p class="muted">{q ? `No ${spec.one} matches “${q}”.` : spec.none}</p>
      ) : (
        <div class={page.status === "loading" ? "is-stale" : undefined}>
          <SectionTable
            spec={spec}
            items={data.items}
            sort={sort}
            busy={page.status === "loading"}
            onSort={(s) => set({ [`${spec.param}sort`]: s, [`${spec.param}off`]: undefined })}
            caption={`${spec.label} collected ${formatTime(data.collected_at)}`}
          />
          <Pager
            offset={data.offset}
            limit={data.limit}
            total={data.total}
            noun={spec.many}
            onPage={(o) => set({ [`${spec.param}off`]: o ? String(o) : undefined })}
          />
        </div>
      )}
    </TabPanel>
  );
}

/** A section the agent did not collect in this execution: unknown, which is not "none". */
export function NotCollected({
  what,
  reason,
  notNone,
}: {
  what: string;
  reason: string | undefined;
  notNone: string;
}) {
  return (
    <div class="notice notice-warn" role="note">
      <strong>Not collected.</strong> The agent did not collect the {what} on this host in this
      execution. {reason ? <>Its reason: “{reason}”. </> : "It gave no reason. "}
      {notNone}
    </div>
  );
}

function SectionTable<T>({
  spec,
  items,
  sort,
  busy,
  onSort,
  caption,
}: {
  spec: SectionSpec<T>;
  items: T[];
  sort: string;
  busy: boolean;
  onSort: (sort: string) => void;
  caption: string;
}) {
  const classOf = (c: Column<T>) => [c.num ? "num" : "", c.optional ? "opt" : ""].join(" ").trim();
  return (
    <div class="table-wrap">
      <table class={`table table-compact table-${spec.id}`} aria-busy={busy}>
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            {spec.columns.map((c) => (
              <SortHeader
                key={c.key}
                field={c.key}
                label={c.label}
                sort={sort}
                firstDesc={c.firstDesc ?? false}
                onSort={onSort}
                class={classOf(c)}
              />
            ))}
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={spec.rowKey(item)}>
              {spec.columns.map((c) => (
                <td key={c.key} class={classOf(c) || undefined}>
                  {c.cell(item)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
