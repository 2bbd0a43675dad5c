import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCluster } from '../../src/cluster.js';
import { CreateMode } from '../../src/protocol/txn.js';

test('the leader reaps a container once its last child goes, and a TTL node after its TTL without change', async () => {
  const c = await createCluster({ runtime: 'sim', seed: 0x7ea9, reapIntervalMs: 1_000 });
  try {
    await c.waitForLeader();
    const zk = await c.client({ node: 'n1' });
    await zk.create('/box', '', { mode: CreateMode.CONTAINER });
    await zk.create('/box/item', 'x');
    await zk.create('/lease', 'x', { mode: CreateMode.PERSISTENT_WITH_TTL, ttlMs: 8_000 });
    await zk.create('/keep', 'x');
    await c.runtime.sleep(2_500);
    assert.ok((await zk.exists('/box')) !== null, 'a container with a child stays');
    await zk.delete('/box/item');
    await c.runtime.sleep(2_500);
    assert.is(await zk.exists('/box'), null, 'the emptied container is reaped');
    assert.ok((await zk.exists('/lease')) !== null, 'the TTL has not run out yet');
    await c.runtime.sleep(5_000); // 10 s since the create: past the 8 s TTL and one reaper run
    assert.is(await zk.exists('/lease'), null, 'the TTL node is reaped');
    assert.ok((await zk.exists('/keep')) !== null, 'persistent nodes stay');
    // Every replica agrees.
    const other = await c.client({ node: 'n3' });
    await other.sync();
    assert.equal((await other.getChildren('/')).sort(), ['keep', 'zookeeper']);
  } finally {
    await c.close();
  }
});

test.run();
