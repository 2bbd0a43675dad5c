/**
 * The queue checker (src/lab/check/queue.ts) against the brute-force checker (test/lab/brute.ts) on thousands of
 * small random histories of RPUSH/LPOP/LRANGE with ops of unknown outcome: valid ones always pass, and it never
 * reports a violation the brute force does not confirm (its rules are necessary, not sufficient); it catches most
 * of the mutated histories the brute force rejects, and every injected anomaly: an element popped twice, an
 * acknowledged push lost, an element popped out of order, a nil pop while an element waited, a pop from the future.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { checkHistory } from '../../src/lab/check/index.js';
import type { RedisOp } from '../../src/lab/history.js';
import { bruteLinearizable, queueStep, rng, type Rng } from './brute.js';

const runs = Number(process.env.CHECK_RUNS ?? 1500);
/** Of the mutated histories the brute force rejects, the checker must catch at least this share. */
const catchRatioMin = 0.6;

/** A sequential execution of a queue stretched into overlapping calls (valid by construction), with a final read. */
function generate(r: Rng): RedisOp[] {
  const n = 1 + r.nextInt(0, 6);
  const ops: RedisOp[] = [];
  const queue: string[] = [];
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += r.nextInt(0, 3);
    const callMs = t - r.nextInt(0, 4);
    const roll = r.nextInt(0, 99);
    const outcome = roll < 12 ? 'unknown' : roll < 17 ? 'fail' : 'ok';
    const returnMs = outcome === 'unknown' ? null : t + r.nextInt(0, 4);
    const base = { kind: 'redis' as const, id: i, client: `c${r.nextInt(0, 2)}`, node: 'n1', key: 'q', callMs, returnMs, outcome: outcome as RedisOp['outcome'] };
    const applies = outcome === 'ok' || (outcome === 'unknown' && r.nextInt(0, 1) === 0);
    const kind = r.nextInt(0, 4);
    if (kind <= 1) {
      if (applies) queue.push(`e${i}`);
      ops.push({ ...base, op: 'rpush', value: `e${i}`, ...(outcome === 'ok' ? { length: queue.length } : {}) });
    } else if (kind <= 3) {
      const head = applies ? (queue.shift() ?? null) : null;
      ops.push({ ...base, op: 'lpop', ...(outcome === 'ok' ? { value: head } : {}) });
    } else ops.push({ ...base, op: 'lrange', list: [...queue] });
  }
  t += 10;
  ops.push({ kind: 'redis', id: n, client: '$sweep', node: 'n1', key: 'q', op: 'lrange', callMs: t, returnMs: t + 1, outcome: 'ok', list: [...queue], final: true });
  return ops;
}

/** One random change to an answer. */
function mutate(ops: RedisOp[], r: Rng): RedisOp[] {
  const i = r.nextInt(0, ops.length - 1);
  const o = ops[i]!;
  const pushed = ops.filter((p) => p.op === 'rpush').map((p) => String(p.value));
  const pick = <T>(xs: T[]): T => xs[r.nextInt(0, xs.length - 1)]!;
  let m: RedisOp;
  if (o.op === 'lpop') m = { ...o, value: pushed.length > 0 && r.nextInt(0, 3) > 0 ? pick(pushed) : null, outcome: 'ok', returnMs: o.returnMs ?? o.callMs + 1 };
  else if (o.op === 'rpush') m = { ...o, outcome: pick(['ok', 'fail', 'unknown'] as const), length: r.nextInt(1, 4), returnMs: o.returnMs ?? o.callMs + 2 };
  else {
    const l = [...(o.list ?? [])];
    const how = r.nextInt(0, 2);
    if (how === 0) l.pop();
    else if (how === 1 && pushed.length > 0) l.push(pick(pushed));
    else l.reverse();
    m = { ...o, list: l };
  }
  return ops.map((p, j) => (j === i ? m : p));
}

