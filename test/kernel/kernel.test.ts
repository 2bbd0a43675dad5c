import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, take, toArray } from 'rxjs';
import { AskTimeoutError, defineActor } from '../../src/kernel/actor.js';
import type { ActorKinds } from '../../src/kernel/actor.js';
import { ofType } from '../../src/kernel/events.js';
import { Mailbox } from '../../src/kernel/mailbox.js';
import { Rng } from '../../src/core/rng.js';
import { createSimRuntime } from '../../src/runtime/sim/index.js';
import type { ClusterEvent } from '../../src/protocol/events.js';
import { kinds as demoKinds } from '../fixtures/demo-actors.js';

type RecMsg =
  | { readonly type: 'Rec'; readonly n: number }
  | { readonly type: 'Dump' }
  | { readonly type: 'Later'; readonly n: number }
  | { readonly type: 'Arm'; readonly key: string; readonly delayMs: number; readonly n: number }
  | { readonly type: 'Disarm'; readonly key: string }
  | { readonly type: 'Mutate' }
  | { readonly type: 'Boom' }
  | { readonly type: 'StopMe' };

const recorder = defineActor<{ seen: number[]; mutateError: string }, RecMsg>({
  init: () => ({ seen: [], mutateError: '' }),
  receive(s, m, ctx) {
    switch (m.type) {
      case 'Rec':
        return { ...s, seen: [...s.seen, m.n] };
      case 'Later':
        return { ...s, seen: [...s.seen, m.n] };
      case 'Arm':
        ctx.schedule(m.key, m.delayMs, { type: 'Later', n: m.n });
        return s;
      case 'Disarm':
        ctx.cancel(m.key);
        return s;
      case 'Dump':
        ctx.reply({ type: 'Dumped', seen: s.seen, mutateError: s.mutateError });
        return s;
      case 'Mutate':
        try {
          (m as unknown as { type: string }).type = 'Changed';
          return { ...s, mutateError: 'none' };
        } catch (e) {
          return { ...s, mutateError: (e as Error).name };
        }
      case 'Boom':
        throw new Error('boom');
      case 'StopMe':
        ctx.stop();
        return s;
    }
  },
  mailboxCapacity: 5,
  supervision: { restartsMax: 2, restartWindowMs: 1_000, backoffInitialMs: 10, backoffMaxMs: 100, onLimit: 'Stop' },
});

const silent = defineActor<null, { readonly type: 'Hello' }>({ init: () => null, receive: (s) => s });
const escalating = defineActor<null, { readonly type: 'Boom' }>({
  init: () => null,
  receive() {
    throw new Error('fatal');
  },
  supervision: { decide: () => 'Escalate' },
});

const kinds: ActorKinds = { ...demoKinds, recorder, silent, escalating };
const spec = (actors: { name: string; kind: string }[]) => [{ node: 'n1', actors }, { node: 'n2', actors }];

async function sim(seed = 1) {
  return createSimRuntime({
    seed,
    net: { latencyMinMs: 0, latencyMaxMs: 0 },
    traceMessages: true,
    kinds,
    kindsModule: '',
    nodes: spec([
      { name: 'rec', kind: 'recorder' },
      { name: 'silent', kind: 'silent' },
      { name: 'esc', kind: 'escalating' },
      { name: 'counter', kind: 'counter' },
    ]),
  });
}

type Dumped = { type: 'Dumped'; seen: number[]; mutateError: string };

test('messages between a pair are delivered in send order', async () => {
  const rt = await sim();
  for (let i = 0; i < 4; i++) rt.send('n1/rec', { type: 'Rec', n: i }); // + the Dump: 5, the mailbox bound
  const d = await rt.ask<Dumped>('n1/rec', { type: 'Dump' }, 1_000);
  assert.equal(d.seen, [0, 1, 2, 3]);
});

test('a full mailbox refuses messages as dead letters', async () => {
  const rt = await sim();
  const dead: ClusterEvent<'DeadLetter'>[] = [];
  rt.events$.pipe(ofType('DeadLetter')).subscribe((e) => dead.push(e));
  for (let i = 0; i < 8; i++) rt.send('n1/rec', { type: 'Rec', n: i });
  await rt.runFor(10);
  const d = await rt.ask<Dumped>('n1/rec', { type: 'Dump' }, 1_000);
  assert.equal(d.seen.length, 5, 'capacity 5 keeps the first five');
  assert.equal(dead.length, 3);
  assert.equal(dead[0]!.reason, 'mailbox full');
});

test('messages to an unknown actor are dead letters', async () => {
  const rt = await sim();
  const dead = firstValueFrom(rt.events$.pipe(ofType('DeadLetter')));
  rt.send('n2/nobody', { type: 'Hello' });
  await rt.runFor(10);
  const e = await dead;
  assert.is(e.to, 'n2/nobody');
  assert.is(e.reason, 'no such actor');
});

test('an ask nobody answers times out with AskTimeoutError at the virtual deadline', async () => {
  const rt = await sim();
  const t0 = rt.now();
  try {
    await rt.ask('n1/silent', { type: 'Hello' }, 250);
    assert.unreachable('should time out');
  } catch (e) {
    assert.instance(e, AskTimeoutError);
    assert.ok(rt.now() - t0 >= 250 && rt.now() - t0 < 251, `timed out at +${rt.now() - t0} ms`);
  }
});

