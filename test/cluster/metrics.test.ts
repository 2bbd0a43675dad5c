/**
 * `/metrics` on the admin port of `conclave start` (and on zoo.cfg's metricsProvider.httpPort, in test/node):
 * Prometheus text with ZooKeeper's metric names, every series labelled by node; the values move with ZooKeeper
 * writes, Redis commands and Eureka requests, and the latency histograms count them per front end and operation.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { startEmbedded } from '../../src/start.js';
import { RawZk, fourLetterWord } from '../zookeeper/raw-zk.js';
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
  'approximate_data_size',
  'fsynctime_count',
  'learners',
  'synced_followers',
  'pending_syncs',
  'conclave_actor_mailbox_depth',
  'conclave_actor_messages_sent_total',
  'conclave_actor_restarts',
  'conclave_dead_letters_total',
  'conclave_eureka_registered_instances',
  'conclave_eureka_renewals_last_minute',
  'conclave_eureka_renewal_threshold',
  'conclave_eureka_self_preservation',
  'conclave_redis_keys',
  'conclave_redis_expired_keys_total',
  'conclave_redis_blocked_clients',
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
    await redis.set('short', 'v', 'PX', 20);
    // Eureka: one registration, one registry read
    const eurekaUrl = s.endpoints.find((e) => e.node === node && e.service === 'eureka')!.url;
    const instance = { instance: { app: 'MET', hostName: 'met-1', ipAddr: '127.0.0.1', port: { $: 9000, '@enabled': 'true' }, vipAddress: 'met', status: 'UP', dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' } } };
    assert.is((await fetch(`${eurekaUrl}MET`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(instance) })).status, 204);
    assert.is((await fetch(eurekaUrl, { headers: { accept: 'application/json' } })).status, 200);

    // the scrape-time gauges refresh every second or so (the client port's status)
    let after: Samples = [];
    const deadline = Date.now() + 10_000;
    do {
      await new Promise((r) => setTimeout(r, 300));
      after = await scrape(admin);
    } while (
      Date.now() < deadline &&
      (value(after, 'znode_count') < value(before, 'znode_count') + 21 || value(after, 'ephemerals_count') < 1 || value(after, 'conclave_redis_expired_keys_total') < 1)
    );
    assert.ok(value(after, 'commit_count') >= value(before, 'commit_count') + 51, `commits counted (${value(before, 'commit_count')} → ${value(after, 'commit_count')})`);
    assert.is(value(after, 'znode_count'), value(before, 'znode_count') + 21);
    assert.is(value(after, 'ephemerals_count'), 1);
    assert.is(value(after, 'num_alive_connections'), 1);
    assert.ok(value(after, 'global_sessions') >= 1);
    assert.ok(value(after, 'last_zxid') > value(before, 'last_zxid'));
    assert.ok(value(after, 'max_latency') >= value(after, 'min_latency'));
    assert.is(value(after, 'conclave_request_latency_seconds_count', { front_end: 'zookeeper', op: 'CREA' }), 21);
    assert.is(value(after, 'conclave_request_latency_seconds_count', { front_end: 'redis', op: 'set' }), 31);
    assert.is(value(after, 'conclave_request_latency_seconds_count', { front_end: 'redis', op: 'get' }), 10);
    assert.ok(value(after, 'conclave_request_latency_seconds_count', { front_end: 'eureka', op: 'GET apps' }) >= 1);
    for (const m of required) assert.ok(after.some((x) => x.name === m), `${m} still on the page`);
    assert.is(value(after, 'conclave_redis_connected_clients'), 1);
    // ZooKeeper's names for data size, fsyncs and the leader's learners; mntr agrees on the data size
    assert.ok(value(after, 'approximate_data_size') >= value(before, 'approximate_data_size') + 21 * '/mNN'.length, 'data size grew with the znodes');
    const mntrSize = Number(/approximate_data_size\t(\d+)/.exec(await fourLetterWord(s.zk.get(node)!.port, 'mntr'))?.[1]);
    assert.ok(mntrSize > 0, `mntr approximate_data_size ${mntrSize}`);
    assert.ok(value(after, 'fsynctime_count') > value(before, 'fsynctime_count'), 'fsyncs timed');
    assert.is(value(after, 'learners'), 0, 'a follower has no learners');
    const leaderPage = await scrape(s.admin.get(leader)!.port);
    assert.is(value(leaderPage, 'learners'), 2);
    assert.is(value(leaderPage, 'synced_followers'), 2);
    assert.is(value(leaderPage, 'pending_syncs'), 0);
    assert.ok(value(leaderPage, 'proposal_latency_count') >= 51, 'the leader timed its proposals');
    // the actor runtime, per actor kind
    assert.ok(after.some((x) => x.name === 'conclave_actor_mailbox_depth' && x.labels.actor === 'broadcast'));
    assert.ok(value(after, 'conclave_actor_messages_sent_total', { actor: 'broadcast' }) > value(before, 'conclave_actor_messages_sent_total', { actor: 'broadcast' }));
    // Eureka and RESP
    assert.is(value(after, 'conclave_eureka_registered_instances'), 1);
    assert.is(value(after, 'conclave_eureka_self_preservation'), 0);
    assert.is(value(after, 'conclave_redis_commands_total', { command: 'set' }), 31);
    assert.is(value(after, 'conclave_redis_commands_total', { command: 'get' }), 10);
    assert.is(value(after, 'conclave_redis_keys'), 30);
    assert.ok(value(after, 'conclave_redis_expired_keys_total') >= 1, 'the short key expired');
    assert.is(value(after, 'conclave_redis_blocked_clients'), 0);
    // every metric docs/grafana-dashboard.json plots is on the pages
    const dashboard = JSON.parse(readFileSync(new URL('../../../docs/grafana-dashboard.json', import.meta.url), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const notMetrics = new Set(['histogram_quantile', 'sum', 'by', 'rate', 'le', 'node', 'front_end', 'actor', 'command', 'm']);
    const names = new Set([...after, ...leaderPage].map((x) => x.name));
    const plotted = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.replace(/\[1m\]/g, '').match(/[a-z_][a-z0-9_]*/g) ?? [])).filter((w) => !notMetrics.has(w));
    assert.ok(plotted.length >= 20);
    for (const w of plotted) assert.ok(names.has(w), `${w} (plotted by the dashboard) on the page`);
    // the histogram's buckets are cumulative and end at the count
    const setBuckets = after.filter((x) => x.name === 'conclave_request_latency_seconds_bucket' && x.labels.front_end === 'redis' && x.labels.op === 'set');
    assert.ok(setBuckets.length > 5);
    for (let i = 1; i < setBuckets.length; i++) assert.ok(setBuckets[i]!.value >= setBuckets[i - 1]!.value, 'cumulative buckets');
    assert.is(setBuckets[setBuckets.length - 1]!.value, 31);
  } finally {
    redis?.disconnect();
    for (const c of zk) await c.close();
    await s.close();
  }
});

test.run();
