import type { ComponentChildren } from "preact";
import { formatCount } from "../format.ts";

export type Tone = "plus" | "minus" | "change";

/** One count of the diff's summary, e.g. "2 packages installed". */
export interface Count {
  tone: Tone;
  n: number;
  one: string;
  many: string;
  verb: string;
}

export function Chip({ tone, n, one, many, verb }: Count) {
  return (
    <li class={`chip chip-${n > 0 ? tone : "zero"}`}>
      <strong>{formatCount(n)}</strong> {n === 1 ? one : many} {verb}
    </li>
  );
}

/** One kind of change, under its heading; nothing when there is none of it. */
export function Part({
  title,
  tone,
  id,
  show = true,
  children,
}: {
  title: string;
  tone: Tone;
  id: string;
  show?: boolean;
  children: ComponentChildren;
}) {
  if (!show) return null;
  return (
    <section class={`diff-part diff-${tone}`} aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      {children}
    </section>
  );
}

export interface Col<T> {
  label: string;
  num?: boolean;
  /** Hidden on small screens. */
  optional?: boolean;
  cell: (item: T) => ComponentChildren;
}

/** A short table of changed items: what matters is which ones, so it neither sorts nor pages. */
export function CompactTable<T>({
  columns,
  items,
  rowKey,
}: {
  columns: readonly Col<T>[];
  items: readonly T[];
  rowKey: (item: T) => string;
}) {
  const classOf = (c: Col<T>) =>
    [c.num ? "num" : "", c.optional ? "opt" : ""].join(" ").trim() || undefined;
  return (
    <div class="table-wrap">
      <table class="table table-compact">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col" class={classOf(c)}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={rowKey(item)}>
              {columns.map((c) => (
                <td key={c.label} class={classOf(c)}>
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

/** A value before and after: "old → new", or the value alone when it stayed. */
export function Moved({ before, after }: { before: string; after: string }) {
  if (before === after) return <>{after}</>;
  return (
    <>
      <span class="minus-text">{before}</span> → <span class="plus-text">{after}</span>
    </>
  );
}
