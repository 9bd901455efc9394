import { CopyBlock } from "./copy-block.tsx";

/** What to run so the first hosts appear: shown wherever the fleet is empty. */
export function EnrollHelp({ onReload }: { onReload: () => void }) {
  const origin = location.origin;
  const command = `COMPLIANCE_SERVER_URL=${origin} COMPLIANCE_ENROLL_SECRET=<enroll secret> compliance-agent run --once`;
  const fromCheckout = `COMPLIANCE_SERVER_URL=${origin} COMPLIANCE_ENROLL_SECRET=<enroll secret> node packages/agent/dist/compliance-agent.js run --once`;
  return (
    <section class="state state-empty enroll" aria-labelledby="enroll-title">
      <h2 id="enroll-title">No hosts yet</h2>
      <p>
        Hosts appear here when their agent sends its first report. On each server you want to watch,
        run the agent once:
      </p>
      <CopyBlock label="Command to enroll a server" text={command} />
      <p>From a checkout of Compliance on that server:</p>
      <CopyBlock label="Command to enroll from a checkout" text={fromCheckout} />
      <ul class="hints">
        <li>
          The <strong>enroll secret</strong> is in <code>data/enroll-secret</code> on the API's
          machine (or is the <code>COMPLIANCE_ENROLL_SECRET</code> the API was started with).
        </li>
        <li>
          Use an address of this API that the server can reach; <code>{origin}</code> is the one
          this browser uses.
        </li>
        <li>
          Leave out <code>--once</code> to keep the agent running and reporting at every interval.
        </li>
      </ul>
      <button type="button" class="button" onClick={onReload}>
        Check again
      </button>
    </section>
  );
}
