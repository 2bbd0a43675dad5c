import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ofType } from '../../src/kernel/events.js';
import { Rng } from '../../src/core/rng.js';
import { SimDisk, createSimRuntime, formatSeed, parseSeed } from '../../src/runtime/sim/index.js';
import type { SimNetOptions } from '../../src/runtime/sim/index.js';
import { kinds } from '../fixtures/demo-actors.js';
import { conformance, demoKindsUrl, demoNodes } from './conformance.js';

conformance('sim', () => createSimRuntime({ seed: 0x5151, kindsModule: demoKindsUrl, nodes: demoNodes }));

const three = ['n1', 'n2', 'n3'].map((node) => ({
  node,
  actors: [
    { name: 'ping', kind: 'pinger' },
    { name: 'counter', kind: 'counter' },
    { name: 'echo', kind: 'echo' },
  ],
}));

async function world(seed: number, net: Partial<SimNetOptions> = {}) {
  return createSimRuntime({ seed, kinds, kindsModule: '', nodes: three, net: { latencyMinMs: 0.1, latencyMaxMs: 5, ...net }, traceMessages: true });
}

type Count = { type: 'Count'; count: number };
type PingStatus = { type: 'PingStatus'; hits: number; done: boolean };

/** A little workload touching every node, with faults on the way. */
async function scenario(seed: number): Promise<string> {
  const rt = await world(seed, { lossRatio: 0.05, duplicateRatio: 0.05, reorder: true });
  rt.send('n1/ping', { type: 'Start', peer: 'n2/ping', rounds: 50 });
  rt.send('n3/ping', { type: 'Start', peer: 'n1/ping', rounds: 50 });
  for (let i = 0; i < 30; i++) rt.send(`n${1 + (i % 3)}/counter`, { type: 'Inc', by: i });
  await rt.runFor(20);
  await rt.partition([['n1', 'n2'], ['n3']]);
  await rt.runFor(20);
  await rt.kill('n2');
  await rt.heal();
  await rt.runFor(10);
  await rt.restart('n2');
  await rt.runFor(50);
  await rt.close();
  return rt.traceHash();
}

test('the same seed gives the same trace, byte for byte; different seeds differ', async () => {
  const a = await scenario(0xc0ffee);
  const b = await scenario(0xc0ffee);
  const c = await scenario(0xbadf00d);
  assert.is(a, b);
  assert.is.not(a, c);
});

test('seeds print as hex and parse back', () => {
  assert.is(formatSeed(0xc0ffee), '0x00c0ffee');
  assert.is(parseSeed('0x00c0ffee'), 0xc0ffee);
});

test('ping-pong completes across nodes', async () => {
  const rt = await world(1);
  rt.send('n1/ping', { type: 'Start', peer: 'n2/ping', rounds: 20 });
  await rt.runFor(500);
  const s = await rt.ask<PingStatus>('n1/ping', { type: 'Status' }, 100);
  assert.ok(s.done);
  assert.is(s.hits, 10);
});

test('kill loses a node with its state; restart brings it back empty; FaultInjected for each', async () => {
  const rt = await world(2);
  const faults: string[] = [];
  rt.events$.pipe(ofType('FaultInjected')).subscribe((e) => faults.push(e.fault.kind));
  rt.send('n2/counter', { type: 'Inc', by: 3 });
  await rt.runFor(10);
  await rt.kill('n2');
  assert.not.ok(rt.isUp('n2'));
  const drops: string[] = [];
  rt.events$.pipe(ofType('MessageDropped')).subscribe((e) => drops.push(e.reason));
  rt.send('n2/counter', { type: 'Inc', by: 1 });
  await rt.runFor(10);
  assert.equal(drops, ['node down']);
  await rt.restart('n2');
  const c = await rt.ask<Count>('n2/counter', { type: 'Get' }, 100);
  assert.is(c.count, 0);
  assert.equal(faults, ['kill', 'restart']);
});

test('partition cuts both ways; heal restores; cut is one-way', async () => {
  const rt = await world(3);
  await rt.partition([['n1'], ['n2', 'n3']]);
  rt.send('n1/ping', { type: 'Start', peer: 'n2/ping', rounds: 4 });
  await rt.runFor(100);
  let s = await rt.ask<PingStatus>('n2/ping', { type: 'Status' }, 100);
  assert.is(s.hits, 0, 'n1 -> n2 blocked');
  await rt.heal();
  rt.send('n1/ping', { type: 'Start', peer: 'n2/ping', rounds: 4 });
  await rt.runFor(100);
  s = await rt.ask<PingStatus>('n1/ping', { type: 'Status' }, 100);
  assert.ok(s.done, 'healed');
  await rt.cut('n3', 'n1');
  rt.send('n1/ping', { type: 'Start', peer: 'n3/ping', rounds: 4 });
  await rt.runFor(100);
  const s3 = await rt.ask<PingStatus>('n3/ping', { type: 'Status' }, 100);
  const s1 = await rt.ask<PingStatus>('n1/ping', { type: 'Status' }, 100);
  assert.is(s3.hits, 1, 'n1 -> n3 flows');
  assert.is(s1.hits, 2, 'n3 -> n1 does not: n1 has only its earlier 2 hits');
});

