import type { ComponentChildren } from "preact";

/**
 * A table that scrolls sideways when the screen is narrower than its columns. Its box takes
 * the keyboard focus and is a named region, so a keyboard user can scroll a table that
 * holds no link or button (WCAG 2.1.1).
 */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take the focus
    <section class="table-wrap" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}
