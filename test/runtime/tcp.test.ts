/**
 * The tcp driver: node processes talking over loopback TCP, driven by the controller, with every fault of the
 * fault API. Each test starts its own runtime and closes it (and so kills its node processes) in a finally.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, filter, timeout } from 'rxjs';
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { AskTimeoutError } from '../../src/kernel/actor.js';
import type { ClusterEvent } from '../../src/protocol/events.js';
import type { NodeSpec } from '../../src/runtime/driver.js';
import type { TcpRuntime } from '../../src/runtime/tcp/controller.js';
import { createTcpRuntime } from '../../src/runtime/tcp/controller.js';
import { encodeBody, encodeFrame, frameBodyBytesMax, protocolTag } from '../../src/runtime/tcp/frame.js';
import { peerBufferMessagesMax } from '../../src/runtime/tcp/transport.js';

/** uvu's test, printing how long each one took. */
function test(name: string, fn: () => Promise<void>): void {
  uvuTest(name, async () => {
    const t0 = performance.now();
    await fn();
    console.log(`    [${((performance.now() - t0) / 1000).toFixed(2)} s] ${name}`);
  });
}
test.run = () => uvuTest.run();

const kindsModule = new URL('../fixtures/demo-actors.js', import.meta.url).href;
const askMs = 2_000;

interface Count {
  readonly type: 'Count';
  readonly count: number;
}
interface EchoStats {
  readonly type: 'EchoStats';
  readonly seen: number;
  readonly inversions: number;
}
interface PingStatus {
  readonly type: 'PingStatus';
  readonly hits: number;
  readonly done: boolean;
}

function withCounter(node: string, more: NodeSpec['actors'] = []): NodeSpec {
  return { node, actors: [{ name: 'counter', kind: 'counter' }, ...more] };
}

async function withRuntime(nodes: NodeSpec[], fn: (rt: TcpRuntime) => Promise<void>): Promise<void> {
  const rt = await createTcpRuntime({ nodes, kindsModule, seed: 0x7c9 });
  try {
    await fn(rt);
  } finally {
    await rt.close();
  }
}

/** Poll until `cond` holds, at most `boundMs`. */
async function until(what: string, cond: () => Promise<boolean> | boolean, boundMs = 10_000, stepMs = 20): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < boundMs) {
    if (await cond()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`${what}: not within ${boundMs} ms`);
}

function nextEvent(rt: TcpRuntime, pred: (e: ClusterEvent) => boolean, boundMs = 10_000): Promise<ClusterEvent> {
  return firstValueFrom(rt.events$.pipe(filter(pred), timeout(boundMs)));
}

async function count(rt: TcpRuntime, addr: string, via?: string): Promise<number> {
  const r = via === undefined ? await rt.ask<Count>(addr, { type: 'Get' }, askMs) : await rt.askVia<Count>(via, addr, { type: 'Get' }, askMs);
  return r.count;
}

/** Bring both peer links up (peers connect by back-off at start). */
async function connected(rt: TcpRuntime): Promise<void> {
  for (const n of rt.nodes) {
    const others = rt.nodes.filter((x) => x !== n);
    await until(`${n} connected`, async () => (await rt.status(n)).connectedPeers.length === others.length);
  }
}

async function rejectsWithTimeout(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, AskTimeoutError);
    return;
  }
  assert.unreachable('the ask should have timed out');
}

function faultsSeen(rt: TcpRuntime): string[] {
  return rt
    .recent()
    .filter((e): e is ClusterEvent<'FaultInjected'> => e.type === 'FaultInjected')
    .map((e) => e.fault.kind);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function rawSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves true when the node closes the connection within the bound. */
function closedByPeer(s: net.Socket, boundMs = 5_000): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), boundMs);
    s.on('error', () => undefined);
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

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

test('asks to a killed node time out within their bound', async () => {
  await withRuntime([withCounter('n1'), withCounter('n2')], async (rt) => {
    await connected(rt);
    assert.is(await count(rt, 'n2/counter', 'n1'), 0);
    const crashed = nextEvent(rt, (e) => e.type === 'NodeCrashed' && e.node === 'n2');
    await rt.kill('n2');
    await crashed;
    assert.is(rt.isUp('n2'), false);
    assert.ok(rt.isUp('n1'));
    const t0 = Date.now();
    await rejectsWithTimeout(rt.ask('n2/counter', { type: 'Get' }, 300));
    const direct = Date.now() - t0;
    const t1 = Date.now();
    await rejectsWithTimeout(rt.askVia('n1', 'n2/counter', { type: 'Get' }, 300));
    const via = Date.now() - t1;
    assert.ok(direct >= 290 && direct < 1_500, `direct ask took ${direct} ms`);
    assert.ok(via >= 290 && via < 1_500, `ask via n1 took ${via} ms`);
    assert.equal(faultsSeen(rt), ['kill']);
  });
});

