import { formatTyped, parseTyped, timeZoneName } from "../format.ts";

/**
 * A time typed the way the console shows times (`YYYY-MM-DD HH:MM:SS`, 24-hour, local),
 * whatever the browser's locale would make of a date picker. The zone is said beside it.
 */
export function TimeField({
  id,
  label,
  value,
  onInput,
  invalid,
}: {
  id: string;
  label: string;
  value: string;
  onInput: (text: string) => void;
  invalid?: boolean;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        class="mono time-input"
        inputMode="numeric"
        placeholder="YYYY-MM-DD HH:MM:SS"
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
        aria-describedby="time-zone-hint"
        aria-invalid={invalid ? true : undefined}
        autoComplete="off"
        spellcheck={false}
      />
    </div>
  );
}

/** Where a form of TimeFields says which zone they are in (once per page). */
export function ZoneHint() {
  return (
    <span id="time-zone-hint" class="muted small">
      Times are YYYY-MM-DD HH:MM:SS, 24-hour, in your time zone: {timeZoneName()}
    </span>
  );
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** The windows a person asks for most, ending now. */
export const WINDOW_SHORTCUTS = [
  { label: "Last hour", ms: HOUR_MS },
  { label: "Since yesterday", ms: DAY_MS },
  { label: "Last 7 days", ms: 7 * DAY_MS },
] as const;

/** A window as typed text; an empty end means now. */
export interface TypedWindow {
  from: string;
  to: string;
}

/** Reads a typed window: RFC 3339 ends, or the message that says what is wrong. */
export function readWindow(w: TypedWindow): { from: string; to?: string } | { error: string } {
  const from = parseTyped(w.from);
  if (from === null) return { error: "Enter the start as YYYY-MM-DD HH:MM:SS." };
  if (w.to.trim() === "") return { from: new Date(from).toISOString() };
  const to = parseTyped(w.to);
  if (to === null)
    return { error: "Enter the end as YYYY-MM-DD HH:MM:SS, or leave it empty for now." };
  if (to < from) return { error: "The end is before the start." };
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

/** The typed text of a window in the route (RFC 3339 ends). */
export const typedOf = (from: string | null, to: string | null): TypedWindow => ({
  from: from ? formatTyped(Date.parse(from)) : "",
  to: to ? formatTyped(Date.parse(to)) : "",
});

/** The window of the same length just before [from, to]: "compare with previous". */
export function previousWindow(from: string, to: string | undefined, now = Date.now()) {
  const start = Date.parse(from);
  const end = to ? Date.parse(to) : now;
  return { from: new Date(2 * start - end).toISOString(), to: new Date(start).toISOString() };
}
