/**
 * Pub/sub through the log on a 3-node embedded cluster: ioredis and node-redis subscribers on every node see every
 * message in one order whichever node it was published on; PUBLISH answers the receivers of all nodes; keyspace
 * notifications (expired included) on every node; RESP3 pushes; a subscriber that does not read is disconnected by
 * client-output-buffer-limit pubsub.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { createCluster, type Cluster } from '../../src/cluster.js';

let cluster: Cluster;
const clients: Redis[] = [];
const nodes = ['n1', 'n2', 'n3'];
const connect = (node: string): Redis => {
  const r = new Redis({ port: cluster.redisPorts.get(node)!, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  clients.push(r);
  return r;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits until `cond` holds, at most `ms`. */
async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const t0 = Date.now();
  while (!cond() && Date.now() - t0 < ms) await sleep(20);
}

test.before(async () => {
  cluster = await createCluster({});
  await cluster.waitForLeader(20_000);
  await cluster.waitForAllServing(10_000);
});
test.after(async () => {
  for (const r of clients.splice(0)) r.disconnect();
  await cluster.close();
});

test('messages published on every node reach subscribers on every node, in one order; PUBLISH counts all nodes', async () => {
  const subs = nodes.map(connect);
  const got: string[][] = subs.map(() => []);
  subs.forEach((s, i) => {
    s.on('message', (ch: string, m: string) => got[i]!.push(`${ch}:${m}`));
    s.on('pmessage', (p: string, ch: string, m: string) => got[i]!.push(`${p}|${ch}:${m}`));
  });
  for (const s of subs) {
    assert.is(await s.subscribe('news'), 1);
    assert.is(await s.psubscribe('n*'), 2);
  }
  const pubs = nodes.map(connect);
  const counts: number[] = [];
  for (let i = 0; i < 9; i++) counts.push(await pubs[i % 3]!.publish('news', `m${i}`));
  assert.equal(counts, Array(9).fill(6), 'one channel and one pattern receiver on each of 3 nodes');
  // concurrent publishers on three nodes: whatever order the log chose, every node delivers it
  const more = await Promise.all(Array.from({ length: 30 }, (_, i) => pubs[i % 3]!.publish('news', `c${i}`)));
  assert.ok(more.every((n) => n === 6));
  assert.is(await pubs[0]!.publish('zzz', 'x'), 0);
  await until(() => got.every((g) => g.length === 2 * 39));
  assert.is(got[0]!.length, 2 * 39);
  assert.equal(got[1], got[0]);
  assert.equal(got[2], got[0]);
  assert.equal(got[0]!.slice(0, 2), ['news:m0', 'n*|news:m0']);
  assert.equal(await pubs[1]!.call('pubsub', 'numsub', 'news', 'other'), ['news', 1, 'other', 0]);
  assert.is(await pubs[1]!.call('pubsub', 'numpat'), 1);
  assert.equal(await pubs[1]!.call('pubsub', 'channels', 'ne*'), ['news']);
  for (const s of subs) assert.is(await s.unsubscribe('news'), 1);
  for (const s of subs) assert.is(await s.punsubscribe('n*'), 0);
  assert.is(await pubs[0]!.publish('news', 'late'), 0);
});

test('SPUBLISH reaches SSUBSCRIBE on every node; PUBLISH inside MULTI answers its count in the EXEC array', async () => {
  const subs = nodes.map(connect);
  const got: string[] = [];
  subs.forEach((s) => s.on('smessage', (ch: string, m: string) => got.push(`${ch}:${m}`)));
  for (const s of subs) assert.is(await s.ssubscribe('shard1'), 1);
  const p = connect('n2');
  assert.is(await p.call('spublish', 'shard1', 'hello'), 3);
  const r = await p.multi().set('k', 'v').call('publish', 'shard1', 'not-shard').call('spublish', 'shard1', 'x').exec();
  assert.equal(r, [[null, 'OK'], [null, 0], [null, 3]]);
  await until(() => got.length === 6);
  assert.equal(got, ['shard1:hello', 'shard1:hello', 'shard1:hello', 'shard1:x', 'shard1:x', 'shard1:x']);
});

