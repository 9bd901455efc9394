import type { ComponentChildren } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";

export interface TabItem<I extends string> {
  id: I;
  label: string;
}

/**
 * A row of tabs. Arrow keys, Home and End move the focus along the row; Enter or Space
 * opens the focused tab. Opening loads data and adds a history entry, so it waits for the
 * person to choose instead of following every arrow press.
 */
export function TabList<I extends string>({
  label,
  tabs,
  active,
  onSelect,
}: {
  label: string;
  tabs: readonly TabItem<I>[];
  active: I;
  onSelect: (id: I) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  // On a narrow screen the row scrolls: bring the open tab into it (a link may open any),
  // again when counts arriving in the labels push it along. Only the row scrolls, never
  // the page, which scrollIntoView would also move.
  const labels = tabs.map((t) => t.label).join("\n");
  useLayoutEffect(() => {
    const row = ref.current;
    const tab = row?.querySelector('[aria-selected="true"]');
    if (!row || !tab) return;
    const r = row.getBoundingClientRect();
    const t = tab.getBoundingClientRect();
    if (t.right > r.right) row.scrollLeft += t.right - r.right;
    else if (t.left < r.left) row.scrollLeft -= r.left - t.left;
  }, [active, labels]);

  const onKeyDown = (e: KeyboardEvent) => {
    const all = [...(ref.current?.querySelectorAll<HTMLButtonElement>("[role=tab]") ?? [])];
    const at = all.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const next: Record<string, number> = {
      ArrowLeft: at - 1,
      ArrowRight: at + 1,
      Home: 0,
      End: all.length - 1,
    };
    if (!(e.key in next)) return;
    e.preventDefault();
    all[(next[e.key]! + all.length) % all.length]?.focus();
  };
  return (
    <div class="tabs" role="tablist" aria-label={label} onKeyDown={onKeyDown} ref={ref}>
      {tabs.map((t) => (
        <button
          key={t.id}
          type="button"
          role="tab"
          id={`tab-${t.id}`}
          aria-selected={t.id === active}
          aria-controls={`panel-${t.id}`}
          tabIndex={t.id === active ? 0 : -1}
          class="tab"
          onClick={() => onSelect(t.id)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

/** The panel a tab of `TabList` opens. */
export function TabPanel({ id, children }: { id: string; children: ComponentChildren }) {
  return (
    <div role="tabpanel" id={`panel-${id}`} aria-labelledby={`tab-${id}`}>
      {children}
    </div>
  );
}
