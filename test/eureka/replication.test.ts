/**
 * The registry actor's replication dispatcher on the simulator, against a recording fake peer: batches of at most
 * 250, sent <= 500 ms after the oldest task, newer tasks replace pending ones with the same id, failures retried
 * with back-off, tasks older than the expiry dropped (ReplicationFailed willRetry=false), evictions never sent.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kinds as registryKinds } from '../../actors/index.js';
import { defineActor } from '../../src/kernel/actor.js';
import type { RegistryRequest } from '../../src/core/registry/messages.js';
import { createSimRuntime } from '../../src/runtime/sim/index.js';
import { inst } from './fixtures.js';

interface Seen {
  readonly atMs: number;
  readonly items: readonly { action: string; id: string }[];
}

/** A peer that records every batch; answers 200s unless told to stay silent (the asker then times out). */
const recorder = defineActor<{ batches: Seen[]; silent: boolean }, RegistryRequest | { type: 'Silent'; on: boolean } | { type: 'Dump' }>({
  init: () => ({ batches: [], silent: false }),
  receive(s, m, ctx) {
    switch (m.type) {
      case 'EurekaReplicationBatch':
        s.batches.push({ atMs: ctx.now(), items: m.items.map((i) => ({ action: i.action, id: i.id })) });
        if (!s.silent) ctx.reply({ type: 'EurekaReplicationBatchResult', results: m.items.map(() => ({ statusCode: 200 })) });
        return s;
      case 'EurekaSyncRequest':
        ctx.reply({ type: 'EurekaSyncSnapshot', instances: [], overrides: [] });
        return s;
      case 'Silent':
        return { ...s, silent: m.on };
      case 'Dump':
        ctx.reply({ type: 'Dumped', batches: [...s.batches] }); // a copy: delivery freezes the reply
        return s;
      default:
        return s;
    }
  },
  mailboxCapacity: 100_000,
});

async function setup() {
  const sim = await createSimRuntime({
    seed: 11,
    kinds: { ...registryKinds, recorder },
    kindsModule: '',
    net: { latencyMinMs: 1, latencyMaxMs: 2 },
    nodes: [
      { node: 'n1', actors: [{ name: 'registry', kind: 'registry', args: { peers: ['n2/peer'], config: { selfPreservationEnabled: false, leaseDurationMs: 5_000, evictionIntervalMs: 1_000 }, replication: { askTimeoutMs: 1_000, taskExpiryMs: 5_000 } } }] },
      { node: 'n2', actors: [{ name: 'peer', kind: 'recorder' }] },
    ],
  });
  await sim.runFor(100);
  const batches = async () => (await sim.ask<{ type: 'Dumped'; batches: Seen[] }>('n2/peer', { type: 'Dump' }, 1_000)).batches;
  return { sim, batches };
}

test('600 registrations go out as batches of <= 250, the first within 500 ms', async () => {
  const { sim, batches } = await setup();
  const t0 = sim.now();
  for (let i = 0; i < 600; i++) sim.send('n1/registry', { type: 'EurekaRegister', info: inst('app', `i${i}`) });
  await sim.runFor(2_000);
  const bs = (await batches()).filter((b) => b.items.some((x) => x.action === 'Register'));
  const sizes = bs.map((b) => b.items.length);
  assert.ok(sizes.every((n) => n <= 250), JSON.stringify(sizes));
  assert.is(sizes.reduce((a, b) => a + b, 0), 600);
  assert.ok(sizes.length >= 3, JSON.stringify(sizes));
  assert.ok(bs[0]!.atMs - t0 <= 510, `first batch after ${bs[0]!.atMs - t0} ms`);
  await sim.close();
});

test('a newer task replaces a pending one with the same id (10 renews -> 1 Heartbeat)', async () => {
  const { sim, batches } = await setup();
  sim.send('n1/registry', { type: 'EurekaRegister', info: inst('app', 'x') });
  await sim.runFor(1_000);
  for (let i = 0; i < 10; i++) sim.send('n1/registry', { type: 'EurekaRenew', app: 'APP', id: 'x' });
  await sim.runFor(1_000);
  const hb = (await batches()).flatMap((b) => b.items).filter((x) => x.action === 'Heartbeat');
  assert.is(hb.length, 1);
  await sim.close();
});

test('an unresponsive peer: batches retried with back-off, then expired tasks dropped with ReplicationFailed', async () => {
  const { sim, batches } = await setup();
  sim.send('n2/peer', { type: 'Silent', on: true });
  await sim.runFor(10);
  sim.send('n1/registry', { type: 'EurekaRegister', info: inst('app', 'y') });
  await sim.runFor(12_000);
  const tries = (await batches()).filter((b) => b.items.some((x) => x.id === 'y'));
  assert.ok(tries.length >= 2 && tries.length <= 8, `${tries.length} attempts`);
  const gaps = tries.slice(1).map((t, i) => t.atMs - tries[i]!.atMs);
  assert.ok(gaps.every((g) => g >= 1_000), `retry gaps ${JSON.stringify(gaps)} include the ask timeout + back-off`);
  const ev = sim.recentEvents().filter((e) => e.type === 'ReplicationFailed');
  assert.ok(ev.some((e) => e.type === 'ReplicationFailed' && e.willRetry), 'a retried failure was reported');
  assert.ok(ev.some((e) => e.type === 'ReplicationFailed' && !e.willRetry && e.reason === 'expired') || tries.at(-1)!.atMs - tries[0]!.atMs <= 6_000, 'tasks expire after 5 s');
  // once the peer answers again, new work flows
  sim.send('n2/peer', { type: 'Silent', on: false });
  sim.send('n1/registry', { type: 'EurekaRegister', info: inst('app', 'z') });
  await sim.runFor(8_000);
  const after = await batches();
  assert.ok(after.some((b) => b.items.some((x) => x.id === 'z')), JSON.stringify(after.map((b) => [Math.round(b.atMs), b.items.map((x) => x.id)])));
  await sim.close();
});

test('evictions are never replicated', async () => {
  const { sim, batches } = await setup();
  sim.send('n1/registry', { type: 'EurekaRegister', info: inst('app', 'gone', { leaseInfo: { ...inst('a', 'a').leaseInfo, durationInSecs: 1 } }) });
  await sim.runFor(6_000);
  assert.ok(sim.recentEvents().some((e) => e.type === 'InstanceEvicted' && e.id === 'gone'));
  const actions = (await batches()).flatMap((b) => b.items).filter((x) => x.id === 'gone').map((x) => x.action);
  assert.equal(actions, ['Register']);
  await sim.close();
});

test.run();
