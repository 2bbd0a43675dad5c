/**
 * The election and broadcast actor shells on the deterministic sim driver, with a stand-in storage actor:
 * a 3-node cluster elects one leader, commits writes sent to any node, fails over when the leader dies, and a
 * restarted node catches up.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ClusterEvent } from '../../src/protocol/events.js';
import { createSimRuntime } from '../../src/runtime/sim/index.js';
import { consensusKinds } from '../fixtures/mem-storage-actor.js';

const ids = [1, 2, 3];
const members = { 1: 'n1', 2: 'n2', 3: 'n3' };

function nodes() {
  return ids.map((id) => ({
    node: `n${id}`,
    actors: [
      { name: 'storage', kind: 'storage' },
      { name: 'election', kind: 'election', args: { myId: id, members, voters: ids } },
      { name: 'broadcast', kind: 'broadcast', args: { myId: id, members, voters: ids } },
    ],
  }));
}

test('sim driver: elect, commit writes from any node, fail over, catch up after restart', async () => {
  const seed = Number(process.env.SEED ?? 0x5eed);
  const rt = await createSimRuntime({ seed, kinds: consensusKinds, kindsModule: '', nodes: nodes(), net: { latencyMinMs: 0.1, latencyMaxMs: 1 } });
  const events: ClusterEvent[] = [];
  rt.events$.subscribe((e) => events.push(e));
  const elected = () => events.filter((e) => e.type === 'LeaderElected') as ClusterEvent<'LeaderElected'>[];
  const committedOn = (node: string) =>
    Math.max(0, ...events.filter((e) => e.type === 'Committed' && e.node === node).map((e) => (e as ClusterEvent<'Committed'>).zxid));

  assert.ok(await rt.runUntil(() => elected().length > 0, 3_000), `seed=0x${seed.toString(16)}: a leader within 3 s`);
  const first = elected()[0]!;
  console.log(`first leader n${first.leader} epoch ${first.epoch} after ${first.electionMs.toFixed(1)} ms (virtual)`);

  // writes on a follower are refused until it is in broadcast phase: wait for both followers
  assert.ok(await rt.runUntil(() => events.filter((e) => e.type === 'FollowingLeader').length >= 2, 2_000), 'both followers synced');
  let reqId = 0;
  const write = (node: string) => rt.send(`${node}/broadcast`, { type: 'ClientWrite', reqId: ++reqId, txn: { origin: 0, reqId } });
  for (let i = 0; i < 30; i++) write(`n${1 + (i % 3)}`);
  await rt.runUntil(() => ids.every((id) => committedOn(`n${id}`) % 2 ** 32 >= 30), 2_000);
  for (const id of ids) assert.is(committedOn(`n${id}`), first.epoch * 2 ** 32 + 30, `n${id}: all 30 writes committed in epoch ${first.epoch}`);

  const killedAt = rt.now();
  await rt.kill(`n${first.leader}`);
  assert.ok(await rt.runUntil(() => elected().length > 1, 3_000), 'a new leader after the old one died');
  const second = elected()[1]!;
  const failoverMs = rt.now() - killedAt;
  console.log(`failover: n${second.leader} epoch ${second.epoch} leads ${failoverMs.toFixed(1)} ms (virtual) after the kill`);
  assert.is.not(second.leader, first.leader);
  assert.ok(second.epoch > first.epoch);
  assert.ok(failoverMs < 1_000, `failover under 1 s (was ${failoverMs} ms)`);

  const survivors = ids.filter((id) => id !== first.leader).map((id) => `n${id}`);
  const following = () => events.filter((e) => e.type === 'FollowingLeader' && e.time > killedAt).length;
  assert.ok(await rt.runUntil(() => following() >= 1, 2_000), 'the other survivor follows');
  for (let i = 0; i < 10; i++) write(survivors[i % 2]!);
  assert.ok(await rt.runUntil(() => survivors.every((n) => committedOn(n) % 2 ** 32 === 10), 2_000), 'writes commit in the new epoch');

  await rt.restart(`n${first.leader}`);
  const target = committedOn(survivors[0]!);
  assert.ok(await rt.runUntil(() => committedOn(`n${first.leader}`) >= target, 3_000), 'the restarted node catches up');
  await rt.close();
});

test.run();