test('node-redis subscriber (RESP2) and keyspace notifications on every node, expired included', async () => {
  const nr = createClient({ socket: { port: cluster.redisPorts.get('n3')!, host: '127.0.0.1' } });
  await nr.connect();
  const got: string[] = [];
  for (const n of nodes) await connect(n).config('SET', 'notify-keyspace-events', 'KEA');
  const ks = nodes.map(connect);
  const seen: string[][] = ks.map(() => []);
  ks.forEach((s, i) => s.on('pmessage', (_p: string, ch: string, m: string) => seen[i]!.push(`${ch} ${m}`)));
  for (const s of ks) await s.psubscribe('__key*@0__:*');
  const sub = nr.duplicate();
  await sub.connect();
  await sub.subscribe('__keyevent@0__:expired', (key) => got.push(key));
  const w = connect('n1');
  await w.set('ttl-key', 'v', 'PX', 150);
  await w.incrby('cnt', 5);
  await until(() => got.length === 1 && seen.every((s) => s.length === 10), 5_000);
  assert.equal(got, ['ttl-key']);
  const want = [
    '__keyspace@0__:ttl-key set',
    '__keyevent@0__:set ttl-key',
    '__keyspace@0__:ttl-key expire',
    '__keyevent@0__:expire ttl-key',
    '__keyspace@0__:cnt incrby',
    '__keyevent@0__:incrby cnt',
    '__keyspace@0__:ttl-key expired',
    '__keyevent@0__:expired ttl-key',
  ];
  for (const s of seen) assert.equal(s.slice(0, 8), want);
  for (const n of nodes) await connect(n).config('SET', 'notify-keyspace-events', '');
  await sub.quit();
  await nr.quit();
});

test('RESP3: pushes interleave with replies; RESP2 subscribed mode refuses other commands', async () => {
  const port = cluster.redisPorts.get('n2')!;
  const raw = (script: string, waitMs = 400) =>
    new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      let out = '';
      s.on('data', (d) => (out += d.toString('latin1')));
      s.on('connect', () => s.write(script));
      setTimeout(() => (s.destroy(), resolve(out)), waitMs);
    });
  const r3 = await raw('HELLO 3\r\nSUBSCRIBE a\r\nGET nosuchkey\r\nPING\r\n');
  assert.ok(r3.endsWith('>3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n_\r\n+PONG\r\n'), JSON.stringify(r3));
  const r2 = await raw('SUBSCRIBE a b\r\nGET k\r\nPING\r\nPING x\r\nUNSUBSCRIBE\r\nPING\r\n');
  assert.is(
    r2,
    '*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n' +
      "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n" +
      '*2\r\n$4\r\npong\r\n$0\r\n\r\n*2\r\n$4\r\npong\r\n$1\r\nx\r\n' +
      '*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n+PONG\r\n',
  );
});

test('a subscriber that does not read is disconnected by client-output-buffer-limit pubsub', async () => {
  const admin = connect('n1');
  await admin.config('SET', 'client-output-buffer-limit', 'pubsub 256kb 128kb 60');
  const port = cluster.redisPorts.get('n1')!;
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  await new Promise((r) => s.on('connect', r));
  s.write('SUBSCRIBE flood\r\n');
  await sleep(200);
  s.pause(); // never reads again
  const subscribed = async () => / sub=1 /.test(String(await admin.client('LIST')));
  assert.ok(await subscribed());
  const big = 'x'.repeat(64 * 1024);
  const pub = connect('n2');
  let gone = false;
  for (let i = 0; i < 40 && !gone; i++) {
    for (let j = 0; j < 20; j++) await pub.publish('flood', big);
    gone = !(await subscribed());
  }
  assert.ok(gone, 'the slow subscriber was disconnected');
  assert.is(await pub.publish('flood', 'x'), 0);
  s.destroy();
  await admin.config('SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60');
});

test.run();
