/**
 * Blocking sorted-set pops (BZPOPMIN, BZPOPMAX, BZMPOP) and XREAD/XREADGROUP BLOCK through the blocked-clients
 * mechanism (docs/blocking.md).
 * - Differential against a real redis-server 7.0.15 through a one-node cluster: immediate pops, timeouts in RESP2
 *   and RESP3, argument and timeout errors, wrong types, MULTI, XREAD/XREADGROUP BLOCK timeouts, byte for byte.
 * - On a 3-node cluster with ioredis: clients blocked on one zset on different nodes, each member popped exactly
 *   once; XREAD readers blocked on `$` on every node all get one XADD's entry (a read serve takes nothing).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createCluster, type Cluster } from '../../src/cluster.js';
import { haveRedis, rawSession, startRealRedis, type RealRedis } from './helpers.js';

const crlf = (...lines: string[]): Buffer => Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1');
/** A raw session waits this long for quiet: longer than every timeout in the scripts. */
const scriptQuietMs = 1_500;

/** name → chunks, to both servers; replies compared byte for byte. */
const scripts: [string, Buffer[]][] = [
  [
    'immediate pops, RESP2 and RESP3',
    [
      crlf(
        'ZADD z 1 a 2 b 3 c 4 d 5 e', 'BZPOPMIN z 0', 'BZPOPMAX z 0', 'BZPOPMIN none z 1', 'ZADD y 1.5 x 2.5 w inf v -0.1 u',
        'BZMPOP 0 2 none y MAX COUNT 2', 'BZMPOP 0.5 1 y MIN', 'BZMPOP 0 1 y MIN COUNT 10', 'EXISTS y',
        'HELLO 3', 'BZPOPMIN z 0', 'BZPOPMAX none z 0.5', 'ZADD y 1 a 2 b', 'BZMPOP 0 1 y MAX COUNT 5', 'EXISTS z y', 'ZCARD z',
      ),
    ],
  ],
  ['timeouts, RESP2', [crlf('BZPOPMIN e1 0.05', 'BZPOPMAX e1 e2 0.05', 'BZMPOP 0.05 2 e1 e2 MIN', 'BZMPOP 0.05 1 e1 MAX COUNT 3')]],
  ['timeouts, RESP3', [crlf('HELLO 3', 'BZPOPMIN e1 0.05', 'BZPOPMAX e1 e2 0.05', 'BZMPOP 0.05 1 e1 MAX')]],
  [
    'timeout and argument errors',
    [
      crlf(
        'BZPOPMIN k x', 'BZPOPMIN k -1', 'BZPOPMAX k inf', 'BZPOPMAX k nan', 'BZPOPMIN k 1e400', 'BZPOPMIN k 9223372036854775807', 'BZPOPMIN k', 'BZPOPMAX',
        'BZMPOP 0 0 k MIN', 'BZMPOP 0 1 k UP', 'BZMPOP 0 1 k MIN COUNT 0', 'BZMPOP 0 3 k MIN', 'BZMPOP x 1 k MIN', 'BZMPOP x 1 k UP', 'BZMPOP -1 0 k MIN',
        'BZMPOP 0 1 k MIN COUNT 1 COUNT 2', 'BZMPOP 0 x k MIN', 'BZMPOP 0 1 k', 'BZMPOP 0 1 k MIN COUNT',
      ),
    ],
  ],
  ['wrong types', [crlf('SET s v', 'ZADD z 1 m 2 n', 'BZPOPMIN s z 0', 'BZPOPMIN z s 0', 'BZPOPMAX none s 0', 'BZMPOP 0 2 s z MIN', 'BZMPOP 0 2 z s MAX', 'ZRANGE z 0 -1 WITHSCORES')]],
  [
    'inside MULTI: nil at once, or the pop',
    [crlf('MULTI', 'BZPOPMIN e1 0', 'BZPOPMAX e1 10', 'BZMPOP 0 1 e1 MIN', 'ZADD e1 1 a 2 b', 'BZPOPMAX e1 0', 'BZMPOP 0 1 e1 MIN', 'EXEC', 'HELLO 3', 'MULTI', 'BZPOPMIN e1 0', 'BZMPOP 0 1 e1 MIN', 'EXEC')],
  ],
  ['commands pipelined after a blocking pop run after it is answered', [crlf('BZPOPMIN pz 0.1', 'ZADD pz 1 x', 'BZPOPMAX pz 0.1', 'BZPOPMIN pz 0.1', 'ZCARD pz')]],
  ['COMMAND GETKEYS', [crlf('COMMAND GETKEYS BZPOPMIN a b 0', 'COMMAND GETKEYS BZPOPMAX a 0')]],
  [
    'XREAD and XREADGROUP BLOCK: data at once, timeouts, errors',
    [
      crlf(
        'XREAD BLOCK 50 STREAMS s $', 'XADD s 1-0 f v', 'XREAD BLOCK 50 STREAMS s $', 'XREAD BLOCK 0 STREAMS s 0', 'XREAD COUNT 1 BLOCK 50 STREAMS s none 0 $',
        'XREAD BLOCK -1 STREAMS s 0', 'XREAD BLOCK x STREAMS s 0', 'XREAD BLOCK 50 STREAMS s', 'SET str v', 'XREAD BLOCK 50 STREAMS str $', 'XREAD BLOCK 50 STREAMS s str 0 $',
        'XGROUP CREATE s g $', 'XREADGROUP GROUP g c BLOCK 50 STREAMS s >', 'XREADGROUP GROUP g c BLOCK 50 STREAMS s 0', 'XREADGROUP GROUP g c BLOCK 50 STREAMS nokey >',
        'XADD s 2-0 f w', 'XREADGROUP GROUP g c BLOCK 0 STREAMS s >', 'XREADGROUP GROUP g c BLOCK 50 STREAMS s $',
        'HELLO 3', 'XREAD BLOCK 50 STREAMS s $', 'XREADGROUP GROUP g c BLOCK 50 STREAMS s >', 'XREAD BLOCK 50 STREAMS s 1-0',
      ),
    ],
  ],
];

