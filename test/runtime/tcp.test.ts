/**
 * The tcp driver: node processes talking over loopback TCP, driven by the controller. Each test starts its own
 * runtime and closes it (and so kills its node processes) in a finally.
 */
import type { NodeSpec } from '../../src/runtime/driver.js';
import { encodeBody, encodeFrame, frameBodyBytesMax, protocolTag } from '../../src/runtime/tcp/frame.js';
import * as assert from 'uvu/assert';
import {
  askMs,
  closedByPeer,
  connected,
  count,
  nextEvent,
  rawSocket,
  test,
  until,
  withCounter,
  withRuntime,
} from './tcp-helpers.js';
import type { EchoStats, PingStatus } from './tcp-helpers.js';

test('ping-pong between two node processes completes over TCP', async () => {
  await withRuntime(
    [
      { node: 'n1', actors: [{ name: 'ping', kind: 'pinger' }] },
      { node: 'n2', actors: [{ name: 'pong', kind: 'pinger' }] },
    ],
    async (rt) => {
      const rounds = 1_000;
      const done = nextEvent(rt, (e) => e.type === 'DemoCounted' && e.actor === 'n1/ping');
      const t0 = Date.now();
      rt.send('n1/ping', { type: 'Start', peer: 'n2/pong', rounds });
      await done;
      const ms = Date.now() - t0;
      const ping = await rt.ask<PingStatus>('n1/ping', { type: 'Status' }, askMs);
      const pong = await rt.ask<PingStatus>('n2/pong', { type: 'Status' }, askMs);
      assert.equal([ping.hits, ping.done], [rounds / 2, true]);
      assert.equal([pong.hits, pong.done], [rounds / 2, false]);
      const s1 = await rt.status('n1');
      assert.ok(s1.framesSent >= rounds / 2 && s1.framesReceived >= rounds / 2, JSON.stringify(s1));
      console.log(`    ${rounds} hops across processes in ${ms} ms (${((ms * 1000) / rounds).toFixed(0)} µs per hop)`);
    },
  );
});

test('counter Inc/Get across three processes, from outside and from inside other nodes', async () => {
  await withRuntime([withCounter('n1'), withCounter('n2'), withCounter('n3')], async (rt) => {
    for (let i = 1; i <= 10; i++) rt.send('n3/counter', { type: 'Inc', by: i });
    assert.is(await count(rt, 'n3/counter'), 55);
    // from n1's and n2's hosts: request and reply cross TCP
    for (let i = 0; i < 20; i++) rt.sendVia('n1', 'n3/counter', { type: 'Inc', by: 1 });
    for (let i = 0; i < 25; i++) rt.sendVia('n2', 'n3/counter', { type: 'Inc', by: 1 });
    // per-link FIFO: each asker sees at least its own increments
    assert.ok((await count(rt, 'n3/counter', 'n1')) >= 75);
    assert.ok((await count(rt, 'n3/counter', 'n2')) >= 80);
    await until('all increments', async () => (await count(rt, 'n3/counter')) === 100, 5_000);
    assert.is(await count(rt, 'n1/counter', 'n3'), 0);
    assert.ok(rt.isUp('n1') && rt.isUp('n2') && rt.isUp('n3'));
  });
});

