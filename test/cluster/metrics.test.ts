/**
 * `/metrics` on the admin port of `conclave start` (and on zoo.cfg's metricsProvider.httpPort, in test/node):
 * Prometheus text with ZooKeeper's metric names, every series labelled by node; the values move with ZooKeeper
 * writes, Redis commands and Eureka requests, and the latency histograms count them per front end and operation.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { startEmbedded } from '../../src/start.js';
import { RawZk } from '../zookeeper/raw-zk.js';
import { OPEN_ACL_UNSAFE } from '../../src/protocol/txn.js';
import { parsePrometheusText, scrape, type Samples } from './metrics-text.js';

/** Every metric the page must carry (ZooKeeper's names first). */
const required = [
  'quorum_size',
  'num_alive_connections',
  'outstanding_requests',
  'znode_count',
  'watch_count',
  'ephemerals_count',
  'global_sessions',
  'last_zxid',
  'min_latency',
  'avg_latency',
  'max_latency',
  'server_state',
  'election_time_count',
  'commit_count',
  'conclave_proposals_total',
  'conclave_elections_total',
  'conclave_redis_connected_clients',
];

const value = (s: Samples, name: string, labels: Record<string, string> = {}): number => {
  const hit = s.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return hit.reduce((a, x) => a + x.value, 0);
};

test('parser: names, labels with escapes, values, comments', () => {
  const s = parsePrometheusText('# HELP a x\n# TYPE a gauge\na{node="n1",q="a\\"b\\\\c"} 3\nb 1.5e3\nc{le="+Inf"} +Inf\n');
  assert.equal(s, [
    { name: 'a', labels: { node: 'n1', q: 'a"b\\c' }, value: 3 },
    { name: 'b', labels: {}, value: 1500 },
    { name: 'c', labels: { le: '+Inf' }, value: Infinity },
  ]);
  assert.throws(() => parsePrometheusText('a{node="n1" 3\n'), /line 1/);
});

test('conclave start: /metrics on every admin port; values move with writes, commands and requests', async () => {
  const s = await startEmbedded({ eurekaBasePort: 0, zkBasePort: 0, redisBasePort: 0, adminBasePort: 0 });
  const zk: RawZk[] = [];
  let redis: Redis | null = null;
  try {
    const leader = Object.entries(await s.cluster.status()).find(([, st]) => st.role === 'leading')![0];
    const node = s.cluster.nodes.find((n) => n !== leader)!;
    const admin = s.admin.get(node)!.port;
    const before = await scrape(admin);
    for (const m of required) assert.ok(before.some((x) => x.name === m), `${m} on the page`);
    assert.ok(before.every((x) => x.labels.node === node), 'every series names its node');
    assert.is(value(before, 'quorum_size'), 3);
    assert.is(value(before, 'server_state', { state: 'follower' }), 1);
    assert.ok(value(before, 'election_time_count') >= 1, 'the election that made the ensemble is counted');

    // ZooKeeper: a session on this node, 20 creates, one ephemeral
    const c = await RawZk.open(s.zk.get(node)!.port);
    zk.push(c);
    for (let i = 0; i < 20; i++) await c.create(`/m${i}`, 'x');
    await c.ok({ type: 'Create', path: '/eph', data: Buffer.from('e'), acl: OPEN_ACL_UNSAFE, flags: 1 });
    // Redis: 30 SETs and 10 GETs on this node
    redis = new Redis({ port: s.cluster.redisPorts.get(node)!, lazyConnect: true, maxRetriesPerRequest: 2 });
    await redis.connect();
    for (let i = 0; i < 30; i++) await redis.set(`k${i}`, 'v');
    for (let i = 0; i < 10; i++) await redis.get(`k${i}`);
    // Eureka: one registry read
    const eurekaUrl = s.endpoints.find((e) => e.node === node && e.service === 'eureka')!.url;
    assert.is((await fetch(eurekaUrl, { headers: { accept: 'application/json' } })).status, 200);

    // the scrape-time gauges refresh every second or so (the client port's status)
    let after: Samples = [];
    const deadline = Date.now() + 10_000;
    do {
      await new Promise((r) => setTimeout(r, 300));
      after = await scrape(admin);
    } while (Date.now() < deadline && (value(after, 'znode_count') < value(before, 'znode_count') + 21 || value(after, 'ephemerals_count') < 1));
    assert.ok(value(after, 'commit_count') >= value(before, 'commit_count') + 51, `commits counted (${value(before, 'commit_count')} → ${value(after, 'commit_count')})`);
    assert.is(value(after, 'znode_count'), value(before, 'znode_count') + 21);
    assert.is(value(after, 'ephemerals_count'), 1);
    assert.is(value(after, 'num_alive_connections'), 1);
    assert.ok(value(after, 'global_sessions') >= 1);
    assert.ok(value(after, 'last_zxid') > value(before, 'last_zxid'));
    assert.ok(value(after, 'max_latency') >= value(after, 'min_latency'));
    assert.is(value(after, 'conclave_request_latency_seconds_count', { front_end: 'zookeeper', op: 'CREA' }), 21);
    assert.is(value(after, 'conclave_request_latency_seconds_count', { front_end: 'redis', op: 'set' }), 30);
    assert.is(value(after, 'conclave_request_latency_seconds_count', { front_end: 'redis', op: 'get' }), 10);
    assert.ok(value(after, 'conclave_request_latency_seconds_count', { front_end: 'eureka', op: 'GET apps' }) >= 1);
    for (const m of required) assert.ok(after.some((x) => x.name === m), `${m} still on the page`);
    assert.is(value(after, 'conclave_redis_connected_clients'), 1);
    // the histogram's buckets are cumulative and end at the count
    const setBuckets = after.filter((x) => x.name === 'conclave_request_latency_seconds_bucket' && x.labels.front_end === 'redis' && x.labels.op === 'set');
    assert.ok(setBuckets.length > 5);
    for (let i = 1; i < setBuckets.length; i++) assert.ok(setBuckets[i]!.value >= setBuckets[i - 1]!.value, 'cumulative buckets');
    assert.is(setBuckets[setBuckets.length - 1]!.value, 30);
  } finally {
    redis?.disconnect();
    for (const c of zk) await c.close();
    await s.close();
  }
});

test.run();
