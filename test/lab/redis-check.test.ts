/**
 * The Redis checkers (src/lab/check/: register.ts by zones and by search, counter.ts, list.ts) agree with a
 * brute-force checker (test/lab/brute.ts) on thousands of small random histories, valid by construction or
 * mutated; injected stale reads, lost and duplicated writes and reads from the future are caught; a search over
 * its budget returns `unknown` with the prefix it showed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { checkHistory } from '../../src/lab/check/index.js';
import type { RedisOp } from '../../src/lab/history.js';
import { bruteLinearizable, counterStep, listStep, registerStep, rng, type Rng } from './brute.js';

type Kind = 'register' | 'counter' | 'list';
/** Runs per model and mode (valid-by-construction, mutated). */
const runs = Number(process.env.CHECK_RUNS ?? 1500);

/** A sequential execution stretched into overlapping calls: valid by construction (before `mutate`). */
function generate(kind: Kind, r: Rng, repeatValues: boolean): RedisOp[] {
  const n = 1 + r.nextInt(0, 6);
  const ops: RedisOp[] = [];
  let reg: string | null = null;
  let count = 0;
  const list: string[] = [];
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += r.nextInt(0, 3);
    const callMs = t - r.nextInt(0, 4);
    const roll = r.nextInt(0, 99);
    const outcome = roll < 12 ? 'unknown' : roll < 17 ? 'fail' : 'ok';
    const returnMs = outcome === 'unknown' ? null : t + r.nextInt(0, 4);
    const base = { kind: 'redis' as const, id: i, client: `c${r.nextInt(0, 2)}`, node: 'n1', key: 'k', callMs, returnMs, outcome: outcome as RedisOp['outcome'] };
    const write = r.nextInt(0, 1) === 0;
    // an unknown write may or may not have taken effect
    const applies = outcome === 'ok' || (outcome === 'unknown' && r.nextInt(0, 1) === 0);
    if (kind === 'register') {
      const v = repeatValues ? `v${r.nextInt(0, 2)}` : `v${i}`;
      if (write && applies) reg = v;
      ops.push(write ? { ...base, op: 'set', value: v } : { ...base, op: 'get', value: reg });
    } else if (kind === 'counter') {
      if (write && applies) count++;
      ops.push(write ? { ...base, op: 'incr', ...(outcome === 'ok' ? { value: count } : {}) } : { ...base, op: 'get', value: count === 0 ? null : String(count) });
    } else {
      if (write && applies) list.push(`e${i}`);
      ops.push(write ? { ...base, op: 'rpush', value: `e${i}`, ...(outcome === 'ok' ? { length: list.length } : {}) } : { ...base, op: 'lrange', list: [...list] });
    }
  }
  return ops;
}

/** One random change to an answer: the history may or may not stay linearizable. */
function mutate(kind: Kind, ops: RedisOp[], r: Rng): RedisOp[] {
  const i = r.nextInt(0, ops.length - 1);
  const o = ops[i]!;
  const pick = <T>(xs: T[]): T => xs[r.nextInt(0, xs.length - 1)]!;
  let m: RedisOp;
  if (kind === 'register') m = o.op === 'get' ? { ...o, value: pick([null, ...ops.filter((p) => p.op === 'set').map((p) => String(p.value)), 'zz']) } : { ...o, outcome: pick(['ok', 'fail', 'unknown'] as const), returnMs: o.returnMs ?? o.callMs + 2 };
  else if (kind === 'counter') m = { ...o, value: o.op === 'get' ? (r.nextInt(0, 3) || null) && String(r.nextInt(1, 4)) : r.nextInt(1, 4), outcome: 'ok', returnMs: o.returnMs ?? o.callMs + 1 };
  else if (o.op === 'rpush') m = { ...o, length: r.nextInt(1, 4), outcome: 'ok', returnMs: o.returnMs ?? o.callMs + 1 };
  else {
    const pushed = ops.filter((p) => p.op === 'rpush').map((p) => String(p.value));
    const l = [...(o.list ?? [])];
    const how = r.nextInt(0, 2);
    if (how === 0) l.pop();
    else if (how === 1 && pushed.length > 0) l.push(pick(pushed));
    else l.reverse();
    m = { ...o, list: l };
  }
  return ops.map((p, j) => (j === i ? m : p));
}

const bruteOf = (kind: Kind, ops: RedisOp[]) =>
  kind === 'register' ? bruteLinearizable(ops, null, registerStep) : kind === 'counter' ? bruteLinearizable(ops, 0, counterStep) : bruteLinearizable(ops, [], listStep);

function agree(kind: Kind, mutated: boolean, repeatValues = false): void {
  let violations = 0;
  let disagreement = '';
  const result = fc.check(
    fc.property(fc.nat(), (seed) => {
      const r = rng(seed);
      let ops = generate(kind, r, repeatValues);
      if (mutated) ops = mutate(kind, ops, r);
      const expected = bruteOf(kind, ops);
      const v = checkHistory(ops);
      if (!expected) violations++;
      if (v.verdict === (expected ? 'valid' : 'violation')) return true;
      disagreement ||= `seed ${seed}: brute force says ${expected ? 'valid' : 'violation'}, checker ${v.verdict}: ${v.findings.join(' | ')}\n${JSON.stringify(ops)}`;
      return false;
    }),
    { numRuns: runs },
  );
  assert.ok(!result.failed, disagreement);
  if (mutated) assert.ok(violations > runs / 10, `the mutations break some histories (${violations} of ${runs})`);
  else assert.is(violations, 0, 'generated histories are valid');
}

