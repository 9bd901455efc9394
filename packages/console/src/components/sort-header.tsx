/**
 * A column heading that sorts the list by its field. `sort` is the list's current sort in
 * the API's form (`field` or `-field`); counts and times sort descending first, since the
 * biggest and the latest are what people look for.
 */
export function SortHeader({
  field,
  label,
  sort,
  firstDesc = false,
  onSort,
  class: className,
}: {
  field: string;
  label: string;
  sort: string;
  firstDesc?: boolean;
  onSort: (sort: string) => void;
  class?: string;
}) {
  const active = sort.replace(/^-/, "") === field;
  const desc = sort.startsWith("-");
  const next = active ? (desc ? field : `-${field}`) : firstDesc ? `-${field}` : field;
  return (
    <th
      scope="col"
      class={className || undefined}
      aria-sort={active ? (desc ? "descending" : "ascending") : undefined}
    >
      <button type="button" class="sort-button" onClick={() => onSort(next)}>
        {label}
        <span class="sort-arrow" aria-hidden="true">
          {active ? (desc ? "↓" : "↑") : "↕"}
        </span>
      </button>
    </th>
  );
}
