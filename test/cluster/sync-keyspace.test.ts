/** A ZooKeeper sync whose apply point is a Redis write answers at once (found by the failure lab's mixed workload). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCluster } from '../../src/cluster.js';
import type { SimRuntime } from '../../src/runtime/sim/index.js';
import { keyspaceBackend, keyspaceCommandTable } from '../../src/servers/redis/keyspace.js';

test('sync after a keyspace write does not wait for the next znode write', async () => {
  const cluster = await createCluster({ runtime: 'sim', seed: 5 });
  const sim = cluster.runtime as SimRuntime;
  const leader = await cluster.waitForLeader();
  const follower = cluster.nodes.find((n) => n !== leader)!;
  const zk = await cluster.client({ node: follower });
  await zk.create('/z', 'a');
  const redis = keyspaceBackend(cluster.runtime, follower, () => sim.now());
  const client = { id: 1, db: 0, resp: 2 as const, name: '', user: 'default' };
  const set = keyspaceCommandTable().byName.get('set')!;
  const enc = new TextEncoder();
  for (let i = 0; i < 3; i++) {
    const r = await redis.execute(client, [enc.encode('SET'), enc.encode('k'), enc.encode(`v${i}`)], set);
    assert.equal(r, { kind: 'Simple', text: 'OK' });
  }
  const t0 = sim.now();
  await zk.sync();
  assert.ok(sim.now() - t0 < 100, `sync took ${sim.now() - t0} ms`);
  assert.is(new TextDecoder().decode((await zk.getData('/z')).data), 'a');
  await cluster.close();
});

test.run();