for (const kind of ['register', 'counter', 'list'] as const) {
  test(`${kind}: generated valid histories pass (${runs} runs)`, () => agree(kind, false));
  test(`${kind}: agrees with the brute force on mutated histories (${runs} runs)`, () => agree(kind, true));
}
test('register with repeated values (the search): agrees with the brute force', () => {
  agree('register', false, true);
  agree('register', true, true);
});

const op = (id: number, client: string, name: RedisOp['op'], callMs: number, returnMs: number | null, more: Partial<RedisOp> = {}): RedisOp => ({
  kind: 'redis',
  id,
  client,
  node: 'n1',
  key: 'k',
  op: name,
  callMs,
  returnMs,
  outcome: returnMs === null ? 'unknown' : 'ok',
  ...more,
});

test('injected anomalies are caught: stale read, lost write, duplicated write, lost update, read from the future', () => {
  const stale = [op(0, 'a', 'set', 0, 1, { value: 'x' }), op(1, 'a', 'set', 2, 3, { value: 'y' }), op(2, 'b', 'get', 4, 5, { value: 'x' })];
  assert.is(checkHistory(stale).verdict, 'violation');
  assert.equal([...checkHistory(stale).ops].sort(), [0, 1, 2]);
  const lost = [op(0, 'a', 'rpush', 0, 1, { value: 'x', length: 1 }), op(1, 'a', 'rpush', 2, 3, { value: 'y', length: 2 }), op(2, 'b', 'lrange', 4, 5, { list: ['x'] })];
  assert.match(checkHistory(lost).findings.join('\n'), /stale read: #2 b lrange k -> \[x\]/);
  const lostIncr = [op(0, 'a', 'incr', 0, 1, { value: 1 }), op(1, 'a', 'incr', 2, 3, { value: 2 }), op(2, 'b', 'get', 4, 5, { value: '1' })];
  assert.match(checkHistory(lostIncr).findings.join('\n'), /stale read: #2 b get k "1"/);
  const dupIncr = [op(0, 'a', 'incr', 0, 1, { value: 1 }), op(1, 'b', 'incr', 0, 1, { value: 1 })];
  assert.match(checkHistory(dupIncr).findings.join('\n'), /two writes stamped count 1/);
  const dupList = [op(0, 'a', 'rpush', 0, 1, { value: 'x', length: 1 }), op(1, 'b', 'lrange', 2, 3, { list: ['x', 'x'] })];
  assert.match(checkHistory(dupList).findings.join('\n'), /pushed twice/);
  const future = [op(0, 'b', 'get', 0, 1, { value: 'x' }), op(1, 'a', 'set', 2, 3, { value: 'x' })];
  assert.match(checkHistory(future).findings.join('\n'), /read from the future/);
  const lostUpdate = [op(0, 'a', 'cas', 0, 2, { value: 1 }), op(1, 'b', 'cas', 1, 3, { value: 1 })];
  assert.match(checkHistory(lostUpdate).findings.join('\n'), /two writes stamped count 1/, 'WATCH let two compare-and-sets through');
  assert.is(checkHistory([op(0, 'a', 'cas', 0, 2, { value: 1 }), op(1, 'b', 'cas', 1, 3, { outcome: 'fail' }), op(2, 'c', 'incr', 4, 5, { value: 2 })]).verdict, 'valid', 'an aborted compare-and-set took no effect');
  const skipped = [op(0, 'a', 'incr', 0, 1, { value: 1 }), op(1, 'a', 'incr', 2, 3, { value: 3 })];
  assert.match(checkHistory(skipped).findings.join('\n'), /no increment answered 2/);
  assert.is(checkHistory([...skipped, op(2, 'c', 'incr', 1.5, null)]).verdict, 'valid', 'an unknown increment called in time explains the gap');
});

test('a search over its budget returns unknown with the prefix it showed', () => {
  // many overlapping writes of repeated values, then two reads no order can explain: the search tries them all
  const ops: RedisOp[] = [];
  for (let i = 0; i < 40; i++) ops.push(op(i, `c${i}`, 'set', 0, 100, { value: `v${i % 2}` }));
  for (let i = 0; i < 40; i++) ops.push(op(40 + i, `r${i}`, 'get', 0, 100, { value: `v${i % 2}` }));
  ops.push(op(80, 'z', 'get', 200, 201, { value: 'v0' }), op(81, 'z', 'get', 202, 203, { value: 'v1' }));
  const v = checkHistory(ops, { budgetMs: 50 });
  assert.is(v.verdict, 'unknown');
  assert.ok(v.validPrefix !== undefined && v.validPrefix > 0 && v.validPrefix < ops.length, `prefix ${v.validPrefix}`);
  assert.match(v.findings[0]!, /k: the search ran out of budget after linearizing \d+ of 82 ops/);
  assert.ok(v.elapsedMs < 1000, `stopped in time (${v.elapsedMs} ms)`);
});

test.run();