let dir = '';
let cluster: Cluster;
let real: RealRedis | undefined;
const ioClients: Redis[] = [];
const io = (node: string): Redis => {
  const r = new Redis({ port: cluster.redisPorts.get(node)!, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  ioClients.push(r);
  return r;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Polls `f` every 20 ms until true, at most `ms`. */
async function until(f: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await f())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
const blockedOn = async (r: Redis): Promise<number> => Number(/blocked_clients:(\d+)/.exec(await r.info('clients'))![1]);

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'conclave-bzpop-'));
  cluster = await createCluster({ dataDir: dir });
  await cluster.waitForLeader(20_000);
  await cluster.waitForAllServing(10_000);
  if (haveRedis) real = await startRealRedis();
});

test.after(async () => {
  for (const r of ioClients.splice(0)) r.disconnect();
  await cluster.close();
  await real?.stop();
  rmSync(dir, { recursive: true, force: true });
});

if (haveRedis) {
  test('byte-identical to redis-server: BZPOPMIN/BZPOPMAX/BZMPOP and XREAD/XREADGROUP BLOCK', async () => {
    const port = cluster.redisPorts.get('n1')!;
    const admin = io('n1');
    for (const [name, chunks] of scripts) {
      const [a, o] = await Promise.all([rawSession(real!.port, chunks, scriptQuietMs), rawSession(port, chunks, scriptQuietMs)]);
      const mask = (x: Buffer): string => x.toString('latin1').replace(/(\$2\r\nid\r\n):\d+/g, '$1:ID');
      assert.is(mask(o.bytes), mask(a.bytes), name);
      await until(async () => (await blockedOn(admin)) === 0, 2_000, `${name}: no client left blocked once the session closed`);
      const flush = [crlf('FLUSHALL')];
      await Promise.all([rawSession(real!.port, flush), rawSession(port, flush)]);
    }
  });
} else test.skip('differential BZPOP/XREAD BLOCK tests (redis-server not installed)', () => undefined);

