/**
 * Why the store refused a write, by behaviour. The store knows nothing of HTTP: the API maps
 * each code to its answer in one place (../errors.ts).
 */
export type StoreErrorCode =
  /** The report_id is stored already, for another host. */
  | "report_id_taken"
  /** More reports of one host collected in one millisecond than positions can tell apart. */
  | "too_many_reports"
  /** The host's latest execution is not the one the caller built on: read again, retry. */
  | "latest_changed"
  /** A search matches more than it may read at once: the caller should narrow it. */
  | "search_too_broad";

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "StoreError";
  }
}
