/** A Retry-After longer than this is taken as this: a wrong header must not silence an agent for days. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Parses a Retry-After header: seconds, or an HTTP date. Milliseconds from `now` (the
 * agent's wall clock, ms since the epoch); undefined when there is none or it cannot be read.
 */
export function parseRetryAfter(
  header: string | string[] | undefined,
  now: number,
): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/**
 * The wait before retry number `attempt` (1 = the first retry): exponential, doubling from
 * `initialMs` up to `maxMs`, with "equal jitter" (half fixed, half random) so a fleet that
 * lost the API at the same moment does not come back at the same moment. A Retry-After
 * from the API is a floor.
 */
export function retryDelay(
  attempt: number,
  policy: BackoffPolicy,
  retryAfterMs: number | undefined = undefined,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 40);
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  const delay = Math.round(ceiling / 2 + random() * (ceiling / 2));
  return Math.max(delay, retryAfterMs ?? 0);
}

/** The interval plus or minus up to `jitterMs`, uniformly; never negative. */
export function jittered(
  intervalMs: number,
  jitterMs: number,
  random: () => number = Math.random,
): number {
  return Math.max(0, Math.round(intervalMs + (random() * 2 - 1) * jitterMs));
}
