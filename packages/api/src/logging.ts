import { type Logger, pino } from "pino";

/** Where log lines go: stdout, or a test's stream. */
export interface LogStream {
  write(line: string): unknown;
}

export interface Loggers {
  /** The API's log, at the configured level. */
  log: Logger;
  /**
   * Lines for the operator (the address served, where secrets are): written at info
   * whatever the level, so LOG_LEVEL=warn still says where the API listens.
   */
  notice: Logger;
}

/**
 * One JSON object per line on one stream: the request log, the database's retries, the
 * operator's notices and shutdown alike, so a log shipper reads a single format.
 */
export function createLoggers(level: string, stream: LogStream = process.stdout): Loggers {
  const log = pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      // A secret must never reach the log, even inside an error or a header dump.
      redact: { paths: ["req.headers.authorization", "headers.authorization"], censor: "***" },
    },
    stream as pino.DestinationStream,
  );
  return { log, notice: log.child({}, { level: "info" }) };
}
