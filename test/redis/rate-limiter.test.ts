/**
 * examples/rate-limiter.ts on a 3-node cluster with ioredis clients on every node: the demo's verdicts, exactly
 * `limit` hits allowed when hits race from three nodes, the sliding window's carry-over from the previous window,
 * and the counters' TTL. The clock is the test's (a fixed window start), so no window boundary falls mid-test.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { createCluster, type Cluster } from '../../src/cluster.js';
import { RateLimiter, demo } from '../../examples/rate-limiter.js';

const windowMs = 60_000;
const limit = 10;
let cluster: Cluster;
const clients: Redis[] = [];

test.before(async () => {
  cluster = await createCluster({ nodes: 3 });
  await cluster.waitForLeader(20_000);
  await cluster.waitForAllServing(10_000);
  for (const port of cluster.redisPorts.values()) clients.push(new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 }));
});

test.after(async () => {
  for (const c of clients) c.disconnect();
  await cluster.close();
});

test('racing hits from three nodes: exactly `limit` allowed in a window; the counter expires', async () => {
  let now = 1_000 * windowMs; // the start of a window
  const limiters = clients.map((r) => new RateLimiter(r, { limit, windowMs, prefix: 'race', nowMs: () => now }));
  const verdicts = await Promise.all(Array.from({ length: 30 }, (_, i) => limiters[i % 3]!.hit('u1')));
  assert.is(verdicts.filter((v) => v.allowed).length, limit);
  assert.is(await clients[1]!.get(`race:u1:1000`), String(limit));
  const ttl = await clients[2]!.pttl('race:u1:1000');
  assert.ok(ttl > windowMs && ttl <= 2 * windowMs, `pttl ${ttl}`);
  // halfway through the next window half of the previous one still counts: 5 more hits allowed, then none
  now = 1_001 * windowMs + windowMs / 2;
  const next: boolean[] = [];
  for (let i = 0; i < 8; i++) next.push((await limiters[i % 3]!.hit('u1')).allowed);
  assert.equal(next, [true, true, true, true, true, false, false, false]);
  // another client id has its own budget
  assert.ok((await limiters[0]!.hit('u2')).allowed);
});

test('the example demo: 15 hits from three nodes, the first 10 allowed', async () => {
  const verdicts = await demo(15, 10, () => 7 * windowMs); // a fixed clock: no window boundary mid-demo
  assert.equal(verdicts.map((v) => v.allowed), [...Array<boolean>(10).fill(true), ...Array<boolean>(5).fill(false)]);
  assert.equal(verdicts.slice(0, 10).map((v) => v.count), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

test.run();
