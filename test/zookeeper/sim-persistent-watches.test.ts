/**
 * Persistent watches through the embedding API (`ZkClient.addWatch` as an Observable, `checkWatches`,
 * `removeWatches`) on the simulator: the zookeeper actor's watch table driven by replicated changes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCluster, ZkError, type Cluster, type WatchEvent } from '../../src/cluster.js';
import { Err } from '../../src/protocol/txn.js';
import type { ZkReply } from '../../src/protocol/zookeeper.js';

/** Simulated time to wait for events at most. */
const eventWaitMs = 5_000;
const pollMs = 10;

let c: Cluster;
test.before(async () => {
  c = await createCluster({ runtime: 'sim', seed: 0x3a7c });
  await c.waitForLeader();
});
test.after(async () => {
  await c.close();
});

async function until(events: readonly WatchEvent[], count: number): Promise<string[]> {
  for (let waited = 0; events.length < count && waited < eventWaitMs; waited += pollMs) await c.runtime.sleep(pollMs);
  return events.map((e) => `${e.event} ${e.path}`);
}

async function watchTable(node: string): Promise<Extract<ZkReply, { type: 'ZkWatchesReply' }>> {
  const r = await c.runtime.ask<ZkReply>(`${node}/zookeeper`, { type: 'ZkWatchesQuery', entriesMax: 1_000 }, 1_000);
  if (r.type !== 'ZkWatchesReply') throw new Error(`unexpected ${r.type}`);
  return r;
}

test('addWatch: persistent and recursive Observables see their events until removeWatches completes them', async () => {
  const a = await c.client({ node: 'n1' });
  const b = await c.client({ node: 'n2' });
  const persistent: WatchEvent[] = [];
  const recursive: WatchEvent[] = [];
  let completed = 0;
  a.addWatch('/sp', 'persistent').subscribe({ next: (e) => persistent.push(e), complete: () => completed++ });
  a.addWatch('/sp', 'persistentRecursive').subscribe({ next: (e) => recursive.push(e), complete: () => completed++ });
  assert.ok(await a.checkWatches('/sp', 'persistentRecursive'), 'set (requests of one client are handled in order)');
  assert.not.ok(await a.checkWatches('/sp', 'data'));
  await b.create('/sp', '0');
  await b.create('/sp/x', '0');
  await b.setData('/sp/x', '1');
  await b.delete('/sp/x');
  await b.setData('/sp', '1');
  assert.equal(await until(recursive, 5), ['NodeCreated /sp', 'NodeCreated /sp/x', 'NodeDataChanged /sp/x', 'NodeDeleted /sp/x', 'NodeDataChanged /sp']);
  assert.equal(await until(persistent, 4), ['NodeCreated /sp', 'NodeChildrenChanged /sp', 'NodeChildrenChanged /sp', 'NodeDataChanged /sp']);

  await a.removeWatches('/sp', 'any');
  assert.is(completed, 2, 'both Observables complete');
  assert.not.ok(await a.checkWatches('/sp'));
  let code: number | undefined;
  await a.removeWatches('/sp').catch((e) => (code = e instanceof ZkError ? e.code : -1));
  assert.is(code, Err.NOWATCHER);
  await b.setData('/sp', '2');
  await b.sync();
  await a.sync();
  assert.is(recursive.length + persistent.length, 9, 'nothing after the removal');
  await a.close();
  await b.close();
});

test('unsubscribing removes the watch on the node; closing the session drops its watches', async () => {
  const a = await c.client({ node: 'n1' });
  const sub = a.addWatch('/u', 'persistent').subscribe();
  assert.ok(await a.checkWatches('/u', 'persistent'));
  sub.unsubscribe();
  assert.not.ok(await a.checkWatches('/u', 'persistent'));

  a.addWatch('/gone', 'persistentRecursive').subscribe();
  await a.exists('/gone', true);
  assert.ok(await a.checkWatches('/gone', 'any'));
  const listed = (await watchTable('n1')).watches.find((w) => w.path === '/gone');
  assert.equal(listed?.sessions.map((x) => [x.sessionId, [...x.kinds]]), [[a.sessionId, ['exists', 'persistentRecursive']]]);
  await a.close();
  const after = await watchTable('n1');
  assert.not.ok(after.watches.some((w) => w.sessions.some((x) => x.sessionId === a.sessionId)), 'no watch of the closed session is left');
});

test.run();
