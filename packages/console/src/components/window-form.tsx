import { useEffect, useState } from "preact/hooks";
import {
  previousWindow,
  readWindow,
  TimeField,
  type TypedWindow,
  typedOf,
  WINDOW_SHORTCUTS,
  ZoneHint,
} from "./time-field.tsx";

/**
 * A time window, typed or picked from shortcuts ending now, with "compare with previous"
 * (the window of the same length just before). Other fields of the form come as children.
 */
export function WindowForm({
  idPrefix,
  from,
  to,
  submitLabel,
  onWindow,
  children,
}: {
  idPrefix: string;
  from: string | null;
  to: string | null;
  submitLabel: string;
  onWindow: (window: { from: string; to?: string | undefined }, form: FormData) => void;
  children?: preact.ComponentChildren;
}) {
  const [typed, setTyped] = useState<TypedWindow>(() => typedOf(from, to));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setTyped(typedOf(from, to)), [from, to]);
  const formOf = (el: EventTarget | null) =>
    new FormData((el as HTMLElement).closest("form") ?? undefined);
  return (
    <form
      class="window-form"
      onSubmit={(e) => {
        e.preventDefault();
        const w = readWindow(typed);
        if ("error" in w) {
          setError(w.error);
          return;
        }
        setError(null);
        onWindow(w, new FormData(e.currentTarget));
      }}
    >
      <div class="filter-grid">
        {children}
        <TimeField
          id={`${idPrefix}-from`}
          label="From"
          value={typed.from}
          invalid={Boolean(error)}
          onInput={(v) => setTyped((t) => ({ ...t, from: v }))}
        />
        <TimeField
          id={`${idPrefix}-to`}
          label="To (empty: now)"
          value={typed.to}
          onInput={(v) => setTyped((t) => ({ ...t, to: v }))}
        />
        <div class="field field-actions">
          <button type="submit" class="button">
            {submitLabel}
          </button>
        </div>
      </div>
      <div class="shortcuts">
        {WINDOW_SHORTCUTS.map((s) => (
          <button
            key={s.label}
            type="button"
            class="button button-quiet"
            onClick={(e) => {
              setError(null);
              onWindow(
                { from: new Date(Date.now() - s.ms).toISOString() },
                formOf(e.currentTarget),
              );
            }}
          >
            {s.label}
          </button>
        ))}
        {from ? (
          <button
            type="button"
            class="button button-quiet"
            onClick={(e) =>
              onWindow(previousWindow(from, to ?? undefined), formOf(e.currentTarget))
            }
          >
            Previous period
          </button>
        ) : null}
        <ZoneHint />
      </div>
      {error ? (
        <p class="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}
