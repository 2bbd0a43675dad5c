/**
 * Sorted sets beyond the differential scripts: the skiplist against a plain sorted array under random changes
 * (fast-check), DUMP/RESTORE and snapshots of a skiplist-sized zset (digest, encoding, order), ZRANDMEMBER's draws
 * (the same on every replica applying the same txn; distinct members for a positive count), and ZSCAN of a large
 * zset returning every member exactly once.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type { Argv, Reply } from '../../src/protocol/resp.js';
import { Keyspace, keyspaceSnapshotChunks, restoreKeyspace } from '../../src/core/keyspace/index.js';
import { SortedSet } from '../../src/core/keyspace/sorted.js';
import { argv, runOn, show } from './harness.js';

const T0 = 1_700_000_000_000;
const runsMax = Number(process.env.KEYSPACE_PROPERTY_RUNS ?? 60);
const run = (ks: Keyspace, ...words: string[]): Reply => runOn(ks, 0, argv(...words), T0);
const array1 = (r: Reply): Reply => ({ kind: 'Array', items: [r] });
const bulks = (r: Reply): string[] => (r.kind === 'Array' ? r.items.map((i) => (i.kind === 'Bulk' ? Buffer.from(i.bytes).toString('latin1') : show(i))) : [show(r)]);

test('skiplist: rank, at, countBefore and order agree with a sorted array under random inserts and removes', () => {
  const member = fc.constantFrom(...Array.from({ length: 40 }, (_, i) => `m${i}`));
  const op = fc.tuple(fc.boolean(), member, fc.constantFrom(-1, 0, 0.5, 1, 2, 3, Infinity, -Infinity));
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const z = new SortedSet();
      const model = new Map<string, number>();
      for (const [add, m, s] of ops) {
        if (add) {
          z.set(m, s);
          model.set(m, s === 0 ? 0 : s);
        } else assert.is(z.remove(m), model.delete(m));
      }
      const sorted = [...model].sort((x, y) => (x[1] !== y[1] ? (x[1] < y[1] ? -1 : 1) : x[0] < y[0] ? -1 : 1));
      assert.equal([...z.entries()].map((n) => [n.member, n.score]), sorted);
      assert.equal([...z.range(0, z.size - 1, true)].map((n) => n.member), sorted.map(([m]) => m).reverse());
      sorted.forEach(([m], i) => {
        assert.is(z.rank(m), i);
        assert.is(z.at(i)!.member, m);
      });
      assert.is(z.countBefore((s) => s < 1), sorted.filter(([, s]) => s < 1).length);
      assert.is(z.last()?.member, sorted[sorted.length - 1]?.[0]);
    }),
    { numRuns: runsMax },
  );
});

test('DUMP/RESTORE and snapshot → restore keep a 300-member zset: order, scores, encoding, digest', () => {
  const ks = new Keyspace();
  const pairs = Array.from({ length: 300 }, (_, i) => [String((i * 7919) % 1000 / 7), `p${i}`]).flat();
  run(ks, 'ZADD', 'z', ...pairs, '-inf', 'lo', 'inf', 'hi');
  run(ks, 'ZADD', 'small', '1', 'a', '2.5', 'b');
  const dump = run(ks, 'DUMP', 'z');
  assert.is(dump.kind, 'Bulk');
  assert.is(show(runOn(ks, 0, [argv('RESTORE')[0]!, argv('z2')[0]!, argv('0')[0]!, (dump as { bytes: Uint8Array }).bytes] as Argv, T0)), '+OK');
  const all = (k: string): string => show(run(ks, 'ZRANGE', k, '0', '-1', 'WITHSCORES'));
  assert.is(all('z2'), all('z'));
  assert.is(show(run(ks, 'OBJECT', 'ENCODING', 'z2')), '"skiplist"');
  const back = restoreKeyspace(Buffer.concat([...keyspaceSnapshotChunks(ks)]));
  assert.is(back.digest(), ks.digest());
  for (const k of ['z', 'z2', 'small']) assert.is(show(runOn(back, 0, argv('ZRANGE', k, '0', '-1', 'WITHSCORES'), T0)), all(k));
  assert.is(show(runOn(back, 0, argv('OBJECT', 'ENCODING', 'small'), T0)), '"listpack"');
  assert.is(show(runOn(back, 0, argv('ZRANK', 'z', 'hi'), T0)), ':301');
});

test('zset digests (the db sum): equal for equal contents however built, different for a changed score or member', () => {
  const build = (...cmds: string[][]) => {
    const ks = new Keyspace();
    for (const c of cmds) run(ks, ...c);
    return ks;
  };
  const a = build(['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c']);
  const b = build(['ZADD', 'z', '3', 'c', '9', 'x'], ['ZADD', 'z', '1', 'a', '2', 'b'], ['ZREM', 'z', 'x']);
  const c = build(['ZADD', 'z', '1', 'a', '2', 'b', '3.5', 'c']);
  const d = build(['ZADD', 'z', '1', 'a', '2', 'b', '3', 'cc']);
  const digests = [a, b, c, d].map((ks) => ks.dbs[0]!.sum);
  assert.is(show(run(a, 'ZRANGE', 'z', '0', '-1', 'WITHSCORES')), show(run(b, 'ZRANGE', 'z', '0', '-1', 'WITHSCORES')));
  assert.is(digests[0], digests[1]);
  assert.is(new Set([digests[0], digests[2], digests[3]]).size, 3);
});

test('ZRANDMEMBER: the same txn draws the same members on two replicas; a positive count gives distinct members', () => {
  const x = new Keyspace();
  const y = new Keyspace();
  const members = Array.from({ length: 50 }, (_, i) => [String(i), `m${i}`]).flat();
  for (const ks of [x, y]) run(ks, 'ZADD', 'z', ...members);
  const txn = (a: string[]) => ({ type: 'RedisCommands' as const, db: 0, timeMs: T0 + 1, commands: [argv(...a)], exec: true, watched: [] });
  const seen = new Set<string>();
  for (const count of ['10', '-30', '49']) {
    const rx = show(x.apply(txn(['ZRANDMEMBER', 'z', count])).reply);
    assert.is(show(y.apply(txn(['ZRANDMEMBER', 'z', count])).reply), rx);
    seen.add(rx);
  }
  assert.is(seen.size, 3);
  const picked = bulks(run(x, 'ZRANDMEMBER', 'z', '20'));
  assert.is(new Set(picked).size, 20);
  assert.ok(picked.every((m) => /^m\d+$/.test(m)), picked.join(' '));
  assert.is(bulks(run(x, 'ZRANDMEMBER', 'z', '-80')).length, 80);
  // reads draw from the caller's `draw`: different draws, different members (with overwhelming odds)
  const draws = new Set([0.1, 0.2, 0.3, 0.4].map((d) => show(x.read(0, argv('ZRANDMEMBER', 'z', '5'), T0, d))));
  assert.ok(draws.size > 1, [...draws].join(' | '));
});

test('ZSCAN of a skiplist zset: cursor walk returns every member once; MATCH filters; listpack answers whole', () => {
  const ks = new Keyspace();
  run(ks, 'ZADD', 'z', ...Array.from({ length: 500 }, (_, i) => [String(i % 17), `k${i}`]).flat());
  const got: string[] = [];
  let cursor = '0';
  let calls = 0;
  do {
    const r = run(ks, 'ZSCAN', 'z', cursor, 'COUNT', '37');
    assert.is(r.kind, 'Array');
    const [c, items] = (r as { items: readonly Reply[] }).items;
    cursor = bulks(array1(c!))[0]!;
    const flat = bulks(items!);
    for (let i = 0; i < flat.length; i += 2) got.push(flat[i]!);
    calls++;
  } while (cursor !== '0' && calls < 100);
  assert.is(calls, Math.ceil(500 / 37));
  assert.is(new Set(got).size, 500);
  assert.is(got.length, 500);
  const matched = bulks((run(ks, 'ZSCAN', 'z', '0', 'MATCH', 'k1?', 'COUNT', '500') as { items: readonly Reply[] }).items[1]!);
  assert.equal(matched.filter((_, i) => i % 2 === 0).sort(), Array.from({ length: 10 }, (_, i) => `k1${i}`).sort());
});

test.run();
