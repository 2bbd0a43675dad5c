/**
 * Redis lists (RPUSH of unique elements, which answers the new length, and LRANGE 0 -1 of the whole list;
 * docs/lab.md, "Checker"). Every answer shows positions: an RPUSH answering length L put its element at L-1, a
 * read shows every element's position. The checker builds the one list they must all agree with (no element
 * twice, none never pushed or pushed by a failed RPUSH, every read a prefix of it), places an RPUSH of unknown
 * outcome where a read saw its element, and then runs the stamped sweeps (stamped.ts) with a push's stamp its new
 * length and a read's the length it saw, O(n log n) plus the size of the reads.
 */
import type { HistoryOp, RedisOp } from '../history.js';
import { describeOp, findingsMax, type Finding } from './finding.js';
import { checkPlaces, unexplainedStamp, type Place } from './stamped.js';

export function checkList(key: string, ops: readonly RedisOp[]): Finding[] {
  const out: Finding[] = [];
  const report = (text: string, ...by: HistoryOp[]) => {
    if (out.length < findingsMax) out.push({ text, ops: by.map((o) => o.id) });
  };
  const pushOf = new Map<string, RedisOp>();
  for (const o of ops) if (o.op === 'rpush') pushOf.set(String(o.value), o);
  /** Position -> element, and who showed it there. */
  const at: { element: string; by: RedisOp }[] = [];
  const positionOf = new Map<string, { i: number; by: RedisOp }>();
  const show = (i: number, element: string, by: RedisOp) => {
    const known = at[i];
    if (known !== undefined && known.element !== element) return report(`${key}[${i}] is ${JSON.stringify(known.element)} in ${describeOp(known.by)} but ${JSON.stringify(element)} in ${describeOp(by)}`, known.by, by);
    const p = positionOf.get(element);
    if (p !== undefined && p.i !== i) return report(`${JSON.stringify(element)} is at ${key}[${p.i}] in ${describeOp(p.by)} but at [${i}] in ${describeOp(by)} (pushed twice?)`, p.by, by);
    if (known === undefined) at[i] = { element, by };
    if (p === undefined) positionOf.set(element, { i, by });
  };
  for (const o of ops) {
    if (o.outcome !== 'ok' || o.returnMs === null) continue;
    if (o.op === 'rpush') {
      if (o.length === undefined || !Number.isSafeInteger(o.length) || o.length < 1) report(`${describeOp(o)}: answered no valid length`, o);
      else show(o.length - 1, String(o.value), o);
    } else if (o.op === 'lrange') {
      const list = o.list ?? [];
      list.forEach((e, i) => {
        const w = pushOf.get(e);
        if (w === undefined) report(`${describeOp(o)} shows ${JSON.stringify(e)}, never pushed to ${key}`, o);
        else if (w.outcome === 'fail') report(`${describeOp(o)} shows ${JSON.stringify(e)} of a failed push ${describeOp(w)}`, o, w);
        else if (w.callMs > o.returnMs!) report(`read from the future: ${describeOp(o)} shows the element of ${describeOp(w)}, begun after it returned`, o, w);
        show(i, e, o);
      });
    }
    if (out.length >= findingsMax) return out;
  }
  if (out.length > 0) return out;

  const places: Place[] = [];
  const taken = new Set<number>();
  const unknownCalls: number[] = [];
  for (const o of ops) {
    if (o.op === 'rpush') {
      const p = positionOf.get(String(o.value));
      if (o.outcome === 'fail') continue;
      if (p === undefined) {
        if (o.outcome === 'unknown') unknownCalls.push(o.callMs);
        continue;
      }
      taken.add(p.i + 1);
      places.push({ op: o, lo: p.i + 1, below: p.i + 2, write: true, linearizable: true, session: null });
    } else if (o.op === 'lrange' && o.outcome === 'ok' && o.returnMs !== null) {
      const n = (o.list ?? []).length;
      places.push({ op: o, lo: n, below: n + 1, write: false, linearizable: true, session: null });
    }
  }
  checkPlaces(places, (n) => `length ${n}`, out);
  const gap = out.length === 0 ? unexplainedStamp(places, taken, unknownCalls) : null;
  if (gap !== null) report(`${describeOp(gap.shownBy.op)} shows ${key} at length ${gap.shownBy.lo}, but nothing pushed ${key}[${gap.stamp - 1}] in time`, gap.shownBy.op);
  return out;
}
