import { formatCount } from "../format.ts";

/** Previous/next over a server-paged list, with where we are in words. */
export function Pager({
  offset,
  limit,
  total,
  noun,
  onPage,
}: {
  offset: number;
  limit: number;
  total: number;
  noun: string;
  onPage: (offset: number) => void;
}) {
  if (total === 0) return null;
  const first = offset + 1;
  const last = Math.min(offset + limit, total);
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  return (
    <nav class="pager" aria-label={`Pages of ${noun}`}>
      <span class="pager-status" aria-live="polite">
        {formatCount(first)}–{formatCount(last)} of {formatCount(total)} {noun}
      </span>
      {pages > 1 ? (
        <span class="pager-buttons">
          <button
            type="button"
            class="button button-quiet"
            disabled={offset === 0}
            onClick={() => onPage(0)}
            aria-label="First page"
          >
            «
          </button>
          <button
            type="button"
            class="button button-quiet"
            disabled={offset === 0}
            onClick={() => onPage(Math.max(0, offset - limit))}
          >
            Previous
          </button>
          <span class="pager-page">
            Page {formatCount(page)} of {formatCount(pages)}
          </span>
          <button
            type="button"
            class="button button-quiet"
            disabled={last >= total}
            onClick={() => onPage(offset + limit)}
          >
            Next
          </button>
          <button
            type="button"
            class="button button-quiet"
            disabled={last >= total}
            onClick={() => onPage((pages - 1) * limit)}
            aria-label="Last page"
          >
            »
          </button>
        </span>
      ) : null}
    </nav>
  );
}
