import {
  INVENTORY_COLUMNS,
  INVENTORY_TABLES,
  type InventoryRow,
  type InventoryTable,
  type QueryOf,
} from "@compliance/contract";
import { useEffect, useState } from "preact/hooks";
import { requestPath } from "../api.ts";
import { CsvDownload } from "../components/csv-download.tsx";
import { Pager } from "../components/pager.tsx";
import { ErrorNotice, Loading } from "../components/states.tsx";
import { formatTime, formatTyped, parseTyped } from "../format.ts";
import { useClient, useLoad } from "../hooks.ts";
import { hrefOf, navigate, type Route, withParams } from "../router.ts";

const PAGE_SIZE = 100;
/** The most rows one CSV download holds (the API's own maximum). */
export const CSV_MAX_ROWS = 100_000;

const TITLES: Record<InventoryTable, string> = {
  platforms: "OS and processor per host",
  users: "Users per host and execution",
  processes: "Processes per execution",
  "process-counts": "Process count per execution",
  "user-counts": "Session and user counts per execution",
  packages: "Packages per execution",
  listening: "Listening sockets per execution",
};

type Query = QueryOf<"inventoryTable">;

/** The fleet's inventory tables, filtered by host and period, paged, and as CSV. */
export function InventoryPage({ route }: { route: Extract<Route, { page: "inventory" }> }) {
  const client = useClient();
  const { table, params: p } = route;
  const hostId = Number(p.get("host_id")) || undefined;
  const query: Query = {
    host_id: hostId,
    from: p.get("from") ?? undefined,
    to: p.get("to") ?? undefined,
    limit: PAGE_SIZE,
    offset: Math.max(0, Number(p.get("offset")) || 0),
  };
  const rows = useLoad(
    (signal) => client.get("inventoryTable", { params: { table }, query }, signal),
    [table, JSON.stringify(query)],
  );
  useEffect(() => {
    document.title = "Inventory · Compliance";
  }, []);
  const csvPath = requestPath("inventoryTable", {
    params: { table },
    query: { ...query, limit: CSV_MAX_ROWS, offset: undefined, format: "csv" },
  });

  return (
    <section class="page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Inventory</h1>
        <CsvDownload path={csvPath} fileName={`${table}.csv`} label="Download CSV" />
      </div>
      <nav class="subnav" aria-label="Inventory tables">
        {INVENTORY_TABLES.map((t) => (
          <a
            key={t}
            href={hrefOf(`/inventory/${t}`, Object.fromEntries(p))}
            aria-current={t === table ? "page" : undefined}
            class={t === table ? "subnav-current" : undefined}
          >
            {TITLES[t]}
          </a>
        ))}
      </nav>
      <InventoryFilters
        key={p.toString()}
        query={query}
        onApply={(changes) => navigate(withParams(route, { ...changes, offset: undefined }))}
      />
      <p class="muted small">
        The CSV holds the rows these filters select, up to {CSV_MAX_ROWS.toLocaleString("en")}.
      </p>
      {rows.status === "error" ? (
        <ErrorNotice error={rows.error} onRetry={rows.reload} />
      ) : !rows.data ? (
        <Loading label="Loading the table" />
      ) : rows.data.total === 0 ? (
        <p class="muted">No row matches these filters.</p>
      ) : (
        <div class={rows.status === "loading" ? "is-stale" : undefined}>
          <RowTable table={table} rows={rows.data.items} />
          <Pager
            offset={rows.data.offset}
            limit={rows.data.limit}
            total={rows.data.total}
            noun="rows"
            onPage={(o) => navigate(withParams(route, { offset: o || undefined }))}
          />
        </div>
      )}
    </section>
  );
}

function InventoryFilters({
  query,
  onApply,
}: {
  query: Query;
  onApply: (changes: Record<string, string | undefined>) => void;
}) {
  const [error, setError] = useState("");
  const submit = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const text = (k: string) => String(data.get(k) ?? "").trim();
    const changes: Record<string, string | undefined> = { host_id: text("host_id") || undefined };
    for (const k of ["from", "to"] as const) {
      if (!text(k)) {
        changes[k] = undefined;
        continue;
      }
      const ms = parseTyped(text(k));
      if (ms === null) {
        setError(`Type the time as YYYY-MM-DD HH:MM:SS (got “${text(k)}”).`);
        return;
      }
      changes[k] = new Date(ms).toISOString();
    }
    setError("");
    onApply(changes);
  };
  const typed = (iso: string | undefined) => (iso ? formatTyped(Date.parse(iso)) : "");
  return (
    <form class="filter-grid" onSubmit={submit} aria-label="Filter the table">
      <div class="field">
        <label for="inv-host">Host id</label>
        <input
          id="inv-host"
          name="host_id"
          inputMode="numeric"
          pattern="[0-9]*"
          defaultValue={query.host_id ? String(query.host_id) : ""}
        />
      </div>
      <div class="field">
        <label for="inv-from">From</label>
        <input
          id="inv-from"
          name="from"
          placeholder="YYYY-MM-DD HH:MM:SS"
          defaultValue={typed(query.from)}
        />
      </div>
      <div class="field">
        <label for="inv-to">To</label>
        <input
          id="inv-to"
          name="to"
          placeholder="YYYY-MM-DD HH:MM:SS"
          defaultValue={typed(query.to)}
        />
      </div>
      <div class="field field-actions">
        <button type="submit" class="button">
          Apply
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

function RowTable({ table, rows }: { table: InventoryTable; rows: InventoryRow[] }) {
  const columns = INVENTORY_COLUMNS[table];
  return (
    <div class="table-wrap">
      <table class="table table-compact">
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c.replace(/_/g, " ")}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={`${r.report_id ?? r.host_id}:${i}`}>
              {columns.map((c) => (
                <td key={c} class={c === "hostname" ? "nowrap" : undefined}>
                  {cell(c, r[c])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function cell(column: string, value: string | number | null | undefined) {
  if (value === null || value === undefined || value === "") return "—";
  if (column === "collected_at") return formatTime(String(value));
  return String(value);
}
