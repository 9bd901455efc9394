import { useEffect, useRef, useState } from "preact/hooks";
import { useDebounced } from "../hooks.ts";

/**
 * A search box that reports its text once typing pauses (and at once on Enter), so a
 * list is asked for once per word rather than once per key.
 */
export function SearchField({
  id,
  label,
  placeholder,
  value,
  onSearch,
  delayMs = 250,
  visibleLabel = true,
}: {
  id: string;
  label: string;
  placeholder: string;
  value: string;
  onSearch: (text: string) => void;
  delayMs?: number;
  visibleLabel?: boolean;
}) {
  const [text, setText] = useState(value);
  const settled = useDebounced(text, delayMs);
  const sent = useRef(value);
  const latest = useRef(onSearch);
  latest.current = onSearch;

  // A change of the route from elsewhere (Back, a link) shows in the box.
  useEffect(() => {
    if (value !== sent.current) {
      sent.current = value;
      setText(value);
    }
  }, [value]);

  useEffect(() => {
    const q = settled.trim();
    if (q !== sent.current) {
      sent.current = q;
      latest.current(q);
    }
  }, [settled]);

  return (
    <search>
      <form
        class="searchbar"
        onSubmit={(e) => {
          e.preventDefault();
          sent.current = text.trim();
          latest.current(text.trim());
        }}
      >
        <label for={id} class={visibleLabel ? undefined : "sr-only"}>
          {label}
        </label>
        <input
          id={id}
          type="search"
          placeholder={placeholder}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          autoComplete="off"
          spellcheck={false}
        />
      </form>
    </search>
  );
}
