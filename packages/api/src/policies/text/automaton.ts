import { type CharTest, type Node, PatternError } from "./syntax.ts";

/**
 * Runs a pattern's syntax tree as a finite automaton: a Thompson NFA turned into a DFA
 * lazily, one state per set of NFA states actually met. Each input character costs one
 * table look-up once its transition is known, at most one pass over the NFA when it is
 * not, so matching is linear in the input whatever the pattern: no backtracking, hence no
 * catastrophic backtracking on hostile command lines.
 */

type NfaState =
  | { k: "char"; test: CharTest; next: number }
  | { k: "split"; a: number; b: number }
  | { k: "start"; next: number }
  | { k: "end"; next: number }
  | { k: "match" };

/** NFA states one pattern may need; counted repetitions are what make an NFA large. */
export const MAX_NFA_STATES = 10_000;
/** DFA states kept per pattern; past this the cache starts afresh (memory stays bounded). */
const MAX_DFA_STATES = 2_000;

class Nfa {
  readonly states: NfaState[] = [{ k: "match" }];
  readonly match = 0;

  add(state: NfaState): number {
    if (this.states.length >= MAX_NFA_STATES) {
      throw new PatternError(`needs more than ${MAX_NFA_STATES} automaton states`);
    }
    this.states.push(state);
    return this.states.length - 1;
  }

  /** Builds node so that it continues to `next`; returns its entry state. */
  build(node: Node, next: number): number {
    switch (node.t) {
      case "char":
        return this.add({ k: "char", test: node.test, next });
      case "start":
        return this.add({ k: "start", next });
      case "end":
        return this.add({ k: "end", next });
      case "cat":
        return node.items.reduceRight((to, item) => this.build(item, to), next);
      case "alt": {
        const entries = node.options.map((o) => this.build(o, next));
        return entries.reduceRight((rest, entry) => this.add({ k: "split", a: entry, b: rest }));
      }
      case "repeat":
        return this.repeat(node, next);
    }
  }

  private repeat(node: Extract<Node, { t: "repeat" }>, next: number): number {
    let tail = next;
    if (node.max === Infinity) {
      const loop = this.add({ k: "split", a: -1, b: next });
      (this.states[loop] as { a: number }).a = this.build(node.node, loop);
      tail = loop;
    } else {
      for (let k = node.min; k < node.max; k++) {
        tail = this.add({ k: "split", a: this.build(node.node, tail), b: next });
      }
    }
    for (let k = 0; k < node.min; k++) tail = this.build(node.node, tail);
    return tail;
  }
}

type DfaState = {
  /** The NFA states that read a character, wait for the end, or accept. */
  leaves: readonly number[];
  match: boolean;
  endMatch: boolean | undefined;
  ascii: (DfaState | undefined)[];
  other: Map<number, DfaState>;
};

/**
 * A matcher for the pattern: true when it matches somewhere in the text (search, not a
 * whole-string match; anchors say otherwise).
 */
export function compileAutomaton(node: Node): (text: string) => boolean {
  const nfa = new Nfa();
  const entry = nfa.build(node, nfa.match);
  const states = nfa.states;
  let cache = new Map<string, DfaState>();

  /** The leaves reachable from seeds without reading a character. */
  const close = (seeds: readonly number[], atStart: boolean, atEnd: boolean): number[] => {
    const seen = new Uint8Array(states.length);
    const stack = [...seeds];
    const leaves: number[] = [];
    while (stack.length > 0) {
      const id = stack.pop() as number;
      if (seen[id]) continue;
      seen[id] = 1;
      const s = states[id] as NfaState;
      if (s.k === "split") stack.push(s.b, s.a);
      else if (s.k === "start") {
        if (atStart) stack.push(s.next);
      } else if (s.k === "end" && atEnd) stack.push(s.next);
      else leaves.push(id);
    }
    return leaves.sort((x, y) => x - y);
  };

  const intern = (leaves: number[]): DfaState => {
    const key = leaves.join(",");
    let state = cache.get(key);
    if (!state) {
      if (cache.size >= MAX_DFA_STATES) cache = new Map();
      const match = leaves.includes(nfa.match);
      state = { leaves, match, endMatch: undefined, ascii: [], other: new Map() };
      cache.set(key, state);
    }
    return state;
  };

  const step = (from: DfaState, c: number): DfaState => {
    const known = c < 128 ? from.ascii[c] : from.other.get(c);
    if (known) return known;
    const moved: number[] = [entry];
    for (const id of from.leaves) {
      const s = states[id] as NfaState;
      if (s.k === "char" && s.test(c)) moved.push(s.next);
    }
    const to = intern(close(moved, false, false));
    if (c < 128) from.ascii[c] = to;
    else from.other.set(c, to);
    return to;
  };

  const endMatch = (state: DfaState, atStart: boolean): boolean => {
    if (!atStart && state.endMatch !== undefined) return state.endMatch;
    const result = close(state.leaves, atStart, true).includes(nfa.match);
    if (!atStart) state.endMatch = result;
    return result;
  };

  return (text) => {
    let state = intern(close([entry], true, false));
    if (state.match) return true;
    for (let i = 0; i < text.length; i++) {
      state = step(state, text.charCodeAt(i));
      if (state.match) return true;
    }
    return endMatch(state, text.length === 0);
  };
}
