import type { EvidenceItem, Reason } from "@compliance/contract";
import { formatBytes, formatCount, formatTime } from "../format.ts";

/** Words for the evidence fields that read badly as they are. */
const FIELD_LABELS: Record<string, string> = {
  pid: "PID",
  ppid: "Parent PID",
  uid: "UID",
  gid: "GID",
  cmdline: "Command line",
  cpu_percent: "CPU %",
  rss_bytes: "Memory",
  cpu_model: "CPU model",
};

const labelOf = (key: string) => {
  const known = FIELD_LABELS[key];
  if (known) return known;
  const words = key.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
};

function cellText(key: string, value: EvidenceItem[string] | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") {
    return key.endsWith("_bytes") ? formatBytes(value) : String(value);
  }
  return key.endsWith("_at") ? formatTime(value) : value;
}

/**
 * Why a policy has its status on a host: each deciding condition's finding in one line,
 * and the items of the report behind it (the offending process with its pid, user and
 * command line; a package and its version; ...), as the API returned them.
 */
export function PolicyReasons({ reasons, name }: { reasons: readonly Reason[]; name: string }) {
  return (
    <ul class="reasons">
      {reasons.map((r) => (
        <li key={r.condition}>
          <p class="reason-message">{r.message}</p>
          {r.items.length > 0 ? (
            <EvidenceTable items={r.items} caption={`Evidence of “${name}”: ${r.message}`} />
          ) : null}
          {r.total > r.items.length ? (
            <p class="muted small">
              {formatCount(r.items.length)} of {formatCount(r.total)} shown.
            </p>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

function EvidenceTable({ items, caption }: { items: readonly EvidenceItem[]; caption: string }) {
  // Every field any item has, in the order the items give them.
  const keys = [...new Set(items.flatMap((item) => Object.keys(item)))];
  return (
    <div class="table-wrap">
      <table class="table table-compact evidence">
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            {keys.map((k) => (
              <th key={k} scope="col">
                {labelOf(k)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {items.map((item, i) => (
            <tr key={i}>
              {keys.map((k) => (
                <td key={k} class={k === "cmdline" ? "mono small" : undefined}>
                  {cellText(k, item[k])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