test('clients blocked on one zset on different nodes (BZPOPMIN, BZPOPMAX, BZMPOP): each member popped exactly once', async () => {
  const members = 60;
  const nodes = ['n1', 'n2', 'n3', 'n1', 'n2', 'n3'];
  const waiters = nodes.map(io);
  const producer = io('n3');
  const got: string[] = [];
  let stop = false;
  const loops = waiters.map(async (r, i) => {
    while (!stop) {
      if (i % 3 === 2) {
        const v = (await r.call('BZMPOP', '0.2', '1', 'zrace', 'MIN', 'COUNT', '2')) as [string, [string, string][]] | null;
        if (v !== null) got.push(...v[1].map(([m]) => m));
      } else {
        const v = i % 3 === 0 ? await r.bzpopmin('zrace', 0.2) : await r.bzpopmax('zrace', 0.2);
        if (v !== null) {
          assert.is(v[0], 'zrace');
          assert.is(v[2], v[1].slice(1), 'the score is the member number');
          got.push(v[1]);
        }
      }
    }
  });
  await until(async () => (await blockedOn(io('n1'))) >= 2, 5_000, 'clients blocked on n1');
  for (let i = 0; i < members; i++) await producer.zadd('zrace', i, `m${i}`);
  await until(async () => got.length >= members, 10_000, 'every member popped');
  stop = true;
  await Promise.all(loops);
  assert.is(got.length, members, 'no member popped twice');
  assert.equal([...got].sort(), Array.from({ length: members }, (_, i) => `m${i}`).sort());
  assert.is(await producer.exists('zrace'), 0);
});

test('a client that disconnects while blocked on a zset loses nothing; the next ZADD goes to a live client', async () => {
  const leaver = io('n2');
  const live = io('n1');
  const admin = io('n3');
  const gone = leaver.bzpopmin('zleave', 0).catch(() => null);
  await until(async () => (await blockedOn(io('n2'))) >= 1, 5_000, 'the leaver blocked');
  leaver.disconnect();
  await gone;
  await until(async () => (await blockedOn(io('n2'))) === 0, 5_000, 'the leaver released');
  const served = live.bzpopmin('zleave', 5);
  await until(async () => (await blockedOn(io('n1'))) >= 1, 5_000, 'the live client blocked');
  await admin.zadd('zleave', 7, 'x');
  assert.equal(await served, ['zleave', 'x', '7']);
  assert.is(await admin.exists('zleave'), 0);
});

test('XREAD BLOCK readers on `$` on every node: one XADD serves them all (a read serve takes nothing)', async () => {
  const readers = ['n1', 'n2', 'n3', 'n1'].map(io);
  const admin = io('n2');
  await admin.xadd('xs', '5-0', 'f', 'old');
  const reads = readers.map((r) => r.xread('BLOCK', 5_000, 'STREAMS', 'xs', '$'));
  await until(async () => (await Promise.all(['n1', 'n2', 'n3'].map((n) => blockedOn(io(n))))).reduce((a, b) => a + b) >= readers.length, 5_000, 'readers blocked');
  await admin.xadd('xs', '6-0', 'f', 'new');
  for (const r of await Promise.all(reads)) assert.equal(r, [['xs', [['6-0', ['f', 'new']]]]]);
  assert.is(await admin.xlen('xs'), 2);
});

test('SWAPDB wakes the clients blocked on keys it makes non-empty (lists and sorted sets, on other nodes)', async () => {
  const list = io('n2');
  const zset = io('n1');
  const db1 = new Redis({ port: cluster.redisPorts.get('n3')!, host: '127.0.0.1', db: 1, maxRetriesPerRequest: 1 });
  ioClients.push(db1);
  const popped = list.blpop('swl', 5);
  const zpopped = zset.bzpopmax('swz', 5);
  await until(async () => (await blockedOn(io('n2'))) >= 1 && (await blockedOn(io('n1'))) >= 1, 5_000, 'clients blocked');
  await db1.rpush('swl', 'a', 'b');
  await db1.zadd('swz', 1, 'x', 2, 'y');
  const t0 = Date.now();
  await db1.swapdb(0, 1);
  assert.equal(await popped, ['swl', 'a']);
  assert.equal(await zpopped, ['swz', 'y', '2']);
  assert.ok(Date.now() - t0 < 4_000, 'woken by the swap, not timed out');
  assert.equal(await db1.lrange('swl', 0, -1), [], 'db 1 now holds what db 0 held: nothing');
  assert.equal(await list.lrange('swl', 0, -1), ['b']);
});

test.run();
