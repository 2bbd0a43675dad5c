/**
 * The tcp driver under network faults: partition, cut, slow, drop; each visible as FaultInjected.
 */
import type { ClusterEvent } from '../../src/protocol/events.js';
import * as assert from 'uvu/assert';
import {
  connected,
  count,
  faultsSeen,
  rejectsWithTimeout,
  test,
  until,
  withCounter,
  withRuntime,
} from './tcp-helpers.js';

test('partition stops traffic both ways; heal restores it', async () => {
  await withRuntime([withCounter('n1'), withCounter('n2')], async (rt) => {
    await connected(rt);
    await rt.partition([['n1'], ['n2']]);
    for (let i = 0; i < 4; i++) rt.sendVia('n1', 'n2/counter', { type: 'Inc', by: 1 });
    for (let i = 0; i < 4; i++) rt.sendVia('n2', 'n1/counter', { type: 'Inc', by: 1 });
    await rejectsWithTimeout(rt.askVia('n1', 'n2/counter', { type: 'Get' }, 300));
    await rejectsWithTimeout(rt.askVia('n2', 'n1/counter', { type: 'Get' }, 300));
    // nothing crossed; each node is still reachable from the controller
    assert.is(await count(rt, 'n1/counter'), 0);
    assert.is(await count(rt, 'n2/counter'), 0);
    const dropped = rt.recentEvents().filter((e) => e.type === 'MessageDropped' && e.reason === 'partition').length;
    assert.ok(dropped >= 10, `dropped ${dropped}`);
    // a restarted node rejoins the network as it is: still partitioned
    await rt.restart('n2');
    await rejectsWithTimeout(rt.askVia('n2', 'n1/counter', { type: 'Get' }, 300));
    await rt.heal();
    rt.sendVia('n1', 'n2/counter', { type: 'Inc', by: 2 });
    rt.sendVia('n2', 'n1/counter', { type: 'Inc', by: 3 });
    assert.is(await count(rt, 'n2/counter', 'n1'), 2);
    assert.is(await count(rt, 'n1/counter', 'n2'), 3);
    assert.equal(faultsSeen(rt), ['partition', 'restart', 'heal']);
  });
});

test('cut is one-way', async () => {
  await withRuntime([withCounter('n1'), withCounter('n2')], async (rt) => {
    await connected(rt);
    await rt.cut('n1', 'n2');
    for (let i = 0; i < 3; i++) rt.sendVia('n1', 'n2/counter', { type: 'Inc', by: 1 });
    for (let i = 0; i < 3; i++) rt.sendVia('n2', 'n1/counter', { type: 'Inc', by: 1 });
    // an ask via n2 reaches n1, but its reply (n1 -> n2) is cut; an ask via n1 never reaches n2
    await rejectsWithTimeout(rt.askVia('n2', 'n1/counter', { type: 'Get' }, 300));
    await rejectsWithTimeout(rt.askVia('n1', 'n2/counter', { type: 'Get' }, 300));
    assert.is(await count(rt, 'n1/counter'), 3);
    assert.is(await count(rt, 'n2/counter'), 0);
    await rt.heal();
    assert.is(await count(rt, 'n1/counter', 'n2'), 3);
    assert.is(await count(rt, 'n2/counter', 'n1'), 0);
    assert.equal(faultsSeen(rt), ['cut', 'heal']);
  });
});

