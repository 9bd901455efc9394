const pad = (n: number) => String(n).padStart(2, "0");

/** "Data as of HH:MM:SS", the local time the page's data last arrived, and how it refreshes. */
export function DataAsOf({ at, everyMs }: { at: number | null; everyMs: number }) {
  if (at === null) return null;
  const d = new Date(at);
  return (
    <span class="muted small data-as-of">
      Data as of {pad(d.getHours())}:{pad(d.getMinutes())}:{pad(d.getSeconds())}, refreshed every{" "}
      {everyMs / 1000} s while this tab is shown
    </span>
  );
}
