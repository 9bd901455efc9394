import type { Report, ReportAccepted } from "@compliance/contract";
import type { Delivery, DrainResult } from "./delivery.ts";
import { AgentError, ConfigError } from "./errors.ts";
import { type Logger, SILENT } from "./log.ts";
import {
  AgentSession,
  logDelivery,
  type SessionCollectOptions,
  type SessionOptions,
} from "./session.ts";

export interface RunOnceOptions extends SessionOptions {
  /** How to collect (window, command lines, paths, ...). */
  collect?: SessionCollectOptions;
  /** What happened to older spooled reports sent along. */
  log?: Logger;
}

export interface RunOnceResult {
  /** The API's acknowledgement of this run's report. */
  accepted: ReportAccepted;
  /** True when this run enrolled (first run, or the API no longer knew the key). */
  enrolled: boolean;
  /** What was sent. */
  report: Report;
  /** Older spooled reports delivered before this one. */
  backlogDelivered: number;
}

/**
 * One check-in: collect the report, put it in the spool, and deliver the spool oldest
 * first (reports an earlier run could not send go before this one). Enrolls when there is
 * no node key; a 401 for a saved key makes it enroll again and resend, once. When the API
 * cannot be reached the report stays spooled for the next run, and the error is thrown.
 */
export async function runOnce(options: RunOnceOptions): Promise<RunOnceResult> {
  const session = AgentSession.open(options);
  try {
    const report = await session.collect(options.collect);
    const entry = session.keep(report);

    const log = options.log ?? SILENT;
    let mine: Delivery | undefined;
    let backlogDelivered = 0;
    const result = await session.deliver({
      onDelivery: (delivered, delivery) => {
        if (delivered.seq === entry.seq) {
          mine = delivery;
          return;
        }
        if (delivery.kind === "stored") backlogDelivered++;
        logDelivery(log, delivered.reportId, delivery);
      },
    });
    const outcome = mine as Delivery | undefined;
    if (outcome?.kind === "stored") {
      return { accepted: outcome.accepted, enrolled: outcome.enrolled, report, backlogDelivered };
    }
    throw notSent(session, outcome, result);
  } finally {
    session.close();
  }
}

/** Why this run's report was not stored, and that it waits for the next run when it does. */
function notSent(
  session: AgentSession,
  outcome: Delivery | undefined,
  result: DrainResult,
): AgentError {
  if (outcome?.kind === "set-aside") return outcome.error;
  const error = result.kind === "failed" ? result.delivery.error : undefined;
  const count = session.waiting;
  const waiting = `${count} report${count === 1 ? "" : "s"} spooled in ${session.spoolDir} for the next run`;
  if (error instanceof AgentError) {
    error.message = `${error.message}; ${waiting}`;
    return error;
  }
  return new ConfigError(`the report was not sent; ${waiting}`);
}
