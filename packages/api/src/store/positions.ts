/**
 * Positions order a host's executions: collected_at in milliseconds × 1000, plus a
 * tie-breaker for reports collected in the same millisecond. History is ordered by when the
 * agent collected a report, not when it arrived.
 */
export const POS_PER_MS = 1000;

/** last_pos of a lifetime that is still open (present in its host's latest execution). */
export const OPEN = Number.MAX_SAFE_INTEGER;

/** The first position of a millisecond. */
export const posOfTime = (ms: number) => ms * POS_PER_MS;

/** The millisecond a position belongs to. */
export const timeOfPos = (pos: number) => Math.floor(pos / POS_PER_MS);

/** The RFC 3339 time of a position. */
export const isoOfPos = (pos: number) => new Date(timeOfPos(pos)).toISOString();

/** Epoch milliseconds as RFC 3339, keeping null. */
export const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
