import { formatCount } from "../format.ts";

/** One figure of a row of totals; a link when there is a page that explains it. */
export function Kpi({
  label,
  value,
  of,
  href,
  hint,
  tone,
}: {
  label: string;
  /** null: not known (shown as such, never as 0). */
  value: number | null;
  /** The whole the value is a part of, e.g. hosts for compliant hosts. */
  of?: number;
  href?: string;
  hint?: string;
  tone?: "online" | "offline" | "fail" | undefined;
}) {
  const body = (
    <>
      <span class="kpi-value">
        {value === null ? "unknown" : formatCount(value)}
        {of === undefined ? null : <span class="kpi-of"> of {formatCount(of)}</span>}
      </span>
      <span class="kpi-label">{label}</span>
      {hint ? <span class="kpi-hint">{hint}</span> : null}
    </>
  );
  return (
    <li class={`kpi${tone ? ` kpi-${tone}` : ""}`}>
      {href ? (
        <a href={href} class="kpi-link">
          {body}
        </a>
      ) : (
        body
      )}
    </li>
  );
}