test('slow(n2, 200) delays every message into n2 by at least 200 ms', async () => {
  await withRuntime([withCounter('n1'), withCounter('n2')], async (rt) => {
    await connected(rt);
    const rtt = async (via: string, to: string) => {
      const t0 = performance.now();
      await count(rt, to, via);
      return performance.now() - t0;
    };
    await rtt('n1', 'n2/counter');
    const before = await rtt('n1', 'n2/counter');
    await rt.slow('n2', 200);
    const slowed = await rtt('n1', 'n2/counter');
    const otherWay = await rtt('n2', 'n1/counter'); // only the reply goes into n2
    const t0 = performance.now();
    await count(rt, 'n2/counter'); // the controller's ask goes into n2 too
    const direct = performance.now() - t0;
    const t1 = performance.now();
    await count(rt, 'n1/counter'); // n1 is not slowed
    const unslowed = performance.now() - t1;
    await rt.slow('n2', 0);
    const after = await rtt('n1', 'n2/counter');
    // the link stays FIFO when slow is lifted: what was sent after a held-back envelope arrives after it
    await rt.slow('n2', 300);
    rt.sendVia('n1', 'n2/counter', { type: 'Inc', by: 1_000 });
    await rt.slow('n2', 0);
    assert.is(await count(rt, 'n2/counter', 'n1'), 1_000);
    assert.ok(slowed >= 200, `slowed ${slowed.toFixed(1)} ms`);
    assert.ok(otherWay >= 200, `n2 -> n1 -> n2 ${otherWay.toFixed(1)} ms`);
    assert.ok(direct >= 200, `controller -> n2 ${direct.toFixed(1)} ms`);
    assert.ok(unslowed < 200, `controller -> n1 ${unslowed.toFixed(1)} ms`);
    assert.ok(before < 200 && after < 200, `before ${before.toFixed(1)} ms, after ${after.toFixed(1)} ms`);
    assert.equal(faultsSeen(rt), ['slow', 'slow', 'slow', 'slow']);
    console.log(`    round trip n1->n2->n1: ${before.toFixed(1)} ms, slowed ${slowed.toFixed(1)} ms, after ${after.toFixed(1)} ms`);
  });
});

test('drop(1) loses everything between nodes; drop(0) restores', async () => {
  await withRuntime([withCounter('n1'), withCounter('n2')], async (rt) => {
    await connected(rt);
    await rt.drop(1);
    for (let i = 0; i < 20; i++) rt.sendVia('n1', 'n2/counter', { type: 'Inc', by: 1 });
    await rejectsWithTimeout(rt.askVia('n1', 'n2/counter', { type: 'Get' }, 300));
    assert.is(await count(rt, 'n2/counter'), 0); // the controller's own channel is not the peer network
    const dropped = rt.recentEvents().filter((e) => e.type === 'MessageDropped' && e.reason === 'drop').length;
    assert.ok(dropped >= 21, `dropped ${dropped}`);
    await rt.drop(0);
    for (let i = 0; i < 20; i++) rt.sendVia('n1', 'n2/counter', { type: 'Inc', by: 1 });
    assert.is(await count(rt, 'n2/counter', 'n1'), 20);
    assert.equal(faultsSeen(rt), ['drop', 'drop']);
    const ev = rt.recentEvents().filter((e): e is ClusterEvent<'FaultInjected'> => e.type === 'FaultInjected');
    assert.equal(
      ev.map((e) => e.fault),
      [
        { kind: 'drop', ratio: 1 },
        { kind: 'drop', ratio: 0 },
      ],
    );
  });
});

test('drop(0.5) loses about half, drawn from the seed: the same seed loses the same messages', async () => {
  const run = async (): Promise<number[]> => {
    let got: number[] = [];
    await withRuntime([{ node: 'n1', actors: [] }, withCounter('n2')], async (rt) => {
      await connected(rt);
      await rt.drop(0.5);
      const sent = 400;
      for (let i = 0; i < sent; i++) rt.sendVia('n1', 'n2/counter', { type: 'Inc', by: 1 });
      const dropped = () => rt.recentEvents().filter((e) => e.type === 'MessageDropped' && e.reason === 'drop' && e.node === 'n1').length;
      await until('all sent or dropped', async () => (await count(rt, 'n2/counter')) + dropped() === sent, 5_000);
      const n = await count(rt, 'n2/counter');
      assert.ok(n > sent * 0.3 && n < sent * 0.7, `${n} of ${sent} arrived`);
      got = [n, dropped()];
    });
    return got;
  };
  const a = await run();
  const b = await run();
  assert.equal(a, b);
});

test.run();
