/**
 * Streams through ZAB on a 3-node embedded cluster, with ioredis on each node's RESP port: `*` ids taken from the
 * leader's clock at proposal, so every node holds the same ids; a consumer group read, claimed and acknowledged from
 * different nodes is identical on every node (XINFO STREAM FULL, delivery and seen times included) and after a
 * restart on the same dataDir. XREAD and XREADGROUP BLOCK wait for data written through another node.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createCluster, type Cluster } from '../../src/cluster.js';

const clients: Redis[] = [];
const connect = (c: Cluster, node: string): Redis => {
  const r = new Redis({ port: c.redisPorts.get(node)!, host: '127.0.0.1', maxRetriesPerRequest: 1, lazyConnect: false });
  clients.push(r);
  return r;
};
const closeAll = (): void => {
  for (const r of clients.splice(0)) r.disconnect();
};
/** Polls for a node's local state to reach the expected length. */
const pollsMax = 100;
const pollIntervalMs = 50;

let dir = '';
let cluster: Cluster;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'conclave-streams-'));
  cluster = await createCluster({ dataDir: dir });
  await cluster.waitForLeader(20_000);
  await cluster.waitForAllServing(10_000);
});

test.after(async () => {
  closeAll();
  await cluster.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Each node's own (READONLY) view of the stream once it holds `length` entries. */
async function localViews(length: number): Promise<string[]> {
  const views: string[] = [];
  for (const n of cluster.nodes) {
    const r = connect(cluster, n);
    await r.call('readonly');
    for (let i = 0; i < pollsMax && Number(await r.xlen('jobs')) < length; i++) await new Promise((res) => setTimeout(res, pollIntervalMs));
    views.push(JSON.stringify([await r.call('xinfo', 'stream', 'jobs', 'full', 'count', '0'), await r.xrange('jobs', '-', '+')]));
  }
  return views;
}

test('XADD * on every node: the same ids everywhere, from the leader clock, increasing', async () => {
  const rs = cluster.nodes.map((n) => connect(cluster, n));
  const before = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < 30; i++) ids.push((await rs[i % rs.length]!.xadd('jobs', '*', 'n', String(i)))!);
  const after = Date.now();
  for (const id of ids) {
    const ms = Number(id.split('-')[0]);
    assert.ok(ms >= before - 1000 && ms <= after + 1000, `id ${id} from the clock (${before}..${after})`);
  }
  const sorted = [...ids].sort((x, y) => {
    const [a1, a2] = x.split('-').map(BigInt);
    const [b1, b2] = y.split('-').map(BigInt);
    return a1! < b1! || (a1 === b1 && a2! < b2!) ? -1 : 1;
  });
  assert.equal(ids, sorted, 'ids increase in log order');
  for (const r of rs) assert.equal((await r.xrange('jobs', '-', '+')).map(([id]) => id), ids);
});

test('XREAD BLOCK: a timeout answers null after it; an XADD on another node wakes a reader blocked on `$`', async () => {
  const [a, b, c] = cluster.nodes.map((n) => connect(cluster, n));
  const t0 = Date.now();
  assert.is(await b!.xread('BLOCK', 300, 'STREAMS', 'events', '$'), null);
  assert.ok(Date.now() - t0 >= 300, `answered after ${Date.now() - t0} ms`);
  const waiting = c!.xread('BLOCK', 10_000, 'STREAMS', 'events', '$');
  await new Promise((res) => setTimeout(res, 300));
  const id = await a!.xadd('events', '*', 'kind', 'late');
  const got = await waiting;
  assert.equal(got, [['events', [[id, ['kind', 'late']]]]]);
  assert.ok(Date.now() - t0 < 5_000, 'woken by the XADD, not the timeout');
});

test('XREADGROUP BLOCK with `>`: null after the timeout; an XADD on another node wakes the consumer, once', async () => {
  const [a, b, c] = cluster.nodes.map((n) => connect(cluster, n));
  await a!.xgroup('CREATE', 'tasks', 'crew', '$', 'MKSTREAM');
  const t0 = Date.now();
  assert.is(await b!.xreadgroup('GROUP', 'crew', 'w1', 'BLOCK', 300, 'STREAMS', 'tasks', '>'), null);
  assert.ok(Date.now() - t0 >= 300, `answered after ${Date.now() - t0} ms`);
  const w1 = b!.xreadgroup('GROUP', 'crew', 'w1', 'BLOCK', 10_000, 'STREAMS', 'tasks', '>');
  const w2 = c!.xreadgroup('GROUP', 'crew', 'w2', 'BLOCK', 1_500, 'STREAMS', 'tasks', '>');
  await new Promise((res) => setTimeout(res, 300));
  const id = await a!.xadd('tasks', '*', 'job', '1');
  const got = [await w1, await w2].filter((r) => r !== null);
  assert.equal(got, [[['tasks', [[id, ['job', '1']]]]]], 'exactly one consumer gets the entry');
  assert.is(((await a!.xpending('tasks', 'crew')) as [number])[0], 1);
});

test('a consumer group worked from three nodes is identical on every node, and after a restart', async () => {
  const [a, b, c] = cluster.nodes.map((n) => connect(cluster, n));
  assert.is(await a!.xgroup('CREATE', 'jobs', 'workers', '0'), 'OK');
  const got1 = (await b!.xreadgroup('GROUP', 'workers', 'w1', 'COUNT', '10', 'STREAMS', 'jobs', '>')) as [string, [string, string[]][]][];
  const got2 = (await c!.xreadgroup('GROUP', 'workers', 'w2', 'COUNT', '10', 'STREAMS', 'jobs', '>')) as [string, [string, string[]][]][];
  assert.is(got1[0]![1].length, 10);
  assert.is(got2[0]![1].length, 10);
  assert.is.not(got1[0]![1][0]![0], got2[0]![1][0]![0], 'no entry delivered twice');
  const acked = await a!.xack('jobs', 'workers', ...got1[0]![1].slice(0, 5).map(([id]) => id));
  assert.is(acked, 5);
  const claimed = (await c!.xclaim('jobs', 'workers', 'w3', 0, got2[0]![1][0]![0], 'JUSTID')) as string[];
  assert.equal(claimed, [got2[0]![1][0]![0]]);
  const pending = (await b!.xpending('jobs', 'workers')) as [number, string, string, [string, string][]];
  assert.is(pending[0], 15);
  assert.equal(pending[3], [['w1', '5'], ['w2', '9'], ['w3', '1']]);
  await a!.xadd('jobs', 'MAXLEN', '25', '*', 'n', 'last');
  const views = await localViews(25);
  assert.is(views[1], views[0]);
  assert.is(views[2], views[0]);
  assert.match(views[0]!, /"workers"/);
  closeAll();
  await cluster.close();
  cluster = await createCluster({ dataDir: dir });
  await cluster.waitForLeader(20_000);
  await cluster.waitForAllServing(10_000);
  const again = await localViews(25);
  assert.equal(again, views, 'the same stream, groups and PEL after a restart');
});

test.run();
