/**
 * The ensemble swarm's pop and expiry checks (src/lab/swarm/redis-workload.ts) pass a consistent history and catch
 * an element popped twice, an acknowledged push lost, an element present twice, and a read of a value no SET wrote.
 * (The swarm itself runs them on every seed: test/cluster/swarm.test.ts.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Keyspace } from '../../src/core/keyspace/index.js';
import { Rng } from '../../src/core/rng.js';
import { SwarmRedisWorkload, type RedisOp } from '../../src/lab/swarm/redis-workload.js';
import type { Reply } from '../../src/protocol/resp.js';

const enc = (s: string) => new TextEncoder().encode(s);
const bulk = (s: string): Reply => ({ kind: 'Bulk', bytes: enc(s) });
const nullReply: Reply = { kind: 'Null' };

/** Draws ops until one whose description starts with `prefix`; the others are answered harmlessly. */
function nextOf(w: SwarmRedisWorkload, prefix: string): RedisOp {
  for (let i = 0; i < 1000; i++) {
    const op = w.next(1);
    if (op.what.startsWith(prefix)) return op;
    if (op.what.startsWith('LPOP')) op.answered(nullReply);
    else if (op.what.startsWith('GET')) op.answered(nullReply);
    else if (op.what.startsWith('SET')) op.answered({ kind: 'Simple', text: 'OK' });
    else if (op.what.startsWith('RPUSH')) op.unknown(); // not acknowledged: never required to be anywhere
    else op.answered({ kind: 'Int', value: 0 });
  }
  throw new Error(`no ${prefix} drawn`);
}

/** A keyspace whose queue holds `items`. */
function queueHolding(items: string[]): Keyspace {
  const ks = new Keyspace();
  if (items.length > 0) ks.apply({ type: 'RedisCommands', db: 0, timeMs: 0, exec: false, watched: [], commands: [['RPUSH', 'q', ...items].map(enc)] });
  return ks;
}

const elementOf = (op: RedisOp) => op.what.split(' ')[2]!;

test('a consistent history passes: pushed, popped once, the rest in the queue', () => {
  const w = new SwarmRedisWorkload(new Rng(7));
  const a = nextOf(w, 'RPUSH');
  const b = nextOf(w, 'RPUSH');
  a.answered({ kind: 'Int', value: 1 });
  b.answered({ kind: 'Int', value: 2 });
  nextOf(w, 'LPOP').answered(bulk(elementOf(a)));
  assert.equal(w.finalCheck(queueHolding([elementOf(b)]), 0), []);
});

test('an element popped twice is caught', () => {
  const w = new SwarmRedisWorkload(new Rng(8));
  const a = nextOf(w, 'RPUSH');
  a.answered({ kind: 'Int', value: 1 });
  nextOf(w, 'LPOP').answered(bulk(elementOf(a)));
  nextOf(w, 'LPOP').answered(bulk(elementOf(a)));
  assert.match(w.finalCheck(queueHolding([]), 0).join('\n'), /popped twice/);
});

test('an acknowledged push neither in the queue nor popped is caught, unless a pop had an unknown outcome', () => {
  const lost = new SwarmRedisWorkload(new Rng(9));
  const a = nextOf(lost, 'RPUSH');
  a.answered({ kind: 'Int', value: 1 });
  assert.match(lost.finalCheck(queueHolding([]), 0).join('\n'), /1 acknowledged pushes are neither/);

  const excused = new SwarmRedisWorkload(new Rng(9));
  nextOf(excused, 'RPUSH').answered({ kind: 'Int', value: 1 });
  nextOf(excused, 'LPOP').unknown();
  assert.equal(excused.finalCheck(queueHolding([]), 0), []);
});

test('an element twice in the queue, or one never pushed, is caught', () => {
  const w = new SwarmRedisWorkload(new Rng(10));
  const a = nextOf(w, 'RPUSH');
  a.answered({ kind: 'Int', value: 1 });
  const found = w.finalCheck(queueHolding([elementOf(a), elementOf(a), 'stranger']), 0).join('\n');
  assert.match(found, /twice/);
  assert.match(found, /never pushed/);
});

test('a read of a value no SET wrote is caught; an error other than TRYAGAIN is caught', () => {
  const w = new SwarmRedisWorkload(new Rng(11));
  nextOf(w, 'GET').answered(bulk('forged'));
  nextOf(w, 'RPUSH').answered({ kind: 'Error', text: 'ERR something broke' });
  const found = w.finalCheck(queueHolding([]), 0).join('\n');
  assert.match(found, /which no SET wrote/);
  assert.match(found, /answered the error ERR something broke/);
});

test.run();
