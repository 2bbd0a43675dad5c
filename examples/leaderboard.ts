/**
 * A game leaderboard on a sorted set, kept by a three-node conclave cluster and used through ioredis exactly as
 * against Redis: scores are written on one node (ZADD, ZINCRBY) and read back on another (ZREVRANGE WITHSCORES,
 * ZREVRANK, ZSCORE), every write replicated through ZAB.
 *
 *   npm run build && node dist/examples/leaderboard.js
 *
 * It prints the top three after each round and each player's rank at the end (test/redis/leaderboard.test.ts
 * runs it and checks those lines).
 */
import { Redis } from 'ioredis';
import { createCluster } from '../src/cluster.js';

/** The leaderboard's key. */
const board = 'leaderboard:weekly';

/** ZREVRANGE … WITHSCORES as [player, score] pairs: nested in RESP3 (ioredis's default), flat in RESP2. */
function pairs(reply: unknown): [string, number][] {
  const items = reply as (string | [string, string | number])[];
  if (items.every(Array.isArray)) return (items as [string, string | number][]).map(([m, s]) => [m, Number(s)]);
  const out: [string, number][] = [];
  for (let i = 0; i < items.length; i += 2) out.push([items[i] as string, Number(items[i + 1])]);
  return out;
}

export async function runLeaderboard(log: (line: string) => void): Promise<void> {
  const cluster = await createCluster({ nodes: 3 });
  const connect = (node: string) =>
    new Redis({ port: cluster.redisPorts.get(node)!, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 3 });
  const writer = connect('n1');
  const reader = connect('n3');
  try {
    await cluster.waitForLeader(20_000);
    await cluster.waitForAllServing(10_000);
    await writer.connect();
    await reader.connect();
    await writer.del(board);
    await writer.zadd(board, 120, 'ada', 95, 'brian', 130, 'chen', 80, 'dana');
    const top = async (round: string) => {
      const rows = pairs(await reader.call('ZREVRANGE', board, '0', '2', 'WITHSCORES'));
      log(`${round}: ${rows.map(([p, s], i) => `${i + 1}. ${p} ${s}`).join(', ')}`);
    };
    await top('round 1');
    await writer.zincrby(board, 50, 'brian');
    await writer.zincrby(board, 7.5, 'dana');
    await writer.zadd(board, 'GT', 100, 'ada'); // GT: a lower score never replaces a better one
    await top('round 2');
    for (const p of ['ada', 'brian', 'chen', 'dana']) {
      const rank = await reader.zrevrank(board, p);
      log(`${p}: rank ${rank! + 1}, score ${await reader.zscore(board, p)}`);
    }
  } finally {
    writer.disconnect();
    reader.disconnect();
    await cluster.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runLeaderboard((line) => console.log(line)).then(
    () => process.exit(0),
    (e: Error) => {
      console.error(e.message);
      process.exit(1);
    },
  );
}
