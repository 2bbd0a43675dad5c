/**
 * The tcp driver when node processes die: kill, restart, a process exiting on its own, the bounded peer buffer,
 * and no node process outliving its controller.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { NodeSpec } from '../../src/runtime/driver.js';
import { createTcpRuntime } from '../../src/runtime/tcp/controller.js';
import { peerBufferMessagesMax } from '../../src/runtime/tcp/transport.js';
import * as assert from 'uvu/assert';
import {
  askMs,
  alive,
  connected,
  count,
  faultsSeen,
  kindsModule,
  nextEvent,
  rejectsWithTimeout,
  test,
  until,
  withCounter,
  withRuntime,
} from './tcp-helpers.js';
import type { EchoStats } from './tcp-helpers.js';

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
    const crashes = rt.recentEvents().filter((e) => e.type === 'NodeCrashed' && e.node === 'n2').length;
    assert.is(crashes, 1);
    console.log(`    restart to ready ${Date.now() - t0} ms; n1 reconnected ${reconnectMs} ms after ready`);
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
    const full = () => rt.recentEvents().filter((e) => e.type === 'MessageDropped' && e.reason === 'peer buffer full').length;
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
