/**
 * Redis counters (INCR, which answers the new count, compare-and-set increments with WATCH/MULTI, and GET of the count; docs/lab.md, "Checker"). The counts
 * INCR answers are the stamps of the writes (/work/shared/spec/lab.md §2): unique, one per increment, so the
 * stamped sweeps (stamped.ts) decide linearizability in O(n log n); every op of a Redis key is linearizable. A
 * count reached that no answered INCR returned must be the work of an INCR of unknown outcome called in time.
 */
import type { RedisOp } from '../history.js';
import { describeOp, type Finding } from './finding.js';
import { checkPlaces, unexplainedStamp, type Place } from './stamped.js';

/** INCR, and an increment by WATCH/MULTI compare-and-set: each answers the count it made. */
export const isIncrement = (o: RedisOp): boolean => o.op === 'incr' || o.op === 'cas';

export function checkCounter(key: string, ops: readonly RedisOp[]): Finding[] {
  const out: Finding[] = [];
  const places: Place[] = [];
  const taken = new Set<number>();
  const unknownCalls: number[] = [];
  for (const o of ops) {
    if (isIncrement(o) && o.outcome === 'unknown') unknownCalls.push(o.callMs);
    if (o.outcome !== 'ok' || o.returnMs === null || (!isIncrement(o) && o.op !== 'get')) continue;
    const n = o.value === null || o.value === undefined ? 0 : Number(o.value);
    if (!Number.isSafeInteger(n) || n < (isIncrement(o) ? 1 : 0)) {
      out.push({ text: `${describeOp(o)}: ${key} cannot hold that count`, ops: [o.id] });
      continue;
    }
    if (isIncrement(o)) taken.add(n);
    places.push({ op: o, lo: n, below: n + 1, write: isIncrement(o), linearizable: true, session: null });
  }
  if (out.length > 0) return out;
  checkPlaces(places, (n) => `count ${n}`, out);
  const gap = out.length === 0 ? unexplainedStamp(places, taken, unknownCalls) : null;
  if (gap !== null) {
    out.push({
      text: `${describeOp(gap.shownBy.op)} shows ${key} at ${gap.shownBy.lo}, but no increment answered ${gap.stamp} and too few of unknown outcome were called before it returned`,
      ops: [gap.shownBy.op.id],
    });
  }
  return out;
}
