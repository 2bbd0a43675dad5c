import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SessionIds, SessionTracker, expiredPerCallMax, roundToNextInterval } from '../../src/core/sessions/index.js';
import { Harness, create } from './helpers.js';

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

test('session ids: server id in the high bits, unique per server, a live id cannot be created twice', () => {
  const a = new SessionIds(1, 1_700_000_000_000);
  const b = new SessionIds(2, 1_700_000_000_000);
  const ia = [a.take(), a.take()];
  const ib = b.take();
  assert.is(Math.floor(ia[0]! / 2 ** 44), 1);
  assert.is(Math.floor(ib / 2 ** 44), 2);
  assert.is(ia[1]! - ia[0]!, 1);
  assert.ok(Number.isSafeInteger(new SessionIds(255, Date.now()).take()));
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

test.run();
