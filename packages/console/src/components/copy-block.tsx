import { useState } from "preact/hooks";

/** A command to paste into a terminal, with a button that copies it. */
export function CopyBlock({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState<"idle" | "done" | "failed">("idle");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied("done");
    } catch {
      // Clipboard access needs a secure origin or a permission: the text is selectable anyway.
      setCopied("failed");
    }
  };
  return (
    <figure class="copy-block">
      <figcaption class="sr-only">{label}</figcaption>
      <pre>
        <code>{text}</code>
      </pre>
      <button type="button" class="button button-quiet" onClick={copy}>
        {copied === "done" ? "Copied" : "Copy"}
      </button>
      <span class="sr-only" aria-live="polite">
        {copied === "done" ? "Copied to the clipboard" : ""}
        {copied === "failed" ? "Could not copy: select the text and copy it" : ""}
      </span>
    </figure>
  );
}