test('slow delays every message into a node by the given time', async () => {
  const rt = await world(4, { latencyMinMs: 1, latencyMaxMs: 1 });
  await rt.slow('n2', 200);
  rt.send('n1/ping', { type: 'Start', peer: 'n2/ping', rounds: 2 });
  await rt.runFor(150);
  let s = await rt.ask<PingStatus>('n1/ping', { type: 'Status' }, 1000);
  assert.is(s.hits, 0);
  await rt.runFor(300);
  s = await rt.ask<PingStatus>('n1/ping', { type: 'Status' }, 1000);
  assert.ok(s.done);
  await rt.slow('n2', 0);
});

test('drop(1) loses all traffic between nodes, drop(0) restores it', async () => {
  const rt = await world(5);
  await rt.drop(1);
  rt.send('n1/ping', { type: 'Start', peer: 'n2/ping', rounds: 2 });
  await rt.runFor(100);
  assert.is((await rt.ask<PingStatus>('n2/ping', { type: 'Status' }, 100)).hits, 0);
  await rt.drop(0);
  rt.send('n1/ping', { type: 'Start', peer: 'n2/ping', rounds: 2 });
  await rt.runFor(100);
  assert.ok((await rt.ask<PingStatus>('n1/ping', { type: 'Status' }, 100)).done);
});

type EchoStats = { type: 'EchoStats'; seen: number; inversions: number };

test('loss, duplication and reordering happen at their configured rates; FIFO without reorder', async () => {
  const rt = await world(6, { lossRatio: 0.2, duplicateRatio: 0.2, reorder: true });
  const sent = 2000;
  rt.send('n1/echo', { type: 'Batch', to: 'n2/echo', count: sent });
  for (let i = 0; i < 100; i++) rt.send('n3/counter', { type: 'Inc', by: 1 });
  await rt.runFor(100);
  const st = await rt.ask<EchoStats>('n2/echo', { type: 'Stats' }, 100);
  const expected = sent * 0.8 * 1.2;
  assert.ok(Math.abs(st.seen - expected) < sent * 0.06, `seen ${st.seen}, expected about ${expected}`);
  assert.ok(st.inversions > 100, `reordered ${st.inversions}`);
  const c = await rt.ask<Count>('n3/counter', { type: 'Get' }, 100);
  assert.is(c.count, 100, 'traffic from outside is not subject to network faults');

  const fifo = await world(6, { latencyMinMs: 0.1, latencyMaxMs: 20 });
  fifo.send('n1/echo', { type: 'Batch', to: 'n2/echo', count: 500 });
  await fifo.runFor(100);
  const f = await fifo.ask<EchoStats>('n2/echo', { type: 'Stats' }, 100);
  assert.equal([f.seen, f.inversions], [500, 0]);
});

test('clog holds messages into a node, then releases them', async () => {
  const rt = await world(7);
  rt.clog('n2', 300);
  rt.send('n1/ping', { type: 'Start', peer: 'n2/ping', rounds: 2 });
  await rt.runFor(250);
  assert.is((await rt.ask<PingStatus>('n1/ping', { type: 'Status' }, 1000)).hits, 0);
  await rt.runFor(200);
  assert.ok((await rt.ask<PingStatus>('n1/ping', { type: 'Status' }, 1000)).done);
});

test('disk: synced data survives a crash, unsynced is lost or torn', () => {
  const d = new SimDisk();
  d.append('log/1', new Uint8Array([1, 2, 3]));
  d.fsync('log/1');
  d.fsyncDir('log');
  d.append('log/1', new Uint8Array([4, 5, 6, 7]));
  assert.equal([...d.read('log/1')!], [1, 2, 3, 4, 5, 6, 7]);
  d.crash(new Rng(1), 0);
  assert.equal([...d.read('log/1')!], [1, 2, 3]);
  let torn = 0;
  for (let seed = 0; seed < 50; seed++) {
    const e = new SimDisk();
    e.append('f', new Uint8Array([9]));
    e.fsync('f');
    e.fsyncDir('');
    e.append('f', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    e.crash(new Rng(seed), 1);
    const len = e.read('f')!.length;
    assert.ok(len >= 1 && len < 9, `a torn write keeps a strict prefix, got ${len}`);
    if (len > 1) torn++;
  }
  assert.ok(torn > 0, 'some crashes leave a torn tail');
  d.writeAtomic('epoch', new Uint8Array([5]));
  d.crash(new Rng(2), 1);
  assert.equal([...d.read('epoch')!], [5]);
  assert.equal(d.list('log'), ['1']);
});

test.run();