test('timers arrive as messages to self; a cancelled or replaced timer does not fire', async () => {
  const rt = await sim();
  rt.send('n1/rec', { type: 'Arm', key: 'a', delayMs: 100, n: 1 });
  rt.send('n1/rec', { type: 'Arm', key: 'b', delayMs: 50, n: 2 });
  rt.send('n1/rec', { type: 'Arm', key: 'b', delayMs: 80, n: 3 }); // replaces b
  rt.send('n1/rec', { type: 'Arm', key: 'c', delayMs: 60, n: 4 });
  rt.send('n1/rec', { type: 'Disarm', key: 'c' });
  await rt.runFor(70);
  let d = await rt.ask<Dumped>('n1/rec', { type: 'Dump' }, 1_000);
  assert.equal(d.seen, [], rt.trace().join('\n'));
  await rt.runFor(50);
  d = await rt.ask<Dumped>('n1/rec', { type: 'Dump' }, 1_000);
  assert.equal(d.seen, [3, 1]);
});

test('messages are frozen on delivery', async () => {
  const rt = await sim();
  rt.send('n1/rec', { type: 'Mutate' });
  const d = await rt.ask<Dumped>('n1/rec', { type: 'Dump' }, 1_000);
  assert.is(d.mutateError, 'TypeError');
});

test('a crash restarts the actor with fresh state and back-off, then stops at the restart limit', async () => {
  const rt = await sim();
  const decisions: ClusterEvent<'ActorRestarted'>[] = [];
  rt.events$.pipe(ofType('ActorRestarted')).subscribe((e) => decisions.push(e));
  rt.send('n1/rec', { type: 'Rec', n: 7 });
  rt.send('n1/rec', { type: 'Boom' });
  rt.send('n1/rec', { type: 'Rec', n: 8 }); // waits in the mailbox through the back-off
  await rt.runFor(50);
  let d = await rt.ask<Dumped>('n1/rec', { type: 'Dump' }, 1_000);
  assert.equal(d.seen, [8], 'state was reset; the queued message survived the restart');
  assert.equal(decisions.map((e) => [e.directive, e.attempt, e.backoffMs]), [['Restart', 1, 10]]);
  rt.send('n1/rec', { type: 'Boom' });
  await rt.runFor(50);
  assert.equal(decisions.at(-1)!.backoffMs, 20, 'back-off doubles');
  rt.send('n1/rec', { type: 'Boom' });
  await rt.runFor(50);
  assert.is(decisions.at(-1)!.directive, 'Stop', 'third crash in the window exceeds restartsMax=2');
  try {
    await rt.ask('n1/rec', { type: 'Dump' }, 100);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, AskTimeoutError);
  }
  d = await rt.ask<Dumped>('n2/rec', { type: 'Dump' }, 1_000);
  assert.equal(d.seen, [], 'the other node is untouched');
});

test('Escalate takes the node down; restart brings it back', async () => {
  const rt = await sim();
  const crashed = firstValueFrom(rt.events$.pipe(ofType('NodeCrashed')));
  rt.send('n2/esc', { type: 'Boom' });
  await rt.runFor(10);
  assert.is((await crashed).node, 'n2');
  assert.not.ok(rt.isUp('n2'));
  await rt.restart('n2');
  rt.send('n2/counter', { type: 'Inc', by: 5 });
  const r = await rt.ask<{ type: 'Count'; count: number }>('n2/counter', { type: 'Get' }, 1_000);
  assert.is(r.count, 5);
});

test('an actor that stops itself turns later messages into dead letters', async () => {
  const rt = await sim();
  const stopped = firstValueFrom(rt.events$.pipe(ofType('ActorStopped')));
  rt.send('n1/rec', { type: 'StopMe' });
  rt.send('n1/rec', { type: 'Rec', n: 1 });
  await rt.runFor(10);
  assert.is((await stopped).actor, 'n1/rec');
  assert.ok(rt.host('n1')!.deadLetters >= 1);
});

test('system messages go ahead of user messages', () => {
  const mb = new Mailbox(10);
  mb.enqueue({ to: 'a/b', from: null, msg: { type: 'U1' } });
  mb.enqueueSystem({ type: 'Stop', reason: 'x' });
  mb.enqueue({ to: 'a/b', from: null, msg: { type: 'U2' } });
  const first = mb.next();
  assert.ok(first !== null && 'system' in first && first.system.type === 'Stop');
  const second = mb.next();
  assert.ok(second !== null && 'user' in second && second.user.msg.type === 'U1');
});

test('ping jumps the queue and answers Pong', async () => {
  const rt = await sim();
  const host = rt.host('n1')!;
  const p = host.ping('counter', 100);
  let pong = '';
  p.then((m) => (pong = m.type));
  await rt.runUntil(() => pong !== '', 100);
  assert.is(pong, 'Pong');
});

test('events carry time, node and a rising sequence number', async () => {
  const rt = await sim();
  const evs = firstValueFrom(rt.events$.pipe(ofType('DemoCounted'), take(2), toArray()));
  rt.send('n1/counter', { type: 'Inc', by: 100 });
  await rt.runFor(5);
  rt.send('n2/counter', { type: 'Inc', by: 200 });
  await rt.runFor(5);
  const [a, b] = await evs;
  assert.is(a!.node, 'n1');
  assert.is(b!.node, 'n2');
  assert.ok(b!.seq > a!.seq && b!.time > a!.time);
  assert.is(b!.count, 200);
});

test('the seeded generator repeats for a seed and differs across seeds', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const xa = Array.from({ length: 5 }, () => a.uint32());
  assert.equal(xa, Array.from({ length: 5 }, () => b.uint32()));
  assert.not.equal(xa, Array.from({ length: 5 }, () => c.uint32()));
  for (let i = 0; i < 1000; i++) {
    const x = a.next();
    assert.ok(x >= 0 && x < 1);
  }
});

test.run();
