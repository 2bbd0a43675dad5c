/**
 * Election + broadcast actors (with the stand-in storage actor) on the worker-thread driver, in real time:
 * a leader is elected, writes commit everywhere, and killing the leader's node elects a new one quickly.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ClusterEvent } from '../../src/protocol/events.js';
import { createThreadsRuntime } from '../../src/runtime/threads/index.js';

const kindsUrl = new URL('../fixtures/mem-storage-actor.js', import.meta.url).href;
const ids = [1, 2, 3];
const members = { 1: 'n1', 2: 'n2', 3: 'n3' };
const nodes = ids.map((id) => ({
  node: `n${id}`,
  actors: [
    { name: 'storage', kind: 'storage' },
    { name: 'election', kind: 'election', args: { myId: id, members, voters: ids } },
    { name: 'broadcast', kind: 'broadcast', args: { myId: id, members, voters: ids } },
  ],
}));

async function until(pred: () => boolean, maxMs: number): Promise<boolean> {
  const t0 = Date.now();
  while (!pred() && Date.now() - t0 < maxMs) await new Promise((r) => setTimeout(r, 5));
  return pred();
}

test('threads: elect, commit, kill the leader, a new leader within a second', async () => {
  const rt = await createThreadsRuntime({ nodes, kindsModule: kindsUrl, threads: 3 });
  const events: ClusterEvent[] = [];
  const sub = rt.events$.subscribe((e) => events.push(e));
  try {
    const elected = () => events.filter((e) => e.type === 'LeaderElected') as ClusterEvent<'LeaderElected'>[];
    const committed = (node: string) =>
      Math.max(0, ...events.filter((e) => e.type === 'Committed' && e.node === node).map((e) => (e as ClusterEvent<'Committed'>).zxid));
    assert.ok(await until(() => elected().length > 0, 5_000), 'a leader within 5 s');
    const first = elected()[0]!;
    console.log(`first leader n${first.leader}, electionMs ${first.electionMs.toFixed(1)}`);
    assert.ok(await until(() => events.filter((e) => e.type === 'FollowingLeader').length >= 2, 10_000), 'both followers synced within 10 s (a loaded machine)');
    for (let i = 1; i <= 50; i++) rt.send(`n${first.leader}/broadcast`, { type: 'ClientWrite', reqId: i, txn: { origin: 0, reqId: i } });
    const target = first.epoch * 2 ** 32 + 50;
    assert.ok(await until(() => ids.every((id) => committed(`n${id}`) === target), 10_000), 'all 50 writes committed on every node');

    const t0 = Date.now();
    await rt.kill(`n${first.leader}`);
    assert.ok(await until(() => elected().length > 1, 5_000), 'a new leader after the kill');
    const ms = Date.now() - t0;
    const tk = events.find((e) => e.type === 'FaultInjected')?.time ?? 0;
    for (const e of events.filter((x) => x.time >= tk && /Leader|Election|Following/.test(x.type))) {
      console.log(`  +${(e.time - tk).toFixed(0)} ms ${e.node} ${e.type} ${JSON.stringify(e).slice(0, 160)}`);
    }
    const second = elected()[1]!;
    console.log(`failover (threads, real time): n${second.leader} epoch ${second.epoch} after ${ms} ms`);
    assert.is.not(second.leader, first.leader);
    assert.ok(ms < 1_500, `failover ${ms} ms`);
  } finally {
    sub.unsubscribe();
    await rt.close();
  }
});

test.run();
