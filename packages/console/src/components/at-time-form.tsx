import type { Host } from "@compliance/contract";
import { useEffect, useState } from "preact/hooks";
import { formatTyped, parseTyped, timeZoneName } from "../format.ts";

/** "At a time": a local date and time; the API picks the execution in effect then. */
export function AtTimeForm({
  host,
  at,
  onAt,
}: {
  host: Host;
  at: string | null;
  onAt: (at: string | undefined) => void;
}) {
  const initial = at ?? host.last_seen_at ?? new Date().toISOString();
  const [value, setValue] = useState(() => formatTyped(Date.parse(initial)));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (at) setValue(formatTyped(Date.parse(at)));
  }, [at]);
  return (
    <form
      class="at-time"
      onSubmit={(e) => {
        e.preventDefault();
        const ms = parseTyped(value);
        if (ms === null) {
          setError("Enter a date and a time as YYYY-MM-DD HH:MM:SS.");
          return;
        }
        setError(null);
        onAt(new Date(ms).toISOString());
      }}
    >
      <label for="at-time">What ran at</label>
      <input
        id="at-time"
        class="mono time-input"
        inputMode="numeric"
        placeholder="YYYY-MM-DD HH:MM:SS"
        autoComplete="off"
        spellcheck={false}
        value={value}
        onInput={(e) => setValue(e.currentTarget.value)}
        aria-describedby="at-time-hint"
        aria-invalid={error ? true : undefined}
      />
      <button type="submit" class="button">
        Show
      </button>
      {at ? (
        <button type="button" class="button button-quiet" onClick={() => onAt(undefined)}>
          Back to now
        </button>
      ) : null}
      <span id="at-time-hint" class="muted small">
        YYYY-MM-DD HH:MM:SS, 24-hour, your time zone: {timeZoneName()}
      </span>
      {error ? (
        <span class="field-error" role="alert">
          {error}
        </span>
      ) : null}
    </form>
  );
}
