/**
 * The swarm's client-history checks (src/runtime/sim/history-check.ts): each passes a good history and fails the
 * deliberately broken one it exists for (the checker mutations of docs/swarm-mutations.md).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkHistory, checkLinearizable, checkSessions, checkWatches, type ClientOp } from '../../src/runtime/sim/history-check.js';

const z = (n: number) => 0x1_0000_0000 + n;
const op = (session: string, kind: ClientOp['kind'], invokedMs: number, returnedMs: number, n: number): ClientOp => ({ session, kind, invokedMs, returnedMs, zxid: z(n), what: `${kind}#${n}` });

const good: ClientOp[] = [
  op('a', 'write', 0, 5, 1),
  op('b', 'write', 1, 6, 2), // concurrent with a's: either order
  op('a', 'read', 6, 7, 1), // a plain read may lag others' writes, not its own
  op('b', 'syncRead', 7, 9, 2),
  op('a', 'write', 8, 12, 3),
  op('c', 'syncRead', 10, 11, 2), // concurrent with write 3: may or may not see it
  op('c', 'syncRead', 10.5, 13, 3),
];

test('a good history passes every check', () => {
  assert.equal(checkHistory(good, [{ session: 'a', path: '/k' }], [{ session: 'a', path: '/k', zxid: z(3), atMs: 12 }]), []);
});

test('per session: a read older than the session saw before fails (no reading its own write)', () => {
  const bad = [...good, op('a', 'read', 13, 14, 2)];
  const v = checkSessions(bad);
  assert.is(v.length, 1);
  assert.match(v[0]!, /session a went back in time: read#2/);
});

test('linearizable writes: a write acknowledged before another began must have the smaller zxid', () => {
  const bad = [op('a', 'write', 0, 5, 2), op('b', 'write', 6, 8, 1)];
  assert.equal(checkSessions(bad), []);
  assert.match(checkLinearizable(bad).join('\n'), /write#1 .* ordered before write#2/);
});

test('sync-then-read: missing a write acknowledged before the sync began fails (a stale read)', () => {
  const bad = [op('a', 'write', 0, 5, 4), op('b', 'syncRead', 6, 8, 3)];
  assert.match(checkLinearizable(bad).join('\n'), /stale sync-then-read: syncRead#3/);
  // a plain read may be stale: sequential consistency only
  assert.equal(checkLinearizable([op('a', 'write', 0, 5, 4), op('b', 'read', 6, 8, 3)]), []);
});

test('sync-then-read: seeing a write begun after the read returned fails (a read from the future)', () => {
  const bad = [op('b', 'syncRead', 0, 2, 5), op('a', 'write', 3, 4, 5)];
  assert.match(checkLinearizable(bad).join('\n'), /from the future: syncRead#5/);
  assert.equal(checkLinearizable([op('b', 'syncRead', 0, 3.5, 5), op('a', 'write', 3, 4, 5)]), [], 'overlapping: allowed');
});

test('watches: a second notification for one setting fails, as does a notification out of zxid order', () => {
  const sets = [{ session: 'a', path: '/k' }, { session: 'a', path: '/j' }];
  assert.match(checkWatches(sets, [{ session: 'a', path: '/k', zxid: z(1), atMs: 1 }, { session: 'a', path: '/k', zxid: z(2), atMs: 2 }]).join('\n'), /fired .* more often than it was set/);
  assert.match(checkWatches(sets, [{ session: 'a', path: '/k', zxid: z(3), atMs: 1 }, { session: 'a', path: '/j', zxid: z(2), atMs: 2 }]).join('\n'), /after the one on \/k/);
  assert.equal(checkWatches(sets, [{ session: 'a', path: '/k', zxid: z(1), atMs: 1 }, { session: 'a', path: '/j', zxid: z(2), atMs: 2 }]), []);
});

test.run();
