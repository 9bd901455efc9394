import { OPEN } from "./positions.ts";

/**
 * Policy results as runs: a policy had one status on a host at every execution from
 * `first` to `last` (OPEN while it still holds). Storage grows with changes of status, not
 * with executions. This is how one new execution, placed between its neighbours P and X,
 * changes the runs of one policy on its host. Pure: the store reads the runs and writes.
 */

export interface Run {
  id: number;
  status: string;
  first: number;
  last: number;
}

export interface RunWrites {
  setLast: { id: number; last: number }[];
  setFirst: { id: number; first: number }[];
  remove: number[];
  insert: { status: string; first: number; last: number }[];
  /** The status the host had at P, when it differs from the new one (or null: none known). */
  changedFrom: string | null | undefined;
}

export interface RunInput {
  status: string;
  pos: number;
  prevPos: number | null;
  nextPos: number | null;
  /** The host's runs of this policy and version with last >= P and first <= X. */
  runs: readonly Run[];
}

const contains = (r: Run, pos: number) => r.first <= pos && r.last >= pos;

/**
 * The writes that give the new execution `status`. `changedFrom` is undefined when the
 * status at P is the same (nothing happened), else the status at P (null when there was
 * none, e.g. the host's first execution or the policy's first evaluation).
 */
export function planRun(input: RunInput): RunWrites {
  const { status, pos, prevPos, nextPos, runs } = input;
  const writes: RunWrites = {
    setLast: [],
    setFirst: [],
    remove: [],
    insert: [],
    changedFrom: undefined,
  };
  const atPrev = prevPos === null ? undefined : runs.find((r) => contains(r, prevPos));
  const atNext = nextPos === null ? undefined : runs.find((r) => contains(r, nextPos));
  writes.changedFrom = atPrev?.status === status ? undefined : (atPrev?.status ?? null);
  const lastOfNew = nextPos === null ? OPEN : pos;
  const covering = runs.find((r) => contains(r, pos));
  if (covering) {
    if (covering.status === status) return writes;
    // Cut the run around the new execution: what it held before P and from X on stays.
    writes.remove.push(covering.id);
    if (prevPos !== null && covering.first <= prevPos) {
      writes.insert.push({ status: covering.status, first: covering.first, last: prevPos });
    }
    writes.insert.push({ status, first: pos, last: lastOfNew });
    if (nextPos !== null && covering.last >= nextPos) {
      writes.insert.push({ status: covering.status, first: nextPos, last: covering.last });
    }
    return writes;
  }
  const joinsPrev = atPrev !== undefined && atPrev.status === status;
  const joinsNext = atNext !== undefined && atNext.status === status;
  if (joinsPrev && joinsNext) {
    writes.setLast.push({ id: atPrev.id, last: atNext.last });
    writes.remove.push(atNext.id);
  } else if (joinsPrev) {
    writes.setLast.push({ id: atPrev.id, last: lastOfNew });
  } else if (joinsNext) {
    writes.setFirst.push({ id: atNext.id, first: pos });
  } else {
    writes.insert.push({ status, first: pos, last: lastOfNew });
  }
  return writes;
}

/** The runs of a whole history: one per stretch of equal statuses, the last one open. */
export function runsOf(statuses: readonly { pos: number; status: string }[]): Omit<Run, "id">[] {
  const runs: Omit<Run, "id">[] = [];
  for (const { pos, status } of statuses) {
    const last = runs.at(-1);
    if (last && last.status === status) last.last = pos;
    else runs.push({ status, first: pos, last: pos });
  }
  const open = runs.at(-1);
  if (open) open.last = OPEN;
  return runs;
}
