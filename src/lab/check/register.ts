/**
 * Redis registers (SET and GET of one key; docs/lab.md, "Checker"). Where every SET writes a value no other SET
 * of the key wrote, each GET names its writer and linearizability is decided in O(n log n) by Gibbons & Korach's
 * zones (/work/shared/spec/lab.md §2): group each write with the reads of its value; a group's zone spans its
 * earliest return and its latest call; when the earliest return comes first the zone is forward (the group must
 * span it), else backward (the group fits at one moment inside it). The history is linearizable iff no read
 * returns before its write was called, no two forward zones overlap, and no backward zone lies strictly inside a
 * forward one. Keys whose values repeat fall back to the search (search.ts).
 *
 * A SET of unknown outcome that some GET saw took effect at some time after its call (its return is +∞); one no
 * GET saw is dropped (as never applied: a linearization with it is one without it plus a write nobody read). A
 * failed SET did not take effect; a GET of its value is a violation. A GET of nil reads the key's initial state
 * (a write before all time).
 */
import type { RedisOp } from '../history.js';
import { describeOp, findingsMax, type Finding } from './finding.js';
import { linearize, type Model, type SearchResult } from './search.js';

/** What one key's check found; `searched` when the search ran and how far it got (for `unknown`). */
export interface KeyCheck {
  readonly findings: Finding[];
  readonly timedOut: boolean;
  /** Ops shown linearizable (all of the key's when valid; the longest prefix found otherwise). */
  readonly linearized: number;
  readonly ops: number;
}

const registerModel: Model<string | null> = {
  init: null,
  step: (state, op) => (op.op === 'set' ? String(op.value) : (op.value === null || op.value === undefined ? null : String(op.value)) === state ? state : undefined),
  key: (state) => (state === null ? '' : `=${state}`),
};

interface Group {
  readonly write: RedisOp | null;
  firstReturnMs: number;
  firstReturn: RedisOp | null;
  lastCallMs: number;
  lastCall: RedisOp | null;
}

/** The ops of one register that take part: answered GETs, SETs that did not fail. */
function relevant(ops: readonly RedisOp[]): RedisOp[] {
  return ops.filter((o) => (o.op === 'set' ? o.outcome !== 'fail' : o.outcome === 'ok' && o.returnMs !== null));
}

