/**
 * MULTI list-append histories (src/lab/check/txn.ts): Elle-style inference finds the dependency cycles of the
 * classic anomalies and explains the shortest one; generated serial histories pass; stale reads, lost and
 * duplicated appends and aborted reads are caught.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { checkHistory } from '../../src/lab/check/index.js';
import type { RedisOp } from '../../src/lab/history.js';

type Micro = ['append', string, string] | ['read', string, null];
let nextId = 0;
const multi = (client: string, callMs: number, returnMs: number | null, txn: Micro[], results: (string[] | number | null)[], outcome: RedisOp['outcome'] = returnMs === null ? 'unknown' : 'ok'): RedisOp => ({
  kind: 'redis',
  id: nextId++,
  client,
  node: 'n1',
  key: txn[0]![1],
  op: 'multi',
  callMs,
  returnMs,
  outcome,
  txn,
  txnResults: results,
});

test('write skew (G2): two rw edges make a cycle, explained in words', () => {
  const h = [
    multi('a', 0, 5, [['read', 'x', null], ['append', 'y', 'a']], [[], 1]),
    multi('b', 0, 5, [['read', 'y', null], ['append', 'x', 'b']], [[], 1]),
    multi('c', 10, 11, [['read', 'x', null], ['read', 'y', null]], [['b'], ['a']]),
  ];
  const v = checkHistory(h);
  assert.is(v.verdict, 'violation');
  assert.match(v.findings[0]!, /^G2 dependency cycle of 2 transactions: /);
  assert.match(v.findings[0]!, /#0 a multi x .* read x without "b", which #1 b multi y .* appended next \(rw\)/);
  assert.match(v.findings[0]!, /#1 b multi y .* read y without "a", which #0 a multi x .* appended next \(rw\)/);
  assert.equal([...v.ops].sort(), [h[0]!.id, h[1]!.id].sort());
});

test('circular information flow (G1c): each reads the other\'s append', () => {
  const h = [multi('a', 0, 5, [['append', 'x', 'a'], ['read', 'y', null]], [1, ['b']]), multi('b', 0, 5, [['append', 'y', 'b'], ['read', 'x', null]], [1, ['a']])];
  assert.match(checkHistory(h).findings[0]!, /^G1c dependency cycle of 2 transactions: .*\(wr\)/);
});

test('a stale read after an acknowledged append is a cycle with real time; concurrent, it is fine', () => {
  const stale = [multi('a', 0, 5, [['append', 'x', 'a']], [1]), multi('b', 6, 7, [['read', 'x', null]], [[]])];
  assert.match(checkHistory(stale).findings[0]!, /G-single dependency cycle of 2 transactions \(with real-time order: not strict serializable\): .*returned before .* was called \(real time\)/);
  assert.is(checkHistory([multi('a', 0, 5, [['append', 'x', 'a']], [1]), multi('b', 4, 7, [['read', 'x', null]], [[]])]).verdict, 'valid');
});

test('duplicated and lost appends, aborted reads, incompatible orders, reads of nothing appended', () => {
  const a = multi('a', 0, 1, [['append', 'x', 'a']], [1]);
  const b = multi('b', 2, 3, [['append', 'x', 'b']], [2]);
  assert.match(checkHistory([a, b, multi('c', 4, 5, [['read', 'x', null]], [['a', 'b', 'a']])]).findings[0]!, /"a" twice \(a duplicated append\)/);
  assert.match(checkHistory([a, b, multi('c', 4, 5, [['read', 'x', null]], [['a']])]).findings[0]!, /cycle/, 'the lost append of b');
  const failed = multi('f', 0, 1, [['append', 'x', 'f']], [null], 'fail');
  assert.match(checkHistory([failed, multi('c', 4, 5, [['read', 'x', null]], [['f']])]).findings[0]!, /appended by the failed/);
  assert.match(checkHistory([a, b, multi('c', 4, 5, [['read', 'x', null]], [['a', 'b']]), multi('d', 4, 5, [['read', 'x', null]], [['b']])]).findings[0]!, /incompatible orders/);
  assert.match(checkHistory([multi('c', 4, 5, [['read', 'x', null]], [['q']])]).findings[0]!, /never appended/);
  // an append of unknown outcome that a read shows took effect; one no read shows is ignored
  const u = multi('u', 0, null, [['append', 'x', 'u']], [null]);
  assert.is(checkHistory([a, u, multi('c', 4, 5, [['read', 'x', null]], [['a', 'u']]), multi('e', 3, null, [['append', 'x', 'e']], [null])]).verdict, 'valid');
});

test('plain RPUSH/LRANGE on a transaction key join as one-op transactions', () => {
  const push: RedisOp = { kind: 'redis', id: nextId++, client: 'p', node: 'n1', key: 'x', op: 'rpush', value: 'p', length: 1, callMs: 0, returnMs: 1, outcome: 'ok' };
  const read: RedisOp = { kind: 'redis', id: nextId++, client: 'r', node: 'n1', key: 'x', op: 'lrange', list: [], callMs: 2, returnMs: 3, outcome: 'ok' };
  const h = [push, read, multi('c', 4, 5, [['read', 'x', null]], [['p']])];
  assert.match(checkHistory(h).findings[0]!, /cycle .*#\d+ r lrange x/);
});

/** Serial transactions (each in its own time slot) over 3 keys: valid; then one read made stale. */
const serial = fc.array(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 2 })), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 });

test('generated serial histories pass; dropping the last element of a later read is caught', () => {
  let caught = 0;
  fc.assert(
    fc.property(serial, fc.nat(), (plan, pick) => {
      const lists: string[][] = [[], [], []];
      const ops: RedisOp[] = plan.map((txn, t) => {
        const micro: Micro[] = [];
        const res: (string[] | number)[] = [];
        txn.forEach(([append, k], j) => {
          if (append) {
            lists[k]!.push(`${t}.${j}`);
            micro.push(['append', `k${k}`, `${t}.${j}`]);
            res.push(lists[k]!.length);
          } else {
            micro.push(['read', `k${k}`, null]);
            res.push([...lists[k]!]);
          }
        });
        return multi(`c${t % 3}`, t * 10, t * 10 + 5, micro, res);
      });
      if (checkHistory(ops).verdict !== 'valid') return false;
      // a stale read: a read of a non-empty list that misses its last element, after it was acknowledged
      const reads = ops.flatMap((o, i) => (o.txnResults ?? []).flatMap((r, j) => (Array.isArray(r) && r.length > 0 ? [[i, j] as const] : [])));
      if (reads.length === 0) return true;
      const [i, j] = reads[pick % reads.length]!;
      const o = ops[i]!;
      const results = o.txnResults!.map((r, x) => (x === j ? (r as string[]).slice(0, -1) : r));
      const appendedHere = o.txn!.some(([f, k, v], x) => x < j && f === 'append' && k === o.txn![j]![1] && v === (o.txnResults![j] as string[]).at(-1));
      const bad = ops.map((p, x) => (x === i ? { ...p, txnResults: results } : p));
      if (appendedHere) return true; // a read of its own append: internal consistency is not checked
      caught++;
      return checkHistory(bad).verdict === 'violation';
    }),
    { numRuns: 1000 },
  );
  assert.ok(caught > 300, `stale reads injected: ${caught}`);
});

test.run();
