import { oneLine } from "./errors.ts";

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * One line per event on stderr, `<level> <message>`: the service manager (journald) adds
 * the time and the unit, and a line is one event for whoever greps it.
 */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

export function createLogger(
  stream: { write(text: string): unknown },
  level: LogLevel = "info",
): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const at =
    (name: LogLevel) =>
    (message: string): void => {
      if (LOG_LEVELS.indexOf(name) <= threshold) stream.write(`${name} ${oneLine(message)}\n`);
    };
  return { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
}

export const SILENT: Logger = { error() {}, warn() {}, info() {}, debug() {} };
