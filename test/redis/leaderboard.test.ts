/**
 * examples/leaderboard.ts run as a user would (`node dist/examples/leaderboard.js`): a three-node cluster, ioredis
 * writing on n1 and reading on n3; its output must be the leaderboard Redis's sorted-set rules give.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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

test.run();