test('garbage bytes and an oversize frame close that connection; the node keeps serving', async () => {
  await withRuntime([withCounter('n1'), withCounter('n2'), withCounter('n3')], async (rt) => {
    await connected(rt);
    const port = rt.addresses.n2!.port;
    // 1. garbage
    const g = await rawSocket(port);
    const gClosed = closedByPeer(g);
    g.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.ok(await gClosed, 'garbage: connection not closed');
    // 2. a valid hello, then a frame announcing more than the bound
    const o = await rawSocket(port);
    const oClosed = closedByPeer(o);
    o.write(encodeFrame(encodeBody({ hello: protocolTag, node: 'intruder' })));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(frameBodyBytesMax + 1, 0);
    o.write(header);
    assert.ok(await oClosed, 'oversize: connection not closed');
    // 3. a valid hello, then a body that is not JSON
    const j = await rawSocket(port);
    const jClosed = closedByPeer(j);
    j.write(Buffer.concat([encodeFrame(encodeBody({ hello: protocolTag, node: 'intruder' })), encodeFrame(Buffer.from([0xde, 0xad, 0xbe, 0xef]))]));
    assert.ok(await jClosed, 'bad body: connection not closed');
    // 4. a well-behaved outside writer is served: hello, then an envelope, split across writes
    const w = await rawSocket(port);
    const frames = Buffer.concat([
      encodeFrame(encodeBody({ hello: protocolTag, node: 'tool' })),
      encodeFrame(encodeBody({ to: 'n2/counter', from: null, msg: { type: 'Inc', by: 40 } })),
    ]);
    w.write(frames.subarray(0, 7));
    await rt.sleep(20);
    w.write(frames.subarray(7));
    await until('the outside frame arrives', async () => (await count(rt, 'n2/counter')) === 40, 5_000);
    w.destroy();
    // the node is up, its peers still reach it, and it counted the rejections
    assert.ok(rt.isUp('n2'));
    rt.sendVia('n1', 'n2/counter', { type: 'Inc', by: 1 });
    rt.sendVia('n3', 'n2/counter', { type: 'Inc', by: 1 });
    assert.ok((await count(rt, 'n2/counter', 'n1')) >= 41);
    assert.is(await count(rt, 'n2/counter', 'n3'), 42);
    assert.ok((await count(rt, 'n1/counter', 'n2')) === 0);
    const s = await rt.status('n2');
    assert.is(s.rejectedConnections, 3);
    assert.equal([...s.connectedPeers].sort(), ['n1', 'n3']);
  });
});

test('events from every node arrive on one stream with central sequence numbers', async () => {
  await withRuntime([withCounter('n1'), withCounter('n2')], async (rt) => {
    await connected(rt);
    const hundred = nextEvent(rt, (e) => e.type === 'DemoCounted' && e.node === 'n2');
    for (let i = 0; i < 100; i++) rt.sendVia('n1', 'n2/counter', { type: 'Inc', by: 1 });
    const ev = await hundred;
    assert.is(ev.type === 'DemoCounted' && ev.count, 100);
    const all = rt.recentEvents();
    for (let i = 1; i < all.length; i++) assert.is(all[i]!.seq, all[i - 1]!.seq + 1);
    const started = all.filter((e) => e.type === 'ActorStarted').map((e) => e.node).sort();
    assert.equal(started, ['n1', 'n2']);
  });
});

test('a burst to one peer is batched into few writes and stays in order', async () => {
  const echoOn = (node: string): NodeSpec => ({ node, actors: [{ name: 'echo', kind: 'echo' }] });
  await withRuntime([echoOn('n1'), echoOn('n2')], async (rt) => {
    await connected(rt);
    const burst = 20_000;
    const s0 = await rt.status('n1');
    const t0 = performance.now();
    rt.send('n1/echo', { type: 'Batch', to: 'n2/echo', count: burst });
    const stats = async () => rt.ask<EchoStats>('n2/echo', { type: 'Stats' }, askMs);
    await until('burst delivered', async () => (await stats()).seen === burst, 20_000, 10);
    const ms = performance.now() - t0;
    const s1 = await rt.status('n1');
    const frames = s1.framesSent - s0.framesSent;
    const writes = s1.writes - s0.writes;
    assert.is(frames, burst);
    assert.ok(writes * 10 <= frames, `${writes} writes for ${frames} frames`);
    assert.is((await stats()).inversions, 0);
    console.log(`    ${burst} envelopes n1 -> n2 in ${ms.toFixed(0)} ms (${Math.round((burst / ms) * 1000)} msg/s), ${writes} writes`);
  });
});

test('binary and other non-JSON payloads cross processes unchanged', async () => {
  const echoOn = (node: string): NodeSpec => ({ node, actors: [{ name: 'echo', kind: 'echo' }] });
  await withRuntime([echoOn('n1'), echoOn('n2')], async (rt) => {
    const payload = { bytes: new Uint8Array([9, 8, 7]), ids: new Set([1, 2]), big: 2n ** 70n, none: undefined };
    const echo = { type: 'Echo', payload } as const;
    const r = await rt.askVia<{ type: 'Echoed'; payload: typeof payload }, typeof echo>('n1', 'n2/echo', echo, askMs);
    assert.instance(r.payload.bytes, Uint8Array);
    assert.equal([...r.payload.bytes], [9, 8, 7]);
    assert.equal([...r.payload.ids], [1, 2]);
    assert.is(r.payload.big, 2n ** 70n);
    assert.ok('none' in r.payload);
  });
});

test.run();
