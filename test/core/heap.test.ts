/** MinHeap (src/core/heap.ts): the one binary heap of the simulator, the ZAB swarm and the keyspace's deadlines. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MinHeap } from '../../src/core/heap.js';
import { Rng } from '../../src/core/rng.js';

interface Item {
  readonly t: number;
  readonly seq: number;
}
const before = (a: Item, b: Item): boolean => a.t < b.t || (a.t === b.t && a.seq < b.seq);

test('an empty heap has nothing to peek or pop', () => {
  const h = new MinHeap<number>((a, b) => a < b);
  assert.is(h.size, 0);
  assert.is(h.peek(), undefined);
  assert.is(h.pop(), undefined);
});

test('pops in order, ties broken by the comparator, with pushes between pops (random runs vs a sort)', () => {
  const rng = new Rng(7);
  for (let run = 0; run < 200; run++) {
    const h = new MinHeap<Item>(before);
    const model: Item[] = [];
    let seq = 0;
    const ops = rng.int(1, 300);
    for (let k = 0; k < ops; k++) {
      if (model.length > 0 && rng.chance(0.4)) {
        model.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
        assert.equal(h.peek(), model[0]);
        assert.equal(h.pop(), model.shift());
      } else {
        const it = { t: rng.int(0, 20), seq: seq++ };
        h.push(it);
        model.push(it);
      }
      assert.is(h.size, model.length);
    }
    model.sort((a, b) => (before(a, b) ? -1 : 1));
    const rest: Item[] = [];
    for (let x = h.pop(); x !== undefined; x = h.pop()) rest.push(x);
    assert.equal(rest, model);
  }
});

test('clear empties it; it keeps working after', () => {
  const h = new MinHeap<number>((a, b) => a < b);
  for (const x of [5, 3, 9]) h.push(x);
  h.clear();
  assert.is(h.size, 0);
  assert.is(h.pop(), undefined);
  for (const x of [4, 1, 8, 1]) h.push(x);
  assert.equal([h.pop(), h.pop(), h.pop(), h.pop(), h.pop()], [1, 1, 4, 8, undefined]);
});

test.run();
