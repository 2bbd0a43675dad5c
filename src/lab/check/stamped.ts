/**
 * The sweeps shared by every checker whose server stamps its answers with a place in one total order of writes
 * (ZooKeeper's zxids, a Redis counter's INCR results, a Redis list's RPUSH lengths; /work/shared/spec/lab.md §2).
 * Each op comes with the interval of states it may have been served at, [lo, below): a write exactly its stamp, a
 * read what its answer shows. The checks are sorts and sweeps, O(n log n):
 *
 *  - stamps of writes are unique;
 *  - per session (when sessions are only sequentially consistent), the ops in order never go back in state;
 *  - a linearizable op is at or after every state an op that returned before it began showed;
 *  - no read shows a write begun after the read returned.
 */
import type { HistoryOp } from '../history.js';
import { describeOp, findingsMax, type Finding } from './finding.js';

export interface Place {
  readonly op: HistoryOp;
  /** Served at a state s with lo <= s < below (a write: its stamp, below = stamp + 1). */
  readonly lo: number;
  readonly below: number;
  readonly write: boolean;
  /** Must see every state shown before it began (a write, a sync-then-read, any Redis op). */
  readonly linearizable: boolean;
  /** Checked for sequential consistency within this session (null: not). */
  readonly session: string | null;
}

/** Binary search: the first index of `xs` (sorted by `key`) whose key is > t. */
export function firstAfter<T>(xs: readonly T[], key: (x: T) => number, t: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(xs[mid]!) > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Runs the sweeps over `places`, adding findings to `out` (at most findingsMax); `at` names a stamp in words.
 * Ops of unknown outcome may be writes placed where a read saw them: they take part as never returned.
 */
export function checkPlaces(places: readonly Place[], at: (n: number) => string, out: Finding[]): void {
  const report = (text: string, ...by: HistoryOp[]): boolean => {
    if (out.length < findingsMax) out.push({ text, ops: by.map((o) => o.id) });
    return out.length >= findingsMax;
  };
  const writes = places.filter((p) => p.write).sort((a, b) => a.lo - b.lo);
  for (let i = 1; i < writes.length; i++) {
    const a = writes[i - 1]!;
    const b = writes[i]!;
    if (a.lo === b.lo && report(`two writes stamped ${at(a.lo)}: ${describeOp(a.op)} and ${describeOp(b.op)}`, a.op, b.op)) return;
  }
  const byCall = [...places].sort((a, b) => a.op.callMs - b.op.callMs || a.op.id - b.op.id);
  const answered = (p: Place) => p.op.outcome === 'ok' && p.op.returnMs !== null;

  const seen = new Map<string, Place>();
  for (const p of byCall) {
    if (p.session === null || !answered(p)) continue;
    const prev = seen.get(p.session);
    // a write comes after everything its session saw before it (strictly: what it saw did not include it yet)
    if (prev !== undefined && prev.lo >= (p.write ? p.lo : p.below)) {
      if (report(`session ${p.session} went back in time: ${describeOp(p.op)} (below ${at(p.below)}) after ${describeOp(prev.op)} (${at(prev.lo)} or later)`, prev.op, p.op)) return;
    }
    if (prev === undefined || p.lo > prev.lo) seen.set(p.session, p);
  }

  const byReturn = places.filter(answered).sort((a, b) => a.op.returnMs! - b.op.returnMs!);
  const writesByCall = writes.slice().sort((a, b) => a.op.callMs - b.op.callMs);
  const suffixMin: (Place | null)[] = new Array<Place | null>(writesByCall.length + 1).fill(null);
  for (let i = writesByCall.length - 1; i >= 0; i--) {
    const next = suffixMin[i + 1]!;
    suffixMin[i] = next === null || writesByCall[i]!.lo < next.lo ? writesByCall[i]! : next;
  }
  let j = 0;
  let doneBefore: Place | null = null;
  for (const p of byCall) {
    while (j < byReturn.length && byReturn[j]!.op.returnMs! < p.op.callMs) {
      const q = byReturn[j++]!;
      if (doneBefore === null || q.lo > doneBefore.lo) doneBefore = q;
    }
    if (p.linearizable && doneBefore !== null && doneBefore.lo >= p.below) {
      const before = `${describeOp(doneBefore.op)} showed ${at(doneBefore.lo)} before it began`;
      const text = p.write ? `write ${describeOp(p.op)} ordered at ${at(p.lo)}, yet ${before}` : `stale read: ${describeOp(p.op)} (below ${at(p.below)}), yet ${before}`;
      if (report(text, doneBefore.op, p.op)) return;
    }
    if (p.write || p.op.returnMs === null) continue;
    const after = suffixMin[firstAfter(writesByCall, (w) => w.op.callMs, p.op.returnMs)];
    if (after !== null && after !== undefined && after.lo <= p.lo) {
      if (report(`read from the future: ${describeOp(p.op)} (${at(p.lo)} or later) includes ${describeOp(after.op)} at ${at(after.lo)}, begun after it returned`, p.op, after.op)) return;
    }
  }
}

/**
 * Stamps no answer showed (a count or a list length reached, but no answered write has it) were made by writes of
 * unknown outcome: each missing stamp m needs its own such write, called no later than the first answer that showed m
 * or more returned. Greedy in stamp order (the deadlines grow with m), O(n log n). Returns the first stamp that no
 * write can explain, or null.
 */
export function unexplainedStamp(places: readonly Place[], taken: ReadonlySet<number>, unknownCallsMs: readonly number[]): { stamp: number; shownBy: Place } | null {
  const shown = places.filter((p) => p.op.outcome === 'ok' && p.op.returnMs !== null).sort((a, b) => b.lo - a.lo);
  if (shown.length === 0) return null;
  // deadline(m): the earliest return among answers showing m or more (walk down in stamp, keeping the minimum)
  const calls = [...unknownCallsMs].sort((a, b) => a - b);
  const missing: { stamp: number; by: Place }[] = [];
  let best: Place | null = null;
  let k = 0;
  for (let m = shown[0]!.lo; m >= 1; m--) {
    while (k < shown.length && shown[k]!.lo >= m) {
      const p = shown[k++]!;
      if (best === null || p.op.returnMs! < best.op.returnMs!) best = p;
    }
    if (!taken.has(m)) missing.push({ stamp: m, by: best! });
    if (missing.length > calls.length) break;
  }
  missing.reverse();
  for (let i = 0; i < missing.length; i++) {
    const need = missing[i]!;
    if (i >= calls.length || calls[i]! > need.by.op.returnMs!) return { stamp: need.stamp, shownBy: need.by };
  }
  return null;
}
