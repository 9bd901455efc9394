// Seeded randomness for the benchmarks: the same seed gives the same fleet and the same
// samples on every run and machine, so a run that fails fails again.

/**
 * A xorshift generator: deterministic across runs and machines. The seed is mixed first
 * (a murmur3 finalizer), so that neighbouring seeds give unrelated sequences.
 */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  s = Math.imul(s ^ (s >>> 16), 0x85ebca6b);
  s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35);
  s = (s ^ (s >>> 16)) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/**
 * The clock of a generated fleet: host i's first check-in is at
 * `start + i * stagger + interval`, then one every `interval`, `executions` in all.
 */
export interface FleetClock {
  start: number;
  interval: number;
  stagger: number;
  hosts: number;
  executions: number;
}

/** The first and last check-in of host `index` (0-based). */
export function hostHistory(clock: FleetClock, index: number): [number, number] {
  const first = clock.start + index * clock.stagger + clock.interval;
  return [first, first + (clock.executions - 1) * clock.interval];
}

/** The span every host has history for: the last host's first check-in to the first host's last. */
export function fleetHistory(clock: FleetClock): [number, number] {
  return [hostHistory(clock, clock.hosts - 1)[0], hostHistory(clock, 0)[1]];
}

/** A time drawn from `[from, to]` (both included, to the millisecond), as ISO text. */
export function timeWithin(random: () => number, [from, to]: [number, number]): string {
  return new Date(from + Math.floor(random() * (to - from + 1))).toISOString();
}
