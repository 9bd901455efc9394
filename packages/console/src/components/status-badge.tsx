import type { Host } from "@compliance/contract";
import { formatAgo } from "../format.ts";

/** Online means the API heard from the host within two agent intervals; it decides, not us. */
export function StatusBadge({ host, long = false }: { host: Host; long?: boolean }) {
  if (!host.last_seen_at) {
    return <span class="badge badge-never">Never reported</span>;
  }
  if (host.online) return <span class="badge badge-online">Online</span>;
  return (
    <span class="badge badge-offline" title={`Last report ${formatAgo(host.last_received_at)}`}>
      Offline{long ? ` · last report ${formatAgo(host.last_received_at)}` : ""}
    </span>
  );
}
