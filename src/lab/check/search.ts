/**
 * Linearizability by search, for what carries no stamps (docs/lab.md, "Checker"): Wing & Gong's search in Lowe's
 * form, as Porcupine runs it. The history is a list of call and return entries in time order; the search tries to
 * linearize the first pending call whose model step succeeds, backtracks when it meets the return of an op not yet
 * linearized, and remembers every (set of linearized ops, model state) it has been in, so no configuration is
 * explored twice. Exponential in the worst case (NP-complete in general), fast when few ops overlap; it runs per
 * key, under a deadline and a memo bound, and says how far it got: the longest linearizable prefix it found.
 *
 * An op of unknown outcome returns at +∞: it may take effect at any time after its call, or (being last) never
 * visibly.
 */
import type { RedisOp, ZkOp } from '../history.js';

/** The operations a search orders: those that write or read a value. */
type HistoryOp = ZkOp | RedisOp;

/** A sequential specification: `step` gives the state after `op`, or undefined when `op` cannot happen in `state`. */
export interface Model<S> {
  readonly init: S;
  step(state: S, op: HistoryOp): S | undefined;
  /** Equal for equal states (the memo key). */
  key(state: S): string;
}

export type SearchResult =
  | { readonly result: 'ok' }
  /** `longest`: the longest linearizable prefix found; `next`: the ops pending right after it, none of which fits. */
  | { readonly result: 'violation'; readonly longest: readonly HistoryOp[]; readonly next: readonly HistoryOp[] }
  | { readonly result: 'timeout'; readonly longest: readonly HistoryOp[] };

/** Search steps between two looks at the clock. */
export const searchClockEverySteps = 1024;
/** Configurations remembered at most: past it the search stops as out of budget (memory is a budget too). */
export const searchMemoEntriesMax = 2_000_000;

interface Entry {
  readonly i: number;
  readonly call: boolean;
  readonly timeMs: number;
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

/** Searches for a linearization of `ops` (one key's; outcome ok or unknown) by `deadlineMs` (performance.now()). */
export function linearize<S>(ops: readonly HistoryOp[], model: Model<S>, deadlineMs: number): SearchResult {
  const n = ops.length;
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const o = ops[i]!;
    const c: Entry = { i, call: true, timeMs: o.callMs, match: null, prev: null, next: null };
    const r: Entry = { i, call: false, timeMs: o.outcome === 'ok' && o.returnMs !== null ? o.returnMs : Infinity, match: null, prev: null, next: null };
    c.match = r;
    entries.push(c, r);
  }
  // time order; at equal times calls first (an op returning when another is called overlaps it)
  entries.sort((a, b) => a.timeMs - b.timeMs || (a.call === b.call ? a.i - b.i : a.call ? -1 : 1));
  const head: Entry = { i: -1, call: false, timeMs: -Infinity, match: null, prev: null, next: null };
  let prev = head;
  for (const e of entries) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  const lift = (e: Entry) => {
    e.prev!.next = e.next;
    e.next!.prev = e.prev;
    const m = e.match!;
    m.prev!.next = m.next;
    if (m.next !== null) m.next.prev = m.prev;
  };
  const unlift = (e: Entry) => {
    const m = e.match!;
    m.prev!.next = m;
    if (m.next !== null) m.next.prev = m;
    e.prev!.next = e;
    e.next!.prev = e;
  };

  const bits = new Uint16Array(Math.ceil(n / 16));
  const seen = new Set<string>();
  const stack: { e: Entry; state: S }[] = [];
  let state = model.init;
  let longest: number[] = [];
  let nextAtLongest: number[] = [];
  let steps = 0;
  let e: Entry | null = head.next;
  while (head.next !== null) {
    if ((++steps % searchClockEverySteps === 0 && performance.now() > deadlineMs) || seen.size > searchMemoEntriesMax) {
      return { result: 'timeout', longest: longest.map((i) => ops[i]!) };
    }
    if (e!.call) {
      const s = model.step(state, ops[e!.i]!);
      if (s !== undefined) {
        bits[e!.i >> 4]! |= 1 << (e!.i & 15);
        const memo = `${String.fromCharCode(...bits)}|${model.key(s)}`;
        if (!seen.has(memo)) {
          seen.add(memo);
          stack.push({ e: e!, state });
          state = s;
          lift(e!);
          if (stack.length > longest.length) {
            longest = stack.map((x) => x.e.i);
            nextAtLongest = [];
          }
          e = head.next;
          continue;
        }
        bits[e!.i >> 4]! &= ~(1 << (e!.i & 15));
      }
      e = e!.next;
    } else {
      if (stack.length === longest.length && nextAtLongest.length === 0) {
        for (let x: Entry | null = head.next; x !== null && x.call; x = x.next) nextAtLongest.push(x.i);
      }
      const top = stack.pop();
      if (top === undefined) return { result: 'violation', longest: longest.map((i) => ops[i]!), next: nextAtLongest.map((i) => ops[i]!) };
      state = top.state;
      bits[top.e.i >> 4]! &= ~(1 << (top.e.i & 15));
      unlift(top.e);
      e = top.e.next;
    }
  }
  return { result: 'ok' };
}
