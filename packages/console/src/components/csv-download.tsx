import { useState } from "preact/hooks";
import { useClient } from "../hooks.ts";
import { saveFile } from "../save-file.ts";

/**
 * A CSV the API answers at `path`, saved as `fileName`. Fetched with the token, as a plain
 * link cannot carry it; `path` is also shown as the link's address, to copy for scripts.
 */
export function CsvDownload({
  path,
  fileName,
  label,
}: {
  path: string;
  fileName: string;
  label: string;
}) {
  const client = useClient();
  const [state, setState] = useState<"idle" | "busy" | "failed">("idle");
  const [message, setMessage] = useState("");

  const download = async (e: Event) => {
    e.preventDefault();
    setState("busy");
    try {
      saveFile(await client.csv(path), fileName);
      setState("idle");
    } catch (err) {
      setState("failed");
      setMessage(`Could not download the CSV: ${(err as Error).message}`);
    }
  };

  return (
    <span class="download">
      <a
        class="button"
        href={path}
        download={fileName}
        onClick={download}
        aria-busy={state === "busy"}
      >
        {state === "busy" ? "Downloading…" : label}
      </a>
      {state === "failed" ? (
        <span class="field-error" role="alert">
          {message}
        </span>
      ) : null}
    </span>
  );
}
