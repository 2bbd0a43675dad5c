/**
 * Issue 15 in the pure tree: null data is kept apart from empty data through prepare, apply, the txn log codec and
 * snapshots (an older file, which never holds null data, reads as before); duplicate ACL entries are dropped.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness, create, enc } from './helpers.js';
import { decodeTxn, encodeTxn, restoreSnapshot, snapshotBytes } from '../../src/core/tree/codec.js';
import { OPEN_ACL_UNSAFE } from '../../src/protocol/txn.js';

test('null data: create/setData/multi with null store null, getData answers null, dataLength 0', () => {
  const h = new Harness();
  h.run({ type: 'Create', path: '/n', data: null, acl: OPEN_ACL_UNSAFE, mode: 0 });
  h.run(create('/e', ''));
  assert.is(h.tree.getData('/n'), null);
  assert.equal(h.tree.getData('/e'), new Uint8Array(0));
  assert.is(h.tree.stat('/n')!.dataLength, 0);
  h.run({ type: 'SetData', path: '/e', data: null, version: -1 });
  assert.is(h.tree.getData('/e'), null);
  h.run({ type: 'SetData', path: '/n', data: enc(''), version: -1 });
  assert.equal(h.tree.getData('/n'), new Uint8Array(0));
  h.run({ type: 'Multi', ops: [{ type: 'Create', path: '/m', data: null, acl: OPEN_ACL_UNSAFE, mode: 0 }, { type: 'SetData', path: '/n', data: null, version: -1 }] });
  assert.is(h.tree.getData('/m'), null);
  assert.is(h.tree.getData('/n'), null);
  assert.is(h.tree.digest(), h.tree.recomputeDigest());
  // mntr's approximate_data_size counts a null as 0 bytes (it used to throw on one)
  const paths = ['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config', '/n', '/e', '/m'].filter((p) => h.tree.has(p));
  assert.ok(h.tree.approximateDataSize() >= paths.reduce((n, p) => n + p.length, 0));
});

test('null data: the digest tells null from empty', () => {
  const a = new Harness();
  const b = new Harness();
  a.run({ type: 'Create', path: '/x', data: null, acl: OPEN_ACL_UNSAFE, mode: 0 });
  b.run(create('/x', ''));
  assert.is.not(a.tree.digest(), b.tree.digest());
});

test('null data: txn codec (the logged request and the final txn) and snapshots keep null apart from empty', () => {
  const h = new Harness();
  const logged = h.prepare({ type: 'Multi', ops: [{ type: 'Create', path: '/n', data: null, acl: OPEN_ACL_UNSAFE, mode: 0 }, { type: 'Create', path: '/e', data: enc(''), acl: OPEN_ACL_UNSAFE, mode: 0 }] });
  const back = decodeTxn(encodeTxn(logged)).body;
  assert.ok(back.type === 'Request' && back.request.type === 'Multi');
  assert.equal(back.request.ops.map((op) => (op.type === 'Create' ? op.data : undefined)), [null, new Uint8Array(0)]);
  h.apply(logged);
  h.run({ type: 'SetData', path: '/e', data: null, version: -1 });
  h.run(create('/full', 'abc'));
  for (const t of h.log) assert.equal(decodeTxn(encodeTxn(t)), t);
  const restored = restoreSnapshot(snapshotBytes(h.tree), { verifyDigest: true });
  assert.is(restored.getData('/n'), null);
  assert.is(restored.getData('/e'), null);
  assert.equal(restored.getData('/full'), enc('abc'));
  assert.equal(restored.getData('/zookeeper'), new Uint8Array(0));
  assert.is(restored.digest(), h.tree.digest());
});

test('null data: a snapshot without null data (as older versions wrote) restores with empty data', () => {
  const h = new Harness();
  h.run(create('/e', ''));
  const restored = restoreSnapshot(snapshotBytes(h.tree), { verifyDigest: true });
  assert.equal(restored.getData('/e'), new Uint8Array(0));
});

test('duplicate ACL entries are dropped on create, setACL and in a multi (first kept, order kept)', () => {
  const h = new Harness();
  const world = { perms: 31, id: { scheme: 'world', id: 'anyone' } };
  const digest = { perms: 1, id: { scheme: 'digest', id: 'u:BvFaefuhWURhnvpD7ipe45CKTpk=' } };
  const readWorld = { perms: 1, id: { scheme: 'world', id: 'anyone' } };
  h.run({ type: 'Create', path: '/a', data: null, acl: [world, digest, world, digest, readWorld], mode: 0 });
  assert.equal(h.tree.getAcl('/a'), [world, digest, readWorld]);
  h.run({ type: 'SetACL', path: '/a', acl: [digest, digest, world, world], version: -1 });
  assert.equal(h.tree.getAcl('/a'), [digest, world]);
  h.run({ type: 'Multi', ops: [{ type: 'Create', path: '/b', data: null, acl: [readWorld, readWorld], mode: 0 }] });
  assert.equal(h.tree.getAcl('/b'), [readWorld]);
});

test('session secret: the first SessionSecret txn stays; later ones log and answer it; snapshots keep it', () => {
  const h = new Harness();
  assert.is(h.tree.sessionSecret, null);
  const first = new Uint8Array(32).fill(7);
  const a = h.run({ type: 'SessionSecret', secret: first });
  assert.equal(a.result, { type: 'SessionSecret', secret: first });
  const b = h.run({ type: 'SessionSecret', secret: new Uint8Array(32).fill(9) });
  assert.equal(b.result, { type: 'SessionSecret', secret: first });
  assert.equal(h.log[1]!.body, { type: 'SessionSecret', secret: first }, 'the final txn carries the secret in effect');
  for (const t of h.log) assert.equal(decodeTxn(encodeTxn(t)), t);
  assert.is(h.run({ type: 'SessionSecret', secret: new Uint8Array(0) }).result.type, 'Error');
  assert.equal(restoreSnapshot(snapshotBytes(h.tree), { verifyDigest: true }).sessionSecret, first);
});

test('session secret: a version 2 snapshot (before secrets) restores with none', () => {
  const h = new Harness();
  h.run(create('/a', 'x'));
  const v3 = snapshotBytes(h.tree);
  // version 3 = version 2 + the secret after the (here empty) session table: a null secret is 4 bytes at 36
  const dv = new DataView(v3.buffer, v3.byteOffset, v3.byteLength);
  assert.is(dv.getUint32(4, true), 3);
  assert.is(dv.getUint32(32, true), 0, 'no sessions');
  assert.is(dv.getUint32(36, true), 0xffffffff, 'null secret');
  const v2 = new Uint8Array(v3.length - 4);
  v2.set(v3.subarray(0, 36));
  v2.set(v3.subarray(40), 36);
  new DataView(v2.buffer).setUint32(4, 2, true);
  const t = restoreSnapshot(v2, { verifyDigest: true });
  assert.is(t.sessionSecret, null);
  assert.equal(t.getData('/a'), enc('x'));
});

test.run();
