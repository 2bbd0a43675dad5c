/**
 * examples/leaderboard.ts run as a user would (`node dist/examples/leaderboard.js`): a three-node cluster, ioredis
 * writing on n1 and reading on n3; its output must be the leaderboard Redis's sorted-set rules give. Then
 * node-redis 6.3.1 (RESP3 and RESP2) on a one-node cluster: its zset helpers decode our replies as they do Redis's.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { createCluster } from '../../src/cluster.js';

/** The example starts and stops a cluster: at most this long. */
const exampleTimeoutMs = 90_000;
const script = fileURLToPath(new URL('../../examples/leaderboard.js', import.meta.url));

test('examples/leaderboard: ZADD, ZINCRBY, ZADD GT, ZREVRANGE WITHSCORES, ZREVRANK, ZSCORE across nodes', async () => {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [script], { timeout: exampleTimeoutMs }, (e, stdout, stderr) => (e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout))),
  );
  assert.equal(out.trim().split('\n'), [
    'round 1: 1. chen 130, 2. ada 120, 3. brian 95',
    'round 2: 1. brian 145, 2. chen 130, 3. ada 120',
    'ada: rank 3, score 120',
    'brian: rank 1, score 145',
    'chen: rank 2, score 130',
    'dana: rank 4, score 87.5',
  ]);
});

test('node-redis, RESP3 and RESP2: ZADD, ZRANGE WITHSCORES, ZPOPMIN, ZMPOP, ZUNION WITHSCORES, ZRANDMEMBER, ZSCAN', async () => {
  const cluster = await createCluster({ nodes: 1 });
  try {
    await cluster.waitForLeader(20_000);
    await cluster.waitForAllServing(10_000);
    for (const RESP of [3, 2] as const) {
      const c = createClient({ socket: { port: cluster.redisPorts.get('n1')!, host: '127.0.0.1', reconnectStrategy: false }, RESP });
      c.on('error', () => undefined);
      await c.connect();
      try {
        const k = `z${RESP}`;
        assert.is(await c.zAdd(k, [{ score: 1.5, value: 'a' }, { score: -2, value: 'b' }, { score: Infinity, value: 'c' }]), 3);
        assert.equal(await c.zRangeWithScores(k, 0, -1), [{ value: 'b', score: -2 }, { value: 'a', score: 1.5 }, { value: 'c', score: Infinity }]);
        assert.is(await c.zIncrBy(k, 0.25, 'a'), 1.75);
        assert.is(await c.zScore(k, 'a'), 1.75);
        assert.is(await c.zRank(k, 'c'), 2);
        assert.equal(await c.zPopMin(k), { value: 'b', score: -2 });
        assert.equal(await c.zUnionWithScores([k, 'nokey']), [{ value: 'a', score: 1.75 }, { value: 'c', score: Infinity }]);
        assert.equal((await c.zRandMemberCount(k, 5)).sort(), ['a', 'c']);
        const scan = await c.zScan(k, '0');
        assert.is(String(scan.cursor), '0');
        assert.equal(scan.members, [{ value: 'a', score: 1.75 }, { value: 'c', score: Infinity }]);
        assert.equal(await c.zmPop(k, 'MAX', { COUNT: 5 }), { key: k, members: [{ value: 'c', score: Infinity }, { value: 'a', score: 1.75 }] });
        assert.is(await c.exists(k), 0);
      } finally {
        await c.quit();
      }
    }
  } finally {
    await cluster.close();
  }
});

test.run();
