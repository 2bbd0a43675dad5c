/**
 * The behaviour every driver must show with the demo actors: the same suite runs on sim, threads and tcp.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, filter, take, toArray, timeout } from 'rxjs';
import { AskTimeoutError } from '../../src/kernel/actor.js';
import { ofType } from '../../src/kernel/events.js';
import type { NodeSpec, Runtime } from '../../src/runtime/driver.js';
import type { Fault } from '../../src/protocol/faults.js';

export const demoKindsUrl = new URL('../fixtures/demo-actors.js', import.meta.url).href;

export const demoNodes: NodeSpec[] = ['n1', 'n2', 'n3'].map((node) => ({
  node,
  actors: [
    { name: 'ping', kind: 'pinger' },
    { name: 'counter', kind: 'counter' },
    { name: 'echo', kind: 'echo' },
  ],
}));

type Count = { type: 'Count'; count: number };
type PingStatus = { type: 'PingStatus'; hits: number; done: boolean };

async function eventually(rt: Runtime, check: () => Promise<boolean>, maxMs: number, what: string): Promise<void> {
  const t0 = rt.now();
  for (;;) {
    if (await check().catch(() => false)) return;
    if (rt.now() - t0 > maxMs) assert.unreachable(`${what}: not within ${maxMs} ms`);
    await rt.sleep(20);
  }
}

const pingDone = (rt: Runtime, addr: string) => async () => (await rt.ask<PingStatus>(addr, { type: 'Status' }, 500)).done;

export function conformance(name: string, make: () => Promise<Runtime>): void {
  const s = suite<{ rt: Runtime }>(name, { rt: undefined as unknown as Runtime });
  s.before.each(async (ctx) => {
    ctx.rt = await make();
  });
  s.after.each(async (ctx) => {
    await ctx.rt.close();
  });

  s('ask and send reach actors on every node', async ({ rt }) => {
    for (const n of rt.nodes) rt.send(`${n}/counter`, { type: 'Inc', by: 7 });
    for (const n of rt.nodes) assert.is((await rt.ask<Count>(`${n}/counter`, { type: 'Get' }, 2_000)).count, 7);
  });

  s('ping-pong between nodes completes', async ({ rt }) => {
    rt.send('n1/ping', { type: 'Start', peer: 'n2/ping', rounds: 200 });
    await eventually(rt, pingDone(rt, 'n1/ping'), 5_000, 'ping-pong');
    assert.is((await rt.ask<PingStatus>('n2/ping', { type: 'Status' }, 500)).hits, 100);
  });

  s('inspect: every running actor with its mailbox, inspected state and (sim, threads) sends per node', async ({ rt }) => {
    rt.send('n2/counter', { type: 'Inc', by: 5 });
    rt.send('n1/ping', { type: 'Start', peer: 'n2/ping', rounds: 200 });
    await eventually(rt, pingDone(rt, 'n1/ping'), 5_000, 'ping-pong');
    await rt.ask<Count>('n2/counter', { type: 'Get' }, 2_000);
    const all = await rt.inspect();
    assert.equal(all.map((a) => a.addr).sort(), demoNodes.flatMap((n) => n.actors.map((a) => `${n.node}/${a.name}`)).sort());
    for (const a of all) assert.ok(Number.isInteger(a.mailbox) && a.mailbox >= 0, `${a.addr} mailbox ${a.mailbox}`);
    assert.equal(all.find((a) => a.addr === 'n2/counter')!.state, { count: 5 });
    assert.is(all.find((a) => a.addr === 'n1/echo')!.state, null, 'no inspect, no state');
    // over tcp peer frames are counted per node process, not per actor: no per-link counters there yet
    if (rt.kind !== 'tcp') assert.ok((all.find((a) => a.addr === 'n1/ping')!.sentTo.n2 ?? 0) >= 100, 'n1/ping sent its 100 pings to n2');
    await rt.kill('n3');
    assert.not.ok((await rt.inspect()).some((a) => a.node === 'n3'), 'a killed node has no actors to inspect');
  });

  s('an ask to a killed node times out; restart brings the node back with fresh state', async ({ rt }) => {
    const faults: Fault['kind'][] = [];
    rt.events$.pipe(ofType('FaultInjected')).subscribe((e) => faults.push(e.fault.kind));
    rt.send('n2/counter', { type: 'Inc', by: 3 });
    assert.is((await rt.ask<Count>('n2/counter', { type: 'Get' }, 2_000)).count, 3);
    await rt.kill('n2');
    assert.not.ok(rt.isUp('n2'));
    try {
      await rt.ask('n2/counter', { type: 'Get' }, 300);
      assert.unreachable('a dead node answered');
    } catch (e) {
      assert.ok(e instanceof AskTimeoutError || (e as Error).name === 'AskTimeoutError', String(e));
    }
    await rt.restart('n2');
    assert.ok(rt.isUp('n2'));
    await eventually(rt, async () => (await rt.ask<Count>('n2/counter', { type: 'Get' }, 500)).count === 0, 5_000, 'restarted counter');
    rt.send('n1/ping', { type: 'Start', peer: 'n2/ping', rounds: 10 });
    await eventually(rt, pingDone(rt, 'n1/ping'), 5_000, 'ping to the restarted node');
    assert.equal(faults.filter((k) => k === 'kill' || k === 'restart'), ['kill', 'restart']);
  });

  s('partition blocks both ways, heal restores, cut is one-way', async ({ rt }) => {
    await rt.partition([['n1'], ['n2', 'n3']]);
    rt.send('n1/ping', { type: 'Start', peer: 'n2/ping', rounds: 4 });
    await rt.sleep(200);
    assert.is((await rt.ask<PingStatus>('n2/ping', { type: 'Status' }, 1_000)).hits, 0);
    await rt.heal();
    rt.send('n1/ping', { type: 'Start', peer: 'n2/ping', rounds: 4 });
    await eventually(rt, pingDone(rt, 'n1/ping'), 5_000, 'after heal');
    await rt.cut('n3', 'n1');
    rt.send('n1/ping', { type: 'Start', peer: 'n3/ping', rounds: 4 });
    await rt.sleep(200);
    assert.is((await rt.ask<PingStatus>('n3/ping', { type: 'Status' }, 1_000)).hits, 1, 'n1 -> n3 flows');
    assert.is((await rt.ask<PingStatus>('n1/ping', { type: 'Status' }, 1_000)).hits, 2, 'n3 -> n1 is cut');
    await rt.heal();
  });

  s('slow delays delivery into a node', async ({ rt }) => {
    rt.send('n1/ping', { type: 'Start', peer: 'n2/ping', rounds: 20 });
    await eventually(rt, pingDone(rt, 'n1/ping'), 5_000, 'warm-up');
    await rt.slow('n2', 150);
    const t0 = rt.now();
    rt.send('n3/ping', { type: 'Start', peer: 'n2/ping', rounds: 4 });
    await eventually(rt, pingDone(rt, 'n3/ping'), 5_000, 'slow ping');
    const took = rt.now() - t0;
    assert.ok(took >= 300, `two trips into n2 took ${took.toFixed(1)} ms`);
    await rt.slow('n2', 0);
  });

  s('drop(1) loses everything between nodes, drop(0) restores', async ({ rt }) => {
    await rt.drop(1);
    rt.send('n1/ping', { type: 'Start', peer: 'n2/ping', rounds: 2 });
    await rt.sleep(200);
    assert.is((await rt.ask<PingStatus>('n2/ping', { type: 'Status' }, 1_000)).hits, 0);
    await rt.drop(0);
    rt.send('n1/ping', { type: 'Start', peer: 'n2/ping', rounds: 2 });
    await eventually(rt, pingDone(rt, 'n1/ping'), 5_000, 'after drop(0)');
  });

  s('every fault is a FaultInjected event, in order', async ({ rt }) => {
    const got = firstValueFrom(rt.events$.pipe(ofType('FaultInjected'), take(5), toArray(), timeout(5_000)));
    await rt.partition([['n1'], ['n2', 'n3']]);
    await rt.heal();
    await rt.slow('n3', 10);
    await rt.slow('n3', 0);
    await rt.drop(0);
    assert.equal((await got).map((e) => e.fault.kind), ['partition', 'heal', 'slow', 'slow', 'drop']);
  });

  s('a crash inside receive is supervised: restarted with fresh state', async ({ rt }) => {
    const restarted = firstValueFrom(
      rt.events$.pipe(
        ofType('ActorRestarted'),
        filter((e) => e.actor === 'n3/counter'),
        timeout(5_000),
      ),
    );
    rt.send('n3/counter', { type: 'Inc', by: 4 });
    rt.send('n3/counter', { type: 'Crash' });
    await rt.sleep(100); // lets the simulator run; real drivers just wait
    const e = await restarted;
    assert.is(e.directive, 'Restart');
    await eventually(rt, async () => (await rt.ask<Count>('n3/counter', { type: 'Get' }, 500)).count === 0, 5_000, 'fresh state');
  });

  s.run();
}
