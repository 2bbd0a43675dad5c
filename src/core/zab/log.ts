/** The in-memory log window (appends, trimming, the commit point) and the choice of sync for a peer. */
import type { LogEntry, SyncMode } from '../../protocol/broadcast.js';
import { zxidCounter, zxidEpoch, type Zxid } from '../../protocol/zxid.js';
import { storage, type Out, type S } from './shared.js';
import type { ZabState } from './types.js';

/** Is `z` the entry right after `prev` in a ZAB history? (next counter in the same epoch, or counter 1 of a later one) */
export function isNextZxid(prev: Zxid, z: Zxid): boolean {
  if (zxidEpoch(z) === zxidEpoch(prev)) return z === prev + 1;
  return zxidEpoch(z) > zxidEpoch(prev) && zxidCounter(z) === 1;
}

/**
 * Which sync for a follower whose last zxid is `peer`, given the leader's log window. Same zxid ⇒ same history
 * up to it (one leader per epoch, contiguous logs), so:
 *  - `peer` is in the leader's log (window, its base, or lastAppended) ⇒ DIFF from there;
 *  - otherwise, epoch E = epoch(peer): both logs hold every epoch-E zxid from counter 1 (or their snapshot) to
 *    their last one, so the leader's last epoch-E zxid `t` below `peer` is in both ⇒ TRUNC to t, then DIFF;
 *  - otherwise (too old for the window, or no common point known) ⇒ SNAP.
 */
export function chooseSync(
  window: readonly LogEntry[],
  windowBase: Zxid,
  lastAppended: Zxid,
  peer: Zxid,
): { mode: SyncMode; from: Zxid } {
  if (peer === lastAppended || peer === windowBase) return { mode: 'DIFF', from: peer };
  const e = zxidEpoch(peer);
  let t: Zxid | null = zxidEpoch(windowBase) === e && windowBase < peer ? windowBase : null;
  for (const en of window) {
    if (en.zxid === peer) return { mode: 'DIFF', from: peer };
    if (zxidEpoch(en.zxid) === e && en.zxid < peer) t = en.zxid;
  }
  if (t !== null) return { mode: 'TRUNC', from: t };
  return { mode: 'SNAP', from: peer };
}

/**
 * Drop committed entries beyond the window bound. Trimming copies the window, so it happens in batches: the
 * window holds at most logWindowMax + windowTrimBatch(logWindowMax) entries and is cut back to logWindowMax.
 */
export function windowTrimBatch(logWindowMax: number): number {
  return Math.max(1, Math.floor(logWindowMax / 4));
}
export function windowOf<T>(s: ZabState<T>): readonly LogEntry<T>[] {
  return s.window.length === s.windowLen ? s.window : s.window.slice(0, s.windowLen);
}

export function setWindow<T>(s: S<T>, w: readonly LogEntry<T>[]): void {
  s.window = w;
  s.windowLen = w.length;
}

export function trimWindow<T>(s: S<T>): void {
  if (s.windowLen <= s.cfg.logWindowMax + windowTrimBatch(s.cfg.logWindowMax) - 1) return;
  const over = s.windowLen - s.cfg.logWindowMax;
  if (over <= 0) return;
  let n = 0;
  while (n < over && s.window[n]!.zxid <= s.committed) n++;
  if (n === 0) return;
  s.windowBase = s.window[n - 1]!.zxid;
  setWindow(s, s.window.slice(n, s.windowLen));
}

export function appendEntries<T>(s: S<T>, out: Out<T>, entries: readonly LogEntry<T>[]): void {
  if (entries.length === 0) return;
  let w = s.window as LogEntry<T>[];
  if (w.length !== s.windowLen) w = w.slice(0, s.windowLen); // a step from an older state: copy, then push
  for (const e of entries) w.push(e);
  setWindow(s, w);
  s.lastAppended = entries[entries.length - 1]!.zxid;
  storage(out, { type: 'AppendLog', gen: s.logGen, entries });
  trimWindow(s);
}

export function commitTo<T>(s: S<T>, out: Out<T>, z: Zxid): boolean {
  const c = Math.min(z, s.lastAppended);
  if (c <= s.committed) return false;
  s.committed = c;
  storage(out, { type: 'CommitTo', zxid: c });
  out.push({ type: 'Committed', zxid: c });
  trimWindow(s);
  return true;
}
