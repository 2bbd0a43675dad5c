import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SessionIds, SessionTracker, expiredPerCallMax, roundToNextInterval } from '../../src/core/sessions/index.js';
import { Harness, create } from './helpers.js';
import { prepareLogged } from '../../src/core/tree/prepare.js';
import { DataTree } from '../../src/core/tree/tree.js';
import { decodeTxn, encodeTxn, restoreSnapshot, snapshotBytes } from '../../src/core/tree/codec.js';
import { Err, type Txn, type WriteRequest } from '../../src/protocol/txn.js';

test('deadlines round up to the next tick: expiry within [timeout, timeout + tick)', () => {
  const tick = 2000;
  assert.is(roundToNextInterval(0, tick), 2000);
  assert.is(roundToNextInterval(1999, tick), 2000);
  assert.is(roundToNextInterval(2000, tick), 4000);
  const tr = new SessionTracker(tick, 0);
  tr.add(1, 30_000, 500);
  tr.add(2, 30_000, 1500);
  tr.add(3, 30_000, 2500);
  assert.is(tr.deadline(1), 32_000);
  assert.is(tr.deadline(2), 32_000, 'same bucket');
  assert.is(tr.deadline(3), 34_000);
  assert.equal(tr.expired(31_999), []);
  assert.equal(tr.expired(32_000), [1, 2]);
  assert.equal(tr.expired(33_000), []);
  assert.equal(tr.expired(34_500), [3]);
});

test('touch moves a session to a later bucket; remove forgets it; expired sessions are reported once', () => {
  const tr = new SessionTracker(1000, 0);
  tr.add(7, 5000, 0);
  tr.add(8, 5000, 0);
  assert.ok(tr.touch(7, 3000));
  assert.not.ok(tr.touch(99, 3000));
  assert.equal(tr.expired(6000), [8]);
  assert.equal(tr.expired(6000), []);
  assert.equal(tr.expired(9000), [7]);
  tr.remove(7);
  tr.remove(8);
  assert.is(tr.size, 0);
});

test('touchAll (leader start): sessions tracked since their creation get a full timeout from now, none expires at once', () => {
  const tr = new SessionTracker(50, 0);
  // A follower tracks sessions from when it applied their creation and never hears their touches.
  tr.add(1, 10_000, 0);
  tr.add(2, 4_000, 5_000);
  const becameLeaderMs = 25_000;
  tr.touchAll(becameLeaderMs);
  assert.equal(tr.expired(becameLeaderMs + 50), [], 'live sessions survive the first tick of the new leader');
  assert.is(tr.deadline(1), roundToNextInterval(becameLeaderMs + 10_000, 50));
  assert.is(tr.deadline(2), roundToNextInterval(becameLeaderMs + 4_000, 50));
  assert.equal(tr.expired(becameLeaderMs + 4_050), [2]);
  assert.equal(tr.expired(becameLeaderMs + 10_050), [1]);
  const without = new SessionTracker(50, 0);
  without.add(1, 10_000, 0);
  assert.equal(without.expired(becameLeaderMs + 50), [1], 'what the new leader did before: expire a live session');
});

test('large virtual time jumps walk bucket keys, not every tick; per-call bound holds', () => {
  const tr = new SessionTracker(1, 0);
  const n = expiredPerCallMax + 5;
  for (let i = 1; i <= n; i++) tr.add(i, 10 + (i % 7), 0);
  const first = tr.expired(1e12);
  assert.is(first.length, expiredPerCallMax);
  const rest = tr.expired(1e12);
  assert.is(rest.length, 5);
  assert.is(new Set([...first, ...rest]).size, n);
});

test('session ids: server id in the high byte of the 64-bit id (as ZooKeeper), exact as JS numbers, unique per server, a live id cannot be created twice', () => {
  const a = new SessionIds(1, 1_700_000_000_000);
  const b = new SessionIds(2, 1_700_000_000_000);
  const ia = [a.take(), a.take()];
  const ib = b.take();
  assert.is(BigInt(ia[0]!) >> 56n, 1n);
  assert.is(BigInt(ib) >> 56n, 2n);
  assert.is(ia[1]! - ia[0]!, 2 ** 11);
  for (const sid of [127, 128, 255]) {
    const ids = new SessionIds(sid, Date.now());
    for (let i = 0; i < 3; i++) {
      const id = ids.take();
      assert.is(BigInt(id) >> 56n, BigInt(sid), `server ${sid} in the high byte of 0x${id.toString(16)}`);
      assert.is(BigInt(id) % 2048n, 0n, 'exact as a number');
      assert.ok(id < 2 ** 64);
    }
  }
  const h = new Harness();
  const r1 = h.run({ type: 'CreateSession', sessionId: ia[0]!, timeoutMs: 5000 });
  assert.equal(r1.result, { type: 'CreateSession', sessionId: ia[0]!, timeoutMs: 5000 });
  assert.is(r1.sessionId, ia[0]!);
  const r2 = h.run({ type: 'CreateSession', sessionId: ia[0]!, timeoutMs: 5000 });
  assert.is(r2.result.type, 'Error');
});

