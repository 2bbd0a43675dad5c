/**
 * The keyspace behind the log: keyspace txns go through the WAL codec, storage's dispatcher applies them to the
 * keyspace (tree txns to the tree) in zxid order, snapshots hold both, and a snapshot file written before the
 * keyspace existed (tree only) still restores.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32 } from 'node:zlib';
import { SimDisk } from '../../src/runtime/sim/disk.js';
import { Storage, snapDir, snapTrailerMagic } from '../../src/storage/storage.js';
import { snapshotBytes, decodeBatchItems, decodeTxn, encodeBatchItems, encodeTxn } from '../../src/core/tree/codec.js';
import { segmentName } from '../../src/storage/wal.js';
import { Keyspace } from '../../src/core/keyspace/index.js';
import type { Txn } from '../../src/protocol/txn.js';
import type { KeyspaceTxn, RedisBatchItem } from '../../src/protocol/keyspace.js';
import { Harness, create } from './helpers.js';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
const zx = (i: number) => 2 ** 32 + i;
const ks = (i: number, txn: KeyspaceTxn): Txn => ({ zxid: zx(i), sessionId: 0, cxid: 0, timeMs: 1000, body: { type: 'Keyspace', txn, origin: { server: 2, reqId: 7 + i } } });
const set = (k: string, v: string, timeMs = 1000): KeyspaceTxn => ({ type: 'RedisCommands', db: 0, timeMs, commands: [[b('set'), b(k), b(v)]], exec: false, watched: [] });
const get = (s: Storage, k: string): string | null => {
  const r = s.keyspace.read(0, [b('get'), b(k)], 1000);
  return r.kind === 'Bulk' ? Buffer.from(r.bytes).toString() : null;
};

test('codec: keyspace txns round trip (commands with EXEC and WATCH, expiry, a batch); a bad version is a decode error', () => {
  const t1 = ks(1, { type: 'RedisCommands', db: 3, timeMs: 12.5, commands: [[b('set'), b('a'), b('1')], [b('incr'), b('n')]], exec: true, watched: [{ db: 3, key: b('w'), revision: 4.5 }] });
  const t2 = ks(2, { type: 'RedisExpire', timeMs: 99, keys: [{ db: 1, key: b('x') }] });
  const items: RedisBatchItem[] = [
    { db: 0, commands: [[b('set'), b('a'), b('')]], exec: false, watched: [] },
    { db: 15, commands: [[b('incr'), b('n')], [b('get'), b('\xff')]], exec: true, watched: [{ db: 15, key: b('n'), revision: 2 }] },
  ];
  const t3 = ks(3, {
    type: 'RedisBatch',
    timeMs: 7,
    items: encodeBatchItems(items),
  });
  const plain = (t: unknown): string => JSON.stringify(t, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
  for (const t of [t1, t2, t3]) assert.is(plain(decodeTxn(encodeTxn(t))), plain(t));
  assert.is(plain(decodeBatchItems(encodeBatchItems(items))), plain(items));
  assert.throws(() => decodeBatchItems(encodeBatchItems(items).subarray(0, 20)), /truncated/);
  const bytes = encodeTxn(t1);
  bytes[29] = 9; // the keyspace txn's version byte (after the 28-byte header and the tag)
  assert.throws(() => decodeTxn(bytes), /keyspace txn version 9/);
});

test('dispatcher: tree and keyspace txns interleaved in one log, applied in order; results carry the origin; recovery replays both', () => {
  const disk = new SimDisk();
  const s = new Storage(disk);
  s.recover();
  const h = new Harness();
  const t1 = h.prepare(create('/a', 'x'));
  h.apply(t1);
  const batch: KeyspaceTxn = {
    type: 'RedisBatch',
    timeMs: 1000,
    items: encodeBatchItems([
      { db: 0, commands: [[b('incr'), b('n')]], exec: false, watched: [] },
      { db: 0, commands: [[b('select'), b('2')], [b('set'), b('k'), b('in2')]], exec: true, watched: [] },
      { db: 0, commands: [[b('incr'), b('k')]], exec: false, watched: [] },
    ]),
  };
  const log: Txn[] = [{ ...t1, zxid: zx(1) }, ks(2, set('k', 'v1')), ks(3, { type: 'RedisCommands', db: 0, timeMs: 1000, commands: [[b('incr'), b('n')], [b('incr'), b('n')]], exec: true, watched: [] }), ks(4, batch)];
  s.append(log);
  s.sync();
  const applied = s.commitTo(zx(4));
  assert.equal(applied.map((a) => a.result.type), ['Create', 'Keyspace', 'Keyspace', 'Keyspace']);
  assert.equal(applied[1]!.origin, { server: 2, reqId: 9 });
  const r2 = applied[2]!.result;
  assert.is(r2.type === 'Keyspace' && r2.reply.kind === 'Array' ? r2.reply.items.map((x) => (x.kind === 'Int' ? Number(x.value) : -1)).join() : '', '1,2');
  // a batch: one reply per item, in order, each with the db selected after it
  const r3 = applied[3]!.result;
  assert.ok(r3.type === 'Keyspace' && r3.items !== undefined);
  if (r3.type === 'Keyspace' && r3.items !== undefined) {
    assert.equal(r3.items.map((it) => [it.reply.kind === 'Int' ? Number(it.reply.value) : it.reply.kind, it.db]), [[3, 0], ['Array', 2], ['Error', 0]]);
  }
  assert.is(s.appliedZxid, zx(4));
  const r = new Storage(disk);
  r.recover();
  r.commitTo(zx(4));
  assert.is(r.digest(), s.digest());
  assert.equal(get(r, 'n'), '3');
  assert.ok(s.tree.has('/a'));
  assert.equal(get(s, 'k'), 'v1');
  assert.equal(get(r, 'k'), 'v1');
  assert.ok(r.tree.has('/a'));
});

test('snapshots hold both machines (incremental and SNAP bytes); recovery restores both; a WATCH abort replays the same', () => {
  const disk = new SimDisk();
  const s = new Storage(disk);
  s.recover();
  const log = [ks(1, set('k', 'v1')), ks(2, set('gone', 'x')), ks(3, { type: 'RedisCommands', db: 0, timeMs: 1000, commands: [[b('pexpire'), b('gone'), b('1')]], exec: false, watched: [] })];
  s.append(log);
  s.sync();
  s.commitTo(zx(3));
  s.snapshot();
  s.append([ks(4, { type: 'RedisCommands', db: 0, timeMs: 1000, commands: [[b('set'), b('k'), b('v2')]], exec: true, watched: [{ db: 0, key: b('k'), revision: 0 }] })]);
  s.sync();
  const [aborted] = s.commitTo(zx(4));
  assert.equal(aborted!.result.type === 'Keyspace' ? aborted!.result.reply : null, { kind: 'NullArray' });
  const r = new Storage(disk);
  const rep = r.recover();
  assert.is(rep.snapshotZxid, zx(3));
  r.commitTo(zx(4));
  assert.is(r.digest(), s.digest());
  assert.equal(get(r, 'k'), 'v1');
  assert.equal(r.keyspace.read(0, [b('exists'), b('gone')], 5000), { kind: 'Int', value: 0 });
  // SNAP: the transferable snapshot carries the keyspace too
  const other = new Storage(new SimDisk());
  other.recover();
  other.loadSnapshot(s.snapshotBytes().bytes);
  assert.is(other.digest(), s.digest());
  assert.equal(get(other, 'k'), 'v1');
});

test('an older snapshot file (the tree alone, written before the keyspace existed) restores with an empty keyspace', () => {
  const h = new Harness();
  const t = h.prepare(create('/old', 'data'));
  h.apply(t);
  const body = snapshotBytes(h.tree);
  const file = new Uint8Array(body.length + 8);
  file.set(body);
  const dv = Buffer.from(file.buffer);
  dv.writeUInt32LE(crc32(body), body.length);
  dv.writeUInt32LE(snapTrailerMagic, body.length + 4);
  const disk = new SimDisk();
  disk.writeAtomic(`${snapDir}/${segmentName(h.tree.lastZxid)}`, file);
  const s = new Storage(disk);
  const rep = s.recover();
  assert.is(rep.snapshotZxid, h.tree.lastZxid);
  assert.is(rep.invalidSnapshots.length, 0);
  assert.is(s.tree.digest(), h.tree.digest());
  assert.is(s.keyspace.digest(), new Keyspace().digest());
  assert.ok(s.tree.has('/old'));
});

test.run();
