/**
 * Through the RESP front end of a 3-node cluster, beside a real redis-server: CONFIG GET/SET of the encoding
 * thresholds (logged, so every node answers the same), OBJECT ENCODING after them, and the RESP2/RESP3 shapes of
 * the random picks (on one-element collections, where the picks are certain) and of the scans, byte for byte.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { createCluster, type Cluster } from '../../src/cluster.js';
import { haveRedis, rawSession, startRealRedis, type RealRedis } from './helpers.js';

const crlf = (...lines: string[]): Buffer => Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1');
/** A raw session waits this long for more reply bytes (writes go through the log). */
const quietMs = 400;

let cluster: Cluster;
let real: RealRedis | null = null;

test.before(async () => {
  cluster = await createCluster({ nodes: 3 });
  await cluster.waitForLeader(20_000);
  await cluster.waitForAllServing(10_000);
  if (haveRedis) real = await startRealRedis();
});

test.after(async () => {
  await cluster.close();
  await real?.stop();
});

const scripts: [string, string[]][] = [
  [
    'thresholds: CONFIG SET/GET and OBJECT ENCODING',
    [
      'CONFIG GET hash-max-listpack-entries', 'CONFIG SET hash-max-listpack-entries 2', 'CONFIG GET hash-max-ziplist-entries', 'HSET h a 1 b 2', 'OBJECT ENCODING h',
      'HSET h c 3', 'OBJECT ENCODING h', 'HDEL h a b', 'OBJECT ENCODING h', 'CONFIG SET set-max-intset-entries 1 slowlog-max-len 50',
      'SADD s 1', 'OBJECT ENCODING s', 'SADD s 2', 'OBJECT ENCODING s', 'CONFIG SET hash-max-listpack-value abc', 'CONFIG SET set-max-intset-entries x slowlog-max-len 1',
      'CONFIG SET hash-max-listpack-entries 512', 'CONFIG SET set-max-intset-entries 512', 'CONFIG SET slowlog-max-len 128', 'HELLO 3', 'CONFIG GET set-max-intset-entries',
    ],
  ],
  [
    'RESP2 and RESP3 shapes of the random picks and scans',
    [
      'SADD one x', 'HSET hone f v', 'SRANDMEMBER one', 'SRANDMEMBER one -3', 'SRANDMEMBER one 2', 'HRANDFIELD hone', 'HRANDFIELD hone -2', 'HRANDFIELD hone -2 WITHVALUES',
      'HRANDFIELD hone 5 WITHVALUES', 'SSCAN one 0', 'HSCAN hone 0', 'SPOP one 3', 'SADD one x', 'SPOP one', 'SPOP one', 'SPOP one 2', 'HELLO 3', 'SADD one x',
      'SRANDMEMBER one -2', 'HRANDFIELD hone -2 WITHVALUES', 'HRANDFIELD hone 1 WITHVALUES', 'HRANDFIELD nokey 1 WITHVALUES', 'SPOP one 3', 'SPOP one 3', 'SPOP one',
      'HSCAN hone 0', 'PFADD p a b c', 'PFCOUNT p', 'PFMERGE p2 p', 'GET p2',
    ],
  ],
];

for (const [name, lines] of scripts) {
  test(`byte-identical through the cluster: ${name}`, async () => {
    if (real === null) return;
    const chunks = [crlf('FLUSHALL'), ...lines.map((l) => crlf(l))];
    const theirs = await rawSession(real.port, chunks, quietMs);
    const ours = await rawSession(cluster.redisPorts.get('n2')!, chunks, quietMs);
    // the HELLO 3 map carries the connection id: masked
    const mask = (b: Buffer): string => b.toString('latin1').replace(/\$2\r\nid\r\n:\d+\r\n/g, '$2\r\nid\r\n:ID\r\n');
    assert.is(mask(ours.bytes), mask(theirs.bytes));
  });
}

test('a threshold set on one node holds on every node (replicated keyspace state)', async () => {
  const [a, b, c] = ['n1', 'n2', 'n3'].map((n) => new Redis({ port: cluster.redisPorts.get(n)!, host: '127.0.0.1', maxRetriesPerRequest: 1 }));
  try {
    assert.is(await a!.config('SET', 'hash-max-listpack-entries', '3'), 'OK');
    for (const r of [a!, b!, c!]) assert.equal(await r.config('GET', 'hash-max-listpack-entries'), ['hash-max-listpack-entries', '3']);
    await c!.hset('rep', 'a', '1', 'b', '2', 'c', '3', 'd', '4');
    for (const r of [a!, b!, c!]) assert.is(await r.object('ENCODING', 'rep'), 'hashtable');
    assert.is(await b!.config('SET', 'hash-max-listpack-entries', '512'), 'OK');
    await a!.hset('rep2', 'a', '1', 'b', '2', 'c', '3', 'd', '4');
    for (const r of [a!, b!, c!]) assert.is(await r.object('ENCODING', 'rep2'), 'listpack');
  } finally {
    for (const r of [a!, b!, c!]) r.disconnect();
  }
});

test.run();