test('leader flow: reload table, expire, CloseSession txn removes the ephemerals', () => {
  const h = new Harness();
  const a = h.session(4000);
  const b = h.session(10_000);
  h.run(create('/lock', '', 1), a);
  h.run(create('/other', '', 1), b);
  const tr = new SessionTracker(2000, h.timeMs);
  tr.reload(h.tree.sessions, h.timeMs);
  const now = h.timeMs + 6000;
  const ids = tr.expired(now);
  assert.equal(ids, [a]);
  for (const id of ids) {
    const r = h.run({ type: 'CloseSession' }, id);
    assert.equal(r.changes[0], { path: '/lock', kind: 'NodeDeleted' });
    tr.remove(id);
  }
  assert.not.ok(h.tree.has('/lock'));
  assert.ok(h.tree.has('/other'));
  assert.equal([...h.tree.sessions.keys()], [b]);
});

test('session owners: a write through a server that no longer owns its session fails SESSIONMOVED; owners survive codec and snapshot', () => {
  const tree = DataTree.fresh();
  let zxid = 0;
  /** One request through the log as the storage runs it: encoded, decoded, prepared at apply time, applied. */
  const run = (sessionId: number, request: WriteRequest, server?: number) => {
    zxid++;
    const logged: Txn = { sessionId, cxid: zxid, zxid, timeMs: 1_000, body: { type: 'Request', request, auth: { ids: [] }, ...(server !== undefined ? { origin: { server, reqId: zxid } } : {}) } };
    const back = decodeTxn(encodeTxn(logged));
    assert.equal(back, logged, 'a Request with its origin survives the log codec');
    const t = prepareLogged(tree, back);
    assert.equal(decodeTxn(encodeTxn(t)), t, 'the prepared txn survives the log codec');
    const a = tree.apply(t);
    return a.result;
  };
  const sid = 0x1234;
  assert.equal(run(sid, { type: 'CreateSession', sessionId: sid, timeoutMs: 4_000 }, 1), { type: 'CreateSession', sessionId: sid, timeoutMs: 4_000 });
  assert.is(tree.sessionOwners.get(sid), 1);
  assert.is(run(sid, create('/a', 'x'), 1).type, 'Create', 'the owner writes');
  assert.equal(run(sid, create('/b', 'x'), 2), { type: 'Error', err: Err.SESSIONMOVED }, 'another server may not');
  assert.equal(run(sid, create('/b', 'x')), { type: 'Create', path: '/b', stat: tree.stat('/b')! }, 'internal requests are not checked');
  // the client reconnects to server 2
  assert.equal(run(sid, { type: 'MoveSession' }, 2), { type: 'MoveSession', timeoutMs: 4_000 }, 'the move answers the session timeout');
  assert.is(tree.sessionOwners.get(sid), 2);
  assert.equal(run(sid, { type: 'SetData', path: '/a', data: new TextEncoder().encode('y'), version: -1 }, 1), { type: 'Error', err: Err.SESSIONMOVED }, 'the old server is stale now');
  assert.equal(run(sid, { type: 'Multi', ops: [create('/c', 'x')] }, 1), { type: 'Error', err: Err.SESSIONMOVED }, 'a stale multi fails whole');
  assert.equal(run(sid, { type: 'CloseSession' }, 1), { type: 'Error', err: Err.SESSIONMOVED }, 'a stale close too');
  assert.is(run(sid, { type: 'SetData', path: '/a', data: new TextEncoder().encode('z'), version: -1 }, 2).type, 'SetData');
  // a snapshot keeps the owner: a follower restored from it refuses the stale server as well
  const restored = restoreSnapshot(snapshotBytes(tree), { verifyDigest: true });
  assert.is(restored.sessionOwners.get(sid), 2);
  assert.equal(run(9, { type: 'MoveSession' }, 2), { type: 'Error', err: Err.SESSIONEXPIRED }, 'no such session');
  assert.equal(run(sid, { type: 'CloseSession' }, 2), { type: 'CloseSession' });
  assert.is(tree.sessionOwners.has(sid), false, 'closing forgets the owner');
});

test('a Request logged before origins carried a request id (tag 12, server only) still decodes: origin reqId 0', () => {
  const t: Txn = { sessionId: 9, cxid: 3, zxid: 5, timeMs: 1_000, body: { type: 'Request', request: create('/a'), auth: { ids: [] }, origin: { server: 2, reqId: 77 } } };
  const now = encodeTxn(t);
  const bodyAt = 8 + 8 + 4 + 8; // zxid, sessionId, cxid, timeMs
  assert.is(now[bodyAt], 16, 'written with tag 16 (server and request id)');
  // the old layout: tag 12 | u32 server | request … (no f64 request id)
  const old = new Uint8Array(now.length - 8);
  old.set(now.subarray(0, bodyAt + 5));
  old[bodyAt] = 12;
  old.set(now.subarray(bodyAt + 5 + 8), bodyAt + 5);
  assert.equal(decodeTxn(old), { ...t, body: { ...t.body, origin: { server: 2, reqId: 0 } } });
});

test.run();
