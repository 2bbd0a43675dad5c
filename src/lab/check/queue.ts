/**
 * Redis lists used as queues (RPUSH of unique elements at the tail, LPOP/BLPOP at the head, answering the element
 * or nil; LRANGE 0 -1 reads of the whole list, `final` ones after every fault is undone; docs/lab.md, "Checker").
 * Without search, in sorts and sweeps (O(n log n)), what a FIFO queue allows:
 *
 *  - every element popped was pushed by a push that did not fail and began before the pop returned, and no two
 *    answered pops got the same element;
 *  - order: when a's push returned before b's push began, b's pop cannot return before a's pop began (a was ahead
 *    of b the whole time), nor may a still be in the queue at the end while b was popped;
 *  - a pop that answered nil: no element was in the queue all through it (pushed before it began, popped only after
 *    it returned, or never);
 *  - a final read: it shows no popped element; each acknowledged push is either popped or in it, except as many
 *    as there were pops of unknown outcome.
 *
 * Each rule is necessary for a FIFO queue (a finding is a real violation); together they are not a full
 * linearizability check (test/lab/queue-check.test.ts compares them with the brute-force checker both ways).
 */
import type { HistoryOp, RedisOp } from '../history.js';
import { describeOp, findingsMax, type Finding } from './finding.js';

/** The ops that remove from the head. */
const isPop = (o: RedisOp) => o.op === 'lpop' || o.op === 'blpop';

export function checkQueue(key: string, ops: readonly RedisOp[]): Finding[] {
  const out: Finding[] = [];
  const report = (text: string, ...by: HistoryOp[]) => {
    if (out.length < findingsMax) out.push({ text, ops: by.map((o) => o.id) });
  };
  const pushOf = new Map<string, RedisOp>();
  for (const o of ops) if (o.op === 'rpush') pushOf.set(String(o.value), o);
  const popOf = new Map<string, RedisOp>();
  const emptyPops: RedisOp[] = [];
  let popsUnknown = 0;
  for (const o of ops) {
    if (!isPop(o)) continue;
    if (o.outcome === 'unknown') popsUnknown++;
    if (o.outcome !== 'ok' || o.returnMs === null) continue;
    if (o.value === null || o.value === undefined) {
      emptyPops.push(o);
      continue;
    }
    const e = String(o.value);
    const w = pushOf.get(e);
    if (w === undefined) report(`${describeOp(o)} popped ${JSON.stringify(e)}, never pushed to ${key}`, o);
    else if (w.outcome === 'fail') report(`${describeOp(o)} popped the element of a failed push ${describeOp(w)}`, o, w);
    else if (w.callMs > o.returnMs) report(`pop from the future: ${describeOp(o)} got the element of ${describeOp(w)}, begun after it returned`, o, w);
    const twice = popOf.get(e);
    if (twice !== undefined) report(`${JSON.stringify(e)} popped twice: ${describeOp(twice)} and ${describeOp(o)}`, twice, o);
    else popOf.set(e, o);
  }

  // The final reads (after the faults): the queue's end state.
  const finals = ops.filter((o) => o.op === 'lrange' && o.outcome === 'ok' && o.final === true);
  const last = finals.length > 0 ? finals[finals.length - 1]! : null;
  const held = new Set(last?.list ?? []);
  if (last !== null) {
    for (const e of held) {
      const p = popOf.get(e);
      if (p !== undefined) report(`${describeOp(last)} still holds ${JSON.stringify(e)}, popped by ${describeOp(p)}`, last, p);
      else if (!pushOf.has(e)) report(`${describeOp(last)} holds ${JSON.stringify(e)}, never pushed to ${key}`, last);
    }
    const lost = [...pushOf.values()].filter((w) => w.outcome === 'ok' && !popOf.has(String(w.value)) && !held.has(String(w.value)));
    if (lost.length > popsUnknown) {
      report(`${lost.length} acknowledged pushes to ${key} are neither popped nor in ${describeOp(last)}, with ${popsUnknown} pops of unknown outcome: ${lost.slice(0, 3).map(describeOp).join(', ')}`, ...lost.slice(0, 3), last);
    }
  }
  if (out.length > 0) return out;

  // Order. Ahead: the elements whose push was answered, by its return, each with the time its removal began (its
  // pop's call; Infinity while the final read holds it; unknown fate: left out). A pop (or a nil pop) of b must not
  // return before the removal of an element ahead of b began.
  const ahead: { ret: number; removed: number; push: RedisOp; by: RedisOp | null }[] = [];
  for (const w of pushOf.values()) {
    if (w.outcome !== 'ok' || w.returnMs === null) continue;
    const e = String(w.value);
    const p = popOf.get(e);
    if (p !== undefined) ahead.push({ ret: w.returnMs, removed: p.callMs, push: w, by: p });
    else if (held.has(e)) ahead.push({ ret: w.returnMs, removed: Infinity, push: w, by: null });
  }
  ahead.sort((a, b) => a.ret - b.ret);
  // The pops to test: each answered pop of an element, from its push's call; each nil pop, from its own call.
  const probes: { from: number; pop: RedisOp; element: string | null }[] = [];
  for (const [e, p] of popOf) probes.push({ from: pushOf.get(e)!.callMs, pop: p, element: e });
  for (const p of emptyPops) probes.push({ from: p.callMs, pop: p, element: null });
  probes.sort((a, b) => a.from - b.from);
  let i = 0;
  let latest: (typeof ahead)[number] | null = null;
  for (const probe of probes) {
    while (i < ahead.length && ahead[i]!.ret < probe.from) {
      if (latest === null || ahead[i]!.removed > latest.removed) latest = ahead[i]!;
      i++;
    }
    if (latest === null || latest.removed <= probe.pop.returnMs!) continue;
    const still = latest.by === null ? `is still in ${key} at the end` : `was only popped by ${describeOp(latest.by)}`;
    if (probe.element === null) report(`${describeOp(probe.pop)} found ${key} empty, but ${describeOp(latest.push)} was answered before it began and its element ${still}`, probe.pop, latest.push);
    else report(`out of order: ${describeOp(probe.pop)} popped an element pushed after ${describeOp(latest.push)} returned, whose element ${still}`, probe.pop, latest.push);
    if (out.length >= findingsMax) break;
  }
  return out;
}