/** Checks one key's SET/GET history by zones when its values are unique, else by search until `deadlineMs`. */
export function checkRegister(key: string, ops: readonly RedisOp[], deadlineMs: number): KeyCheck {
  const findings: Finding[] = [];
  const report = (text: string, ...by: RedisOp[]) => {
    if (findings.length < findingsMax) findings.push({ text, ops: by.map((o) => o.id) });
  };
  const writerOf = new Map<string, RedisOp | 'repeated'>();
  for (const o of ops) if (o.op === 'set') writerOf.set(String(o.value), writerOf.has(String(o.value)) ? 'repeated' : o);
  const unique = ![...writerOf.values()].includes('repeated');
  const gets = ops.filter((o) => o.op === 'get' && o.outcome === 'ok' && o.returnMs !== null);
  const seenValues = new Set<string>();
  for (const r of gets) {
    if (r.value === null || r.value === undefined) continue;
    const w = writerOf.get(String(r.value));
    seenValues.add(String(r.value));
    if (w === undefined) report(`${describeOp(r)} read a value never written to ${key}`, r);
    else if (w === 'repeated') continue;
    else if (w.outcome === 'fail') report(`${describeOp(r)} read the value of a failed write ${describeOp(w)}`, r, w);
    else if (w.callMs > r.returnMs!) report(`read from the future: ${describeOp(r)} read the value of ${describeOp(w)}, begun after it returned`, r, w);
  }
  if (findings.length > 0) return { findings, timedOut: false, linearized: 0, ops: ops.length };
  const taking = relevant(ops).filter((o) => o.op === 'get' || o.outcome === 'ok' || seenValues.has(String(o.value)));
  if (!unique) return searched(key, taking, linearize(taking, registerModel, deadlineMs));

  // zones: one group per write (and one for the initial nil), holding the reads of its value
  const initial: Group = { write: null, firstReturnMs: -Infinity, firstReturn: null, lastCallMs: -Infinity, lastCall: null };
  const groups = new Map<string | null, Group>([[null, initial]]);
  const fold = (g: Group, o: RedisOp) => {
    const ret = o.outcome === 'ok' && o.returnMs !== null ? o.returnMs : Infinity;
    if (ret < g.firstReturnMs) {
      g.firstReturnMs = ret;
      g.firstReturn = o;
    }
    if (o.callMs > g.lastCallMs) {
      g.lastCallMs = o.callMs;
      g.lastCall = o;
    }
  };
  for (const o of taking) {
    const v = o.value === null || o.value === undefined ? null : String(o.value);
    let g = groups.get(v);
    if (g === undefined) groups.set(v, (g = { write: o.op === 'set' ? o : null, firstReturnMs: Infinity, firstReturn: null, lastCallMs: -Infinity, lastCall: null }));
    fold(g, o);
  }
  const forward: Group[] = [];
  const backward: Group[] = [];
  for (const g of groups.values()) (g.firstReturnMs < g.lastCallMs ? forward : backward).push(g);
  forward.sort((a, b) => a.firstReturnMs - b.firstReturnMs);
  const name = (g: Group) => (g.write === null ? 'the initial nil' : `the value of ${describeOp(g.write)}`);
  const explain = (g: Group) => [g.firstReturn, g.lastCall, g.write].filter((o): o is RedisOp => o !== null);
  for (let i = 1; i < forward.length; i++) {
    const a = forward[i - 1]!;
    const b = forward[i]!;
    if (b.firstReturnMs < a.lastCallMs) {
      report(
        `${key} is not linearizable: ${name(a)} must hold from ${a.firstReturnMs.toFixed(1)} to ${a.lastCallMs.toFixed(1)} ms (${describeOp(a.lastCall!)}), and ${name(b)} from ${b.firstReturnMs.toFixed(1)} ms (${describeOp(b.firstReturn!)})`,
        ...explain(a),
        ...explain(b),
      );
    }
  }
  for (const g of backward) {
    // the forward zone starting last before g's start (forward zones are disjoint when we get here)
    let lo = 0;
    let hi = forward.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (forward[mid]!.firstReturnMs < g.lastCallMs) lo = mid + 1;
      else hi = mid;
    }
    const f = forward[lo - 1];
    if (f !== undefined && g.firstReturnMs < f.lastCallMs && findings.length === 0) {
      report(
        `${key} is not linearizable: ${name(g)} (${describeOp(g.lastCall!)} .. ${describeOp(g.firstReturn!)}) falls inside the time ${name(f)} must hold, ${f.firstReturnMs.toFixed(1)}..${f.lastCallMs.toFixed(1)} ms`,
        ...explain(g),
        ...explain(f),
      );
    }
  }
  return { findings, timedOut: false, linearized: findings.length === 0 ? ops.length : 0, ops: ops.length };
}

/** A search's result as a key check. */
export function searched(key: string, ops: readonly RedisOp[], r: SearchResult): KeyCheck {
  if (r.result === 'ok') return { findings: [], timedOut: false, linearized: ops.length, ops: ops.length };
  const prefix = r.longest.length > 0 ? ` after ${r.longest.length} ops linearized (the last ${describeOp(r.longest[r.longest.length - 1]!)})` : '';
  if (r.result === 'timeout') return { findings: [], timedOut: true, linearized: r.longest.length, ops: ops.length };
  return {
    findings: [{ text: `${key} is not linearizable: no op can come next${prefix}; pending: ${r.next.map(describeOp).join('; ')}`, ops: [...r.next.map((o) => o.id), ...r.longest.slice(-1).map((o) => o.id)] }],
    timedOut: false,
    linearized: r.longest.length,
    ops: ops.length,
  };
}
