/**
 * The keyspace through ZAB on a 3-node embedded cluster, with ioredis on each node's RESP port: linearizable reads
 * across nodes, WATCH races across nodes, expiry decided by the leader, INCR sums, durability across a restart.
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

let dir = '';
let cluster: Cluster;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'conclave-redis-'));
  cluster = await createCluster({ dataDir: dir });
  await cluster.waitForLeader(20_000);
  await cluster.waitForAllServing(10_000);
});

test.after(async () => {
  closeAll();
  await cluster.close();
  rmSync(dir, { recursive: true, force: true });
});

test('SET on n1, GET on n2 and n3 at once (linearizable reads); READONLY reads locally', async () => {
  const [a, b, c] = ['n1', 'n2', 'n3'].map((n) => connect(cluster, n));
  for (let i = 0; i < 20; i++) {
    assert.is(await a!.set('k', `v${i}`), 'OK');
    assert.is(await b!.get('k'), `v${i}`);
    assert.is(await c!.get('k'), `v${i}`);
  }
  assert.is(await c!.call('readonly'), 'OK');
  assert.ok(['v18', 'v19'].includes((await c!.get('k'))!));
});

test('MULTI/WATCH race between two clients on two nodes: exactly one EXEC applies', async () => {
  const a = connect(cluster, 'n1');
  const b = connect(cluster, 'n2');
  await a.set('w', '0');
  await a.watch('w');
  await b.watch('w');
  const ra = await a.multi().set('w', 'a').incr('n-a').exec();
  const rb = await b.multi().set('w', 'b').incr('n-b').exec();
  assert.ok(ra !== null, 'the first EXEC applies');
  assert.is(rb, null, 'the second aborts: its watched key changed');
  assert.is(await b.get('w'), 'a');
  // EXECABORT on a queue-time error
  const bad = await a.multi().set('x', '1').call('get').exec().catch((e: Error) => e.message);
  assert.match(String(bad), /EXECABORT/);
  assert.is(await a.exists('x'), 0);
});

test('expiry across nodes: SET PX 200 then the key is gone on every node; TTL agrees', async () => {
  const a = connect(cluster, 'n1');
  const b = connect(cluster, 'n2');
  const c = connect(cluster, 'n3');
  await a.set('e', '1', 'PX', 200);
  const ttls = [await a.pttl('e'), await b.pttl('e'), await c.pttl('e')];
  for (const t of ttls) assert.ok(t > 0 && t <= 200, `pttl ${t}`);
  await new Promise((r) => setTimeout(r, 400));
  for (const r of [a, b, c]) {
    assert.is(await r.get('e'), null);
    assert.is(await r.pttl('e'), -2);
  }
  // READONLY (local) reads agree too: the leader's expiry txn deleted it everywhere
  await c.call('readonly');
  assert.is(await c.exists('e'), 0);
  assert.is(await c.dbsize(), await a.dbsize());
});

test('INCR from several clients on several nodes sums exactly', async () => {
  const rs = ['n1', 'n2', 'n3', 'n1', 'n2', 'n3'].map((n) => connect(cluster, n));
  await rs[0]!.del('counter');
  const perClient = 50;
  await Promise.all(rs.map(async (r) => {
    for (let i = 0; i < perClient; i++) await r.incr('counter');
  }));
  for (const r of rs.slice(0, 3)) assert.is(await r.get('counter'), String(perClient * rs.length));
});

test('the leader killed while a client writes: writes carry on after TRYAGAIN retries; nothing acknowledged is lost', async () => {
  const leader = await cluster.waitForLeader(10_000);
  const node = cluster.nodes.find((n) => n !== leader)!;
  const r = connect(cluster, node);
  const acked: number[] = [];
  let retries = 0;
  const writesMax = 60;
  const t0 = Date.now();
  for (let i = 0; i < writesMax && Date.now() - t0 < 40_000; i++) {
    if (i === 15) void cluster.kill(leader);
    for (let attempt = 0; attempt < 200; attempt++) {
      const ok = await r.set(`lk:${i}`, String(i)).then(
        () => true,
        (e: Error) => {
          if (!/TRYAGAIN/.test(e.message)) throw e;
          return false;
        },
      );
      if (ok) {
        acked.push(i);
        break;
      }
      retries++;
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  assert.is(acked.length, writesMax, 'every write went through, after retries');
  assert.ok(retries > 0, 'the leader change was seen by the client');
  await cluster.restart(leader);
  await cluster.waitForAllServing(15_000);
  for (const n of cluster.nodes) {
    const c = connect(cluster, n);
    const got = await c.mget(acked.map((i) => `lk:${i}`));
    assert.equal(got, acked.map(String), `every acknowledged write on ${n}`);
  }
});

test('a cluster restarted on the same dataDir keeps its keys', async () => {
  const a = connect(cluster, 'n2');
  await a.set('durable', 'yes');
  await a.set('counter2', '41');
  await a.incr('counter2');
  closeAll();
  await cluster.close();
  cluster = await createCluster({ dataDir: dir });
  await cluster.waitForLeader(20_000);
  await cluster.waitForAllServing(10_000);
  const b = connect(cluster, 'n3');
  assert.is(await b.get('durable'), 'yes');
  assert.is(await b.get('counter2'), '42');
});

test.run();
