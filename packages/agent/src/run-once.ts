import type { Report, ReportAccepted } from "@compliance/contract";
import { checkServerUrl } from "./config.ts";
import { ConfigError, RejectedError } from "./errors.ts";
import { type CollectOptions, collectReport } from "./report.ts";
import { StateDir } from "./state.ts";
import { enroll, sendReport, type TransportOptions } from "./transport.ts";

export interface RunOnceOptions {
  /** The API's base URL. */
  serverUrl: string;
  /** Needed when the state directory holds no node key yet, or the API forgot it. */
  enrollSecret?: string;
  /** Holds the node key (and a generated host id on hosts without a machine id). */
  stateDir: string;
  fetch?: typeof fetch;
  /** Per request (default 30 s). */
  timeoutMs?: number;
  /** Wall clock for the report's times. */
  now?: () => Date;
  /** How to collect (window, command lines, paths, ...). */
  collect?: Omit<CollectOptions, "stateDir" | "now">;
}

export interface RunOnceResult {
  /** The API's acknowledgement. */
  accepted: ReportAccepted;
  /** True when this run enrolled (first run, or the API no longer knew the key). */
  enrolled: boolean;
  /** What was sent. */
  report: Report;
}

/**
 * One check-in: collect the report, enroll when there is no node key, send. A 401 for a
 * saved key means the API no longer knows it (database reset, host deleted): the key is
 * dropped and the agent enrolls and resends once, never more.
 */
export async function runOnce(options: RunOnceOptions): Promise<RunOnceResult> {
  const transport: TransportOptions = {
    serverUrl: checkServerUrl(options.serverUrl, "the server URL"),
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
  };
  const state = new StateDir(options.stateDir);
  state.ensure();
  const savedKey = state.readNodeKey();
  if (savedKey === undefined && !options.enrollSecret) {
    throw new ConfigError(
      `not enrolled yet (no node key in ${state.path}) and no enroll secret: set COMPLIANCE_ENROLL_SECRET or --enroll-secret`,
    );
  }
  const report = await collectReport({
    ...options.collect,
    stateDir: options.stateDir,
    now: options.now,
  });

  const enrollNow = async (secret: string): Promise<string> => {
    const answer = await enroll({
      ...transport,
      enrollSecret: secret,
      hostIdentifier: report.host.identifier,
      hostname: report.host.hostname,
    });
    state.saveNodeKey(answer.node_key);
    return answer.node_key;
  };

  let enrolled = false;
  let nodeKey = savedKey;
  if (nodeKey === undefined) {
    nodeKey = await enrollNow(options.enrollSecret as string);
    enrolled = true;
  }
  try {
    return { accepted: await sendReport({ ...transport, nodeKey, report }), enrolled, report };
  } catch (error) {
    const forgotten = error instanceof RejectedError && error.status === 401 && !enrolled;
    if (!forgotten) throw error;
    if (!options.enrollSecret) {
      throw new RejectedError(
        `${error.message} (the API no longer accepts the saved node key; set COMPLIANCE_ENROLL_SECRET or --enroll-secret to enroll again)`,
        error.status,
        error.apiCode,
        { cause: error },
      );
    }
    state.deleteNodeKey();
    nodeKey = await enrollNow(options.enrollSecret);
    return {
      accepted: await sendReport({ ...transport, nodeKey, report }),
      enrolled: true,
      report,
    };
  }
}
