import { useState } from "preact/hooks";
import { useClient } from "../hooks.ts";
import { saveFile } from "../save-file.ts";

/**
 * Saves the report as the agent sent it. A plain link cannot carry the token header, so
 * the report is fetched with it and handed to the browser as a file.
 */
export function DownloadReport({
  reportId,
  hostname,
  collectedAt,
}: {
  reportId: string;
  hostname: string;
  collectedAt: string;
}) {
  const client = useClient();
  const [state, setState] = useState<"idle" | "busy" | "failed">("idle");
  const [message, setMessage] = useState("");

  const download = async () => {
    setState("busy");
    try {
      const blob = await client.rawReport(reportId);
      const stamp = collectedAt.replace(/[:.]/g, "-");
      saveFile(blob, `${hostname || "host"}-${stamp || reportId}.json`);
      setState("idle");
      setMessage("");
    } catch (e) {
      setState("failed");
      setMessage(`Could not download the report: ${(e as Error).message}`);
    }
  };

  return (
    <span class="download">
      <button type="button" class="button" onClick={download} disabled={state === "busy"}>
        {state === "busy" ? "Downloading…" : "Download raw report"}
      </button>
      {state === "failed" ? (
        <span class="field-error" role="alert">
          {message}
        </span>
      ) : null}
    </span>
  );
}
