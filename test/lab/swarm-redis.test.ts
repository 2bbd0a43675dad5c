/**
 * The ensemble swarm's Redis checks (src/lab/swarm/redis-workload.ts): a GET answering a value no SET wrote, or an
 * error other than TRYAGAIN, is a failure; nil, a written value and TRYAGAIN are not. Each check of the other types
 * catches a forged answer: an element popped twice, a stream entry delivered twice by '>', an XADD id not above one
 * acknowledged before, a hash field no HSET wrote, NOGROUP once the group exists, a MULTI answer of the wrong length.
 * (The swarm runs them on every seed that draws Redis load: test/cluster/swarm.test.ts.)
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

const arr = (...items: Reply[]): Reply => ({ kind: 'Array', items });
const bulks = (...xs: string[]): Reply => arr(...xs.map(bulk));
/** Draws ops until one whose description matches `re` (the ops drawn on the way stay unanswered). */
function draw(w: SwarmRedisWorkload, re: RegExp): SwarmRedisOp {
  for (let i = 0; i < 5000; i++) {
    const op = w.next(1);
    if (re.test(op.what)) return op;
  }
  throw new Error(`no ${re} drawn`);
}

test('a set element popped twice is caught, once is not', () => {
  const w = new SwarmRedisWorkload(new Rng(6));
  const sadd = draw(w, /^SADD set:0 /);
  const elem = sadd.what.split(' ')[2]!;
  sadd.answered({ kind: 'Int', value: 1 });
  draw(w, /^SPOP /).answered(bulks(elem));
  assert.equal(w.failures, []);
  draw(w, /^SPOP /).answered(bulks(elem));
  assert.match(w.failures.join('\n'), new RegExp(`${elem}, popped 2 times but written 1 \\(SPOP\\)`));
});

test('a sorted-set member popped more often than written is caught', () => {
  const w = new SwarmRedisWorkload(new Rng(7));
  const member = draw(w, /^ZADD z:\d -?\d+ e/).what.split(' ')[3]!;
  const pop = (times: number) => draw(w, /^ZPOPM(IN|AX) /).answered(arr(...Array.from({ length: times }, (): Reply[] => [bulk(member), { kind: 'Double', value: 1 }]).flat()));
  pop(1);
  assert.equal(w.failures, []);
  // ZINCRBY / ZADD INCR drawn on the way may have written it again, but not 20 times
  pop(20);
  assert.match(w.failures.join('\n'), new RegExp(`${member}, popped (\\d+) times but written \\d+ \\(ZPOP`));
});

test("a stream entry delivered twice by '>' is caught, and one no XADD wrote", () => {
  const w = new SwarmRedisWorkload(new Rng(8));
  const xadd = draw(w, /^XADD x:0 /);
  const value = xadd.what.split(' ').pop()!;
  xadd.answered(bulk('5-0'));
  const deliver = (id: string, v: string) => draw(w, /^XREADGROUP .* x:0 >$/).answered(arr(arr(bulk('x:0'), arr(arr(bulk(id), bulks('f', v))))));
  deliver('5-0', value);
  assert.equal(w.failures, []);
  deliver('5-0', value);
  deliver('6-0', 'forged');
  assert.match(w.failures.join('\n'), /5-0, already delivered to the group by '>'/);
  assert.match(w.failures.join('\n'), /6-0 = forged, which no XADD wrote/);
});

test('an XADD id not above one acknowledged before it was sent is caught, and a repeated id', () => {
  const w = new SwarmRedisWorkload(new Rng(9));
  draw(w, /^XADD x:1 /).answered(bulk('10-3'));
  draw(w, /^XADD x:1 /).answered(bulk('10-2'));
  assert.match(w.failures.join('\n'), /10-2, not above 10-3 acknowledged before it was sent/);
  // two XADDs in flight at once may be answered in any order, but not with one id
  const w2 = new SwarmRedisWorkload(new Rng(9));
  const [a, b] = [draw(w2, /^XADD x:1 /), draw(w2, /^XADD x:1 /)];
  b.answered(bulk('7-0'));
  assert.equal(w2.failures, []);
  a.answered(bulk('7-0'));
  assert.match(w2.failures.join('\n'), /7-0, an id an earlier XADD got/);
});

test('NOGROUP passes before the group is known to exist, not after; a forged hash field and a short MULTI answer are caught', () => {
  const w = new SwarmRedisWorkload(new Rng(10));
  draw(w, /^XREADGROUP .* x:0 >$/).answered({ kind: 'Error', text: 'NOGROUP No such key' });
  assert.equal(w.failures, []);
  draw(w, /^XGROUP CREATE x:0 /).answered({ kind: 'Error', text: 'BUSYGROUP Consumer Group name already exists' });
  assert.equal(w.failures, []);
  draw(w, /^XACK x:0 /).answered({ kind: 'Error', text: 'NOGROUP No such key' });
  assert.match(w.failures.join('\n'), /XACK x:0 .* answered the error NOGROUP/);
  draw(w, /^HRANDFIELD h:/).answered(bulks('f1', 'forged'));
  assert.match(w.failures.join('\n'), /f1 = forged, which no HSET or HINCRBY wrote/);
  draw(w, /^MULTI /).answered(arr({ kind: 'Int', value: 1 }));
  assert.match(w.failures.join('\n'), /MULTI .* EXEC answered \{"kind":"Array"/);
});

test.run();