test('kill then restart: the peer reconnects by back-off and traffic resumes', async () => {
  await withRuntime([withCounter('n1'), withCounter('n2')], async (rt) => {
    await connected(rt);
    for (let i = 0; i < 5; i++) rt.sendVia('n1', 'n2/counter', { type: 'Inc', by: 1 });
    assert.is(await count(rt, 'n2/counter', 'n1'), 5);
    await rt.kill('n2');
    await until('n1 notices', async () => (await rt.status('n1')).connectedPeers.length === 0, 5_000);
    await rt.sleep(300); // a few failed reconnects: the back-off grows
    const started = nextEvent(rt, (e) => e.type === 'NodeStarted' && e.node === 'n2');
    const t0 = Date.now();
    await rt.restart('n2');
    await started;
    assert.ok(rt.isUp('n2'));
    const reconnectMs = await until('n1 reconnects to n2', async () => (await rt.status('n1')).connectedPeers.includes('n2'), 5_000);
    // state was lost with the process; traffic flows both ways again
    assert.is(await count(rt, 'n2/counter', 'n1'), 0);
    for (let i = 0; i < 7; i++) rt.sendVia('n1', 'n2/counter', { type: 'Inc', by: 1 });
    for (let i = 0; i < 3; i++) rt.sendVia('n2', 'n1/counter', { type: 'Inc', by: 1 });
    assert.is(await count(rt, 'n2/counter', 'n1'), 7);
    assert.is(await count(rt, 'n1/counter', 'n2'), 3);
    assert.equal(faultsSeen(rt), ['kill', 'restart']);
    const crashes = rt.recent().filter((e) => e.type === 'NodeCrashed' && e.node === 'n2').length;
    assert.is(crashes, 1);
    console.log(`    restart to ready ${Date.now() - t0} ms; n1 reconnected ${reconnectMs} ms after ready`);
  });
});

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
    const dropped = rt.recent().filter((e) => e.type === 'MessageDropped' && e.reason === 'partition').length;
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
    const dropped = rt.recent().filter((e) => e.type === 'MessageDropped' && e.reason === 'drop').length;
    assert.ok(dropped >= 21, `dropped ${dropped}`);
    await rt.drop(0);
    for (let i = 0; i < 20; i++) rt.sendVia('n1', 'n2/counter', { type: 'Inc', by: 1 });
    assert.is(await count(rt, 'n2/counter', 'n1'), 20);
    assert.equal(faultsSeen(rt), ['drop', 'drop']);
    const ev = rt.recent().filter((e): e is ClusterEvent<'FaultInjected'> => e.type === 'FaultInjected');
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
      const dropped = () => rt.recent().filter((e) => e.type === 'MessageDropped' && e.reason === 'drop' && e.node === 'n1').length;
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
    const all = rt.recent();
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

test('a peer that is down: envelopes wait in a bounded buffer, the overflow is MessageDropped, the rest arrive after restart', async () => {
  const echoOn = (node: string): NodeSpec => ({ node, actors: [{ name: 'echo', kind: 'echo' }] });
  await withRuntime([echoOn('n1'), echoOn('n2')], async (rt) => {
    await connected(rt);
    await rt.kill('n2');
    await until('n1 notices', async () => (await rt.status('n1')).connectedPeers.length === 0, 5_000);
    const extra = 50;
    rt.send('n1/echo', { type: 'Batch', to: 'n2/echo', count: peerBufferMessagesMax + extra });
    const full = () => rt.recent().filter((e) => e.type === 'MessageDropped' && e.reason === 'peer buffer full').length;
    await until('overflow dropped', () => full() === extra, 5_000);
    await rt.restart('n2');
    const stats = async () => rt.ask<EchoStats>('n2/echo', { type: 'Stats' }, askMs);
    await until('buffer delivered', async () => (await stats()).seen === peerBufferMessagesMax, 10_000);
    const st = await stats();
    assert.is(st.inversions, 0);
    assert.is(full(), extra);
  });
});

test('a node process that exits on its own is noticed: NodeCrashed, asks time out, restart brings it back', async () => {
  await withRuntime([withCounter('n1'), withCounter('n2')], async (rt) => {
    await connected(rt);
    const crashed = nextEvent(rt, (e) => e.type === 'NodeCrashed' && e.node === 'n2', 5_000);
    rt.send('n2/counter', { type: 'Exit' });
    const ev = await crashed;
    assert.ok(ev.type === 'NodeCrashed' && ev.reason.includes('code 3'), JSON.stringify(ev));
    assert.is(rt.isUp('n2'), false);
    await rejectsWithTimeout(rt.askVia('n1', 'n2/counter', { type: 'Get' }, 200));
    await rt.restart('n2');
    rt.sendVia('n1', 'n2/counter', { type: 'Inc', by: 4 });
    assert.is(await count(rt, 'n2/counter', 'n1'), 4);
  });
});

test('close leaves no node process behind, and a killed controller takes its nodes with it', async () => {
  const rt = await createTcpRuntime({ nodes: [withCounter('n1'), withCounter('n2')], kindsModule });
  const pids = rt.nodes.map((n) => rt.pid(n)!);
  try {
    assert.ok(pids.every((p) => typeof p === 'number' && alive(p)));
  } finally {
    await rt.close();
  }
  assert.ok(pids.every((p) => !alive(p)), 'a node outlived close');

  const fixture = fileURLToPath(new URL('../fixtures/tcp-controller.js', import.meta.url));
  const ctl = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
  let orphans: number[] = [];
  try {
    let out = '';
    ctl.stdout.on('data', (d) => (out += d));
    await until('controller started', () => out.includes('\n'), 15_000);
    orphans = (JSON.parse(out.split('\n')[0]!) as { pids: number[] }).pids;
    assert.is(orphans.length, 2);
    assert.ok(orphans.every(alive));
    ctl.kill('SIGKILL');
    await until('nodes exit after their controller died', () => orphans.every((p) => !alive(p)), 5_000);
  } finally {
    ctl.kill('SIGKILL');
    for (const p of orphans) if (alive(p)) process.kill(p, 'SIGKILL');
  }
});

test.run();
