/**
 * The ensemble swarm's expiring-key checks (src/lab/swarm/redis-workload.ts): a GET answering a value no SET wrote,
 * or an error other than TRYAGAIN, is a failure; nil, a written value and TRYAGAIN are not. (The swarm runs them on
 * every seed that draws Redis load: test/cluster/swarm.test.ts.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/core/rng.js';
import { SwarmRedisWorkload, type SwarmRedisOp } from '../../src/lab/swarm/redis-workload.js';
import type { Reply } from '../../src/protocol/resp.js';

const bulk = (s: string): Reply => ({ kind: 'Bulk', bytes: new TextEncoder().encode(s) });

/** Draws ops until one whose description starts with `prefix`; a SET drawn on the way is answered OK (so it counts as written). */
function nextOf(w: SwarmRedisWorkload, prefix: string, written: Map<string, string[]> = new Map()): SwarmRedisOp {
  for (let i = 0; i < 1000; i++) {
    const op = w.next(1);
    if (op.what.startsWith(prefix)) return op;
    if (op.what.startsWith('SET')) {
      const [, key, value] = op.what.split(' ');
      written.set(key!, [...(written.get(key!) ?? []), value!]);
      op.answered({ kind: 'Simple', text: 'OK' });
    }
  }
  throw new Error(`no ${prefix} drawn`);
}

test('nil, a written value and TRYAGAIN pass', () => {
  const w = new SwarmRedisWorkload(new Rng(3));
  const written = new Map<string, string[]>();
  nextOf(w, 'GET', written).answered({ kind: 'Null' });
  for (let i = 0; i < 50; i++) {
    const get = nextOf(w, 'GET', written);
    const key = get.what.split(' ')[1]!;
    const values = written.get(key);
    if (values !== undefined) get.answered(bulk(values[values.length - 1]!));
  }
  assert.ok(written.size > 0, 'some SETs were drawn');
  nextOf(w, 'DEL').answered({ kind: 'Error', text: 'TRYAGAIN leader changed' });
  assert.equal(w.failures, []);
});

test('a GET of a value no SET wrote is caught', () => {
  const w = new SwarmRedisWorkload(new Rng(4));
  nextOf(w, 'GET').answered(bulk('forged'));
  assert.match(w.failures.join('\n'), /answered forged, which no SET wrote/);
});

test('an error other than TRYAGAIN is caught, and a wrong reply shape', () => {
  const w = new SwarmRedisWorkload(new Rng(5));
  nextOf(w, 'PEXPIRE').answered({ kind: 'Error', text: 'ERR something broke' });
  nextOf(w, 'SET').answered({ kind: 'Int', value: 1 });
  assert.match(w.failures.join('\n'), /answered the error ERR something broke/);
  assert.match(w.failures.join('\n'), /SET .* answered \{"kind":"Int"/);
});

test.run();
