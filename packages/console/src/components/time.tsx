import { formatAgo, formatTime } from "../format.ts";

/** A timestamp in local time, with the exact UTC instant on hover and for machines. */
export function Time({ iso, ago = false }: { iso: string | null | undefined; ago?: boolean }) {
  if (!iso) return <span class="muted">never</span>;
  return (
    <time dateTime={iso} title={iso}>
      {formatTime(iso)}
      {ago ? <span class="muted"> · {formatAgo(iso)}</span> : null}
    </time>
  );
}