test(`queue: generated valid histories pass (${runs} runs)`, () => {
  const result = fc.check(
    fc.property(fc.nat(), (seed) => {
      const ops = generate(rng(seed));
      assert.ok(bruteLinearizable(ops, [], queueStep), 'valid by construction');
      const v = checkHistory(ops);
      if (v.verdict !== 'valid') throw new Error(`seed ${seed}: ${v.findings.join(' | ')}\n${JSON.stringify(ops)}`);
    }),
    { numRuns: runs },
  );
  assert.ok(!result.failed, String(result.errorInstance ?? ''));
});

test(`queue: on mutated histories every violation is confirmed by the brute force, and most are caught (${runs} runs)`, () => {
  let rejected = 0;
  let caught = 0;
  let unsound = '';
  for (let seed = 0; seed < runs; seed++) {
    const r = rng(seed * 7919 + 1);
    const ops = mutate(generate(r), r);
    const expected = bruteLinearizable(ops, [], queueStep);
    const v = checkHistory(ops);
    if (!expected) rejected++;
    if (v.verdict === 'violation') {
      if (expected) unsound ||= `seed ${seed}: the checker reports ${v.findings.join(' | ')} on a linearizable history\n${JSON.stringify(ops)}`;
      else caught++;
    }
  }
  assert.is(unsound, '');
  assert.ok(rejected > runs / 10, `the mutations break some histories (${rejected} of ${runs})`);
  assert.ok(caught >= catchRatioMin * rejected, `caught ${caught} of ${rejected} violations`);
});

const op = (id: number, client: string, name: RedisOp['op'], callMs: number, returnMs: number | null, more: Partial<RedisOp> = {}): RedisOp => ({
  kind: 'redis',
  id,
  client,
  node: 'n1',
  key: 'q',
  op: name,
  callMs,
  returnMs,
  outcome: returnMs === null ? 'unknown' : 'ok',
  ...more,
});
const push = (id: number, e: string, callMs: number, returnMs: number | null, length?: number) => op(id, 'p', 'rpush', callMs, returnMs, { value: e, ...(length !== undefined ? { length } : {}) });
const pop = (id: number, e: string | null, callMs: number, returnMs: number | null) => op(id, `c${id}`, 'lpop', callMs, returnMs, returnMs === null ? {} : { value: e });
const final = (id: number, list: string[], at: number) => op(id, '$sweep', 'lrange', at, at + 1, { list, final: true });

test('injected anomalies are caught', () => {
  const findings = (ops: RedisOp[]) => checkHistory(ops).findings.join('\n');
  assert.match(findings([push(0, 'x', 0, 1, 1), pop(1, 'x', 2, 3), pop(2, 'x', 4, 5)]), /"x" popped twice/);
  assert.match(findings([push(0, 'x', 0, 1, 1), push(1, 'y', 2, 3, 2), pop(2, 'x', 4, 5), final(3, [], 10)]), /1 acknowledged pushes to q are neither popped nor in/);
  assert.is(checkHistory([push(0, 'x', 0, 1, 1), push(1, 'y', 2, 3, 2), pop(2, 'x', 4, 5), pop(3, null, 4, null), final(4, [], 10)]).verdict, 'valid', 'a pop of unknown outcome may have taken y');
  assert.match(findings([push(0, 'x', 0, 1, 1), push(1, 'y', 2, 3, 2), pop(2, 'y', 4, 5), pop(3, 'x', 6, 7)]), /out of order: #2 c2 lpop q "y"/);
  assert.match(findings([push(0, 'x', 0, 1, 1), push(1, 'y', 2, 3, 2), pop(2, 'y', 4, 5), final(3, ['x'], 10)]), /out of order: .* is still in q at the end/);
  assert.match(findings([push(0, 'x', 0, 1, 1), pop(1, null, 2, 3), pop(2, 'x', 4, 5)]), /#1 c1 lpop q null .* found q empty/);
  assert.match(findings([pop(0, 'x', 0, 1), push(1, 'x', 2, 3, 1)]), /pop from the future/);
  assert.match(findings([push(0, 'x', 0, 1, 1), pop(1, 'x', 2, 3), final(2, ['x'], 10)]), /still holds "x", popped by/);
});

test.run();
