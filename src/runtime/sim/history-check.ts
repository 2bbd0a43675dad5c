/**
 * Checks of what the swarm's clients saw, without exponential search (docs/swarm-mutations.md; the method is the
 * one of /work/shared/spec/lab.md §2): ZooKeeper stamps every answer with a zxid — a write's reply with its own,
 * a read's with the zxid of the state it read — and zxids totally order the writes, so each check is a sort and a
 * sweep, O(n log n):
 *
 *  - sequential consistency per session: a session's answers never go back in zxid (it reads its own writes and
 *    never sees older state than it saw before);
 *  - linearizable writes: a write acknowledged before another write began has the smaller zxid;
 *  - linearizable sync-then-read: the read's zxid lies in [the largest zxid of a write acknowledged before the sync
 *    began .. below the smallest zxid of a write begun after the read returned];
 *  - watches: a session's watch on a path fires at most once per time it was set, and a session's notifications
 *    arrive in zxid order.
 *
 * Operations whose outcome is unknown (timeouts, lost connections) carry no stamp and are left out: the checks
 * can miss an anomaly they hide, never report a false one. Plain reads are only sequentially consistent, as in
 * ZooKeeper, so they take part in the per-session check only.
 */
import { zxidHex, type Zxid } from '../../protocol/zxid.js';

export type ClientOpKind = 'write' | 'read' | 'syncRead';

/** One answered client operation. */
export interface ClientOp {
  /**
   * The session (and connection) it ran on: its operations are sequential. null: not known for sure (the
   * connection broke while it ran); then it takes part in the global checks only.
   */
  readonly session: string | null;
  readonly kind: ClientOpKind;
  /** Virtual time it began (for a sync-then-read: the sync's start) and its answer came back. */
  readonly invokedMs: number;
  readonly returnedMs: number;
  /** A write's zxid; a read's: the zxid of the state it read. */
  readonly zxid: Zxid;
  readonly what: string;
}

/** A watch set by a successful read, and a notification a session received. */
export interface WatchSet {
  readonly session: string;
  readonly path: string;
}
export interface WatchFired {
  readonly session: string;
  readonly path: string;
  readonly zxid: Zxid;
  readonly atMs: number;
}

/** Violations reported at most (the first ones tell the story). */
export const historyViolationsMax = 10;

function fmt(o: ClientOp): string {
  return `${o.what} [${o.invokedMs.toFixed(1)}..${o.returnedMs.toFixed(1)} ms] at ${zxidHex(o.zxid)}`;
}

/** Session order: every session's answers (in the order it issued them) are non-decreasing in zxid. */
export function checkSessions(ops: readonly ClientOp[]): string[] {
  const out: string[] = [];
  const last = new Map<string, ClientOp>();
  for (const o of [...ops].sort((a, b) => a.invokedMs - b.invokedMs)) {
    if (o.session === null) continue;
    const prev = last.get(o.session);
    if (prev !== undefined && o.zxid < prev.zxid) out.push(`session ${o.session} went back in time: ${fmt(o)} after ${fmt(prev)}`);
    if (prev === undefined || o.zxid >= prev.zxid) last.set(o.session, o);
    if (out.length >= historyViolationsMax) break;
  }
  return out;
}

/** Writes and sync-then-reads are linearizable with respect to the zxid order of the writes. */
export function checkLinearizable(ops: readonly ClientOp[]): string[] {
  const out: string[] = [];
  const writes = ops.filter((o) => o.kind === 'write');
  const byReturn = [...writes].sort((a, b) => a.returnedMs - b.returnedMs);
  const byInvoke = [...writes].sort((a, b) => a.invokedMs - b.invokedMs);
  // suffix minimum of the zxids of the writes begun at or after each position of byInvoke
  const suffixMin: (ClientOp | null)[] = new Array(byInvoke.length + 1).fill(null);
  for (let i = byInvoke.length - 1; i >= 0; i--) {
    const next = suffixMin[i + 1];
    suffixMin[i] = next === null || next === undefined || byInvoke[i]!.zxid < next.zxid ? byInvoke[i]! : next;
  }
  const firstInvokedAfter = (t: number): ClientOp | null => {
    let lo = 0;
    let hi = byInvoke.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byInvoke[mid]!.invokedMs > t) hi = mid;
      else lo = mid + 1;
    }
    return suffixMin[lo] ?? null;
  };
  // sweep in invocation order, folding in every write acknowledged before the current op began
  const checked = ops.filter((o) => o.kind !== 'read').sort((a, b) => a.invokedMs - b.invokedMs);
  let j = 0;
  let maxBefore: ClientOp | null = null;
  for (const o of checked) {
    while (j < byReturn.length && byReturn[j]!.returnedMs < o.invokedMs) {
      const w = byReturn[j++]!;
      if (maxBefore === null || w.zxid > maxBefore.zxid) maxBefore = w;
    }
    if (o.kind === 'write') {
      if (maxBefore !== null && o.zxid <= maxBefore.zxid) out.push(`write ${fmt(o)} ordered before ${fmt(maxBefore)}, acknowledged before it began`);
    } else {
      if (maxBefore !== null && o.zxid < maxBefore.zxid) out.push(`stale sync-then-read: ${fmt(o)} misses ${fmt(maxBefore)}, acknowledged before it began`);
      const after = firstInvokedAfter(o.returnedMs);
      if (after !== null && o.zxid >= after.zxid) out.push(`sync-then-read from the future: ${fmt(o)} saw ${fmt(after)}, begun after it returned`);
    }
    if (out.length >= historyViolationsMax) break;
  }
  return out;
}

/** Watches fire at most once per setting, and each session's notifications come in zxid order. */
export function checkWatches(sets: readonly WatchSet[], fired: readonly WatchFired[]): string[] {
  const out: string[] = [];
  const armed = new Map<string, number>();
  for (const w of sets) armed.set(`${w.session} ${w.path}`, (armed.get(`${w.session} ${w.path}`) ?? 0) + 1);
  const last = new Map<string, WatchFired>();
  for (const f of fired) {
    const key = `${f.session} ${f.path}`;
    const left = armed.get(key) ?? 0;
    if (left <= 0) out.push(`watch on ${f.path} fired for session ${f.session} at ${zxidHex(f.zxid)} (t=${f.atMs.toFixed(1)} ms) more often than it was set`);
    armed.set(key, left - 1);
    const prev = last.get(f.session);
    if (prev !== undefined && f.zxid < prev.zxid) out.push(`session ${f.session} got the watch on ${f.path} at ${zxidHex(f.zxid)} after the one on ${prev.path} at ${zxidHex(prev.zxid)}`);
    last.set(f.session, f);
    if (out.length >= historyViolationsMax) break;
  }
  return out;
}

/** Every check; the violations found (empty: the history passed). */
export function checkHistory(ops: readonly ClientOp[], sets: readonly WatchSet[], fired: readonly WatchFired[]): string[] {
  return [...checkSessions(ops), ...checkLinearizable(ops), ...checkWatches(sets, fired)].slice(0, historyViolationsMax);
}
