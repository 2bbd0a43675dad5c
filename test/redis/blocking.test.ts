/**
 * Blocking list commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP), CLIENT UNBLOCK and blocked_clients.
 * - Differential against a real redis-server 7.0.15 through a one-node cluster: the cases that do not race
 *   (immediate pops, timeouts in RESP2 and RESP3, argument errors, MULTI, CLIENT UNBLOCK's answers), byte for byte.
 * - On a 3-node cluster with ioredis and node-redis: clients blocked on the same key on different nodes, each
 *   element popped exactly once; a client that disconnects while blocked loses nothing; CLIENT UNBLOCK;
 *   blocked_clients and the `b` flag.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { createCluster, type Cluster } from '../../src/cluster.js';
import { haveRedis, pubsubSession, rawSession, startRealRedis, type RealRedis } from './helpers.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const crlf = (...lines: string[]): Buffer => b(lines.map((l) => `${l}\r\n`).join(''));
/** A raw session waits this long for quiet: longer than every timeout in the scripts. */
const scriptQuietMs = 1_500;

/** name → chunks, to both servers; replies compared byte for byte. */
const scripts: [string, Buffer[]][] = [
  [
    'immediate pops',
    [crlf('RPUSH l a b c d e', 'BLPOP l 0', 'BRPOP l 0', 'BLPOP none l 1', 'BLMOVE l d LEFT RIGHT 0', 'BRPOPLPUSH l d 0', 'LRANGE d 0 -1', 'RPUSH m 1 2 3', 'BLMPOP 0 2 none m RIGHT COUNT 2', 'BLMPOP 0.5 1 m LEFT', 'EXISTS m', 'BLMOVE d d RIGHT LEFT 0', 'LRANGE d 0 -1')],
  ],
  ['timeouts, RESP2', [crlf('BLPOP e1 0.05', 'BRPOP e1 e2 0.05', 'BLMOVE e1 e2 LEFT LEFT 0.05', 'BRPOPLPUSH e1 e2 0.05', 'BLMPOP 0.05 2 e1 e2 LEFT', 'BLMPOP 0.05 1 e1 RIGHT COUNT 3')]],
  ['timeouts, RESP3', [crlf('HELLO 3', 'BLPOP e1 0.05', 'BLMOVE e1 e2 LEFT LEFT 0.05', 'BRPOPLPUSH e1 e2 0.05', 'BLMPOP 0.05 1 e1 RIGHT')]],
  [
    'timeout and argument errors',
    [
      crlf(
        'BLPOP k x', 'BLPOP k -1', 'BLPOP k -0.0001', 'BLPOP k inf', 'BLPOP k nan', 'BLPOP k " 1"', 'BLPOP k 1e400', 'BLPOP k 0x10', 'BLPOP k 9223372036854775807',
        'BLPOP k', 'BRPOP k', 'BLMOVE a b UP LEFT 0', 'BLMOVE a b LEFT RIGHT x', 'BLMOVE a b LEFT', 'BRPOPLPUSH a b -1',
        'BLMPOP 0 0 k LEFT', 'BLMPOP 0 1 k UP', 'BLMPOP 0 1 k LEFT COUNT 0', 'BLMPOP 0 3 k LEFT', 'BLMPOP x 1 k LEFT', 'BLMPOP 0 1 k LEFT COUNT 1 COUNT 2', 'BLMPOP 0 x k LEFT',
      ),
    ],
  ],
  ['wrong types', [crlf('SET s v', 'RPUSH l x', 'BLPOP s l 0', 'BLPOP l s 0', 'BLMOVE s l LEFT LEFT 0', 'BLMOVE l s LEFT LEFT 0', 'LRANGE l 0 -1', 'BLMPOP 0 2 s l LEFT', 'BRPOPLPUSH s l 0')]],
  [
    'inside MULTI: nil at once, or the pop',
    [crlf('MULTI', 'BLPOP e1 0', 'BRPOP e1 10', 'BLMOVE e1 e2 LEFT LEFT 0', 'BRPOPLPUSH e1 e2 0', 'BLMPOP 0 1 e1 LEFT', 'RPUSH e1 v w', 'BLPOP e1 0', 'BLMOVE e1 e2 LEFT LEFT 0', 'EXEC', 'HELLO 3', 'MULTI', 'BLPOP e1 0', 'BLMOVE e1 e2 LEFT LEFT 0', 'EXEC')],
  ],
  ['commands pipelined after a blocking one run after it is answered', [crlf('BLPOP pk 0.1', 'RPUSH pk x', 'BLMOVE pk pd LEFT LEFT 0.1', 'BLPOP pk 0.1', 'LLEN pd')]],
  ['COMMAND INFO of the blocking commands', [crlf('COMMAND GETKEYS BLPOP a b 0', 'COMMAND GETKEYS BLMOVE a b LEFT LEFT 0', 'COMMAND GETKEYS BRPOPLPUSH a b 0')]],
  ['CLIENT UNBLOCK of a client that is not blocked', [crlf('CLIENT UNBLOCK 999999', 'CLIENT UNBLOCK 999999 ERROR', 'CLIENT UNBLOCK 999999 NO', 'CLIENT UNBLOCK x', 'CLIENT UNBLOCK 1 TIMEOUT x', 'CLIENT UNBLOCK')]],
];

/** Notifications: the subscriber's bytes while another connection pops (immediate and after a block). */
const notifySub = [crlf('CONFIG SET notify-keyspace-events KEA', 'PSUBSCRIBE __key*__:*')];
const notifyPub = [crlf('RPUSH l a b', 'BLPOP l 0', 'BRPOP l 0', 'RPUSH l c', 'BLMOVE l d LEFT RIGHT 0', 'RPUSH m 1 2', 'BLMPOP 0 1 m LEFT COUNT 5')];

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
async function until(f: () => Promise<boolean>, ms: number, what: string | (() => Promise<string>)): Promise<void> {
  const t0 = Date.now();
  while (!(await f())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : await what()}`);
    await sleep(20);
  }
}
const blockedOn = async (r: Redis): Promise<number> => Number(/blocked_clients:(\d+)/.exec(await r.info('clients'))![1]);

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'conclave-blocking-'));
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
  test('byte-identical to redis-server: immediate pops, timeouts, errors, MULTI, CLIENT UNBLOCK', async () => {
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

  test('byte-identical keyspace notifications of blocking pops', async () => {
    const port = cluster.redisPorts.get('n1')!;
    const [a, o] = await Promise.all([pubsubSession(real!.port, notifySub, notifyPub, 1_000, 1_500, scriptQuietMs), pubsubSession(port, notifySub, notifyPub, 1_000, 1_500, scriptQuietMs)]);
    assert.is(o.sub.toString('latin1'), a.sub.toString('latin1'), 'subscriber');
    assert.is(o.pub.toString('latin1'), a.pub.toString('latin1'), 'publisher');
    const off = [crlf('CONFIG SET notify-keyspace-events ""', 'FLUSHALL')];
    await Promise.all([rawSession(real!.port, off), rawSession(port, off)]);
  });
} else test.skip('differential blocking tests (redis-server not installed)', () => undefined);

test('clients blocked on one key on different nodes: each pushed element popped exactly once', async () => {
  const pushes = 60;
  const waiters = ['n1', 'n2', 'n3', 'n1', 'n2'].map(io);
  const producer = io('n3');
  const got: string[] = [];
  let stop = false;
  const loops = waiters.map(async (r) => {
    while (!stop) {
      const v = await r.blpop('race', 0.2);
      if (v !== null) got.push(v[1]);
    }
  });
  await sleep(200);
  for (let i = 0; i < pushes; i++) await producer.rpush('race', `e${i}`);
  await until(async () => got.length >= pushes, 10_000, 'every element popped');
  stop = true;
  await Promise.all(loops);
  assert.is(got.length, pushes, 'no element popped twice');
  assert.equal([...got].sort(), Array.from({ length: pushes }, (_, i) => `e${i}`).sort());
  assert.is(await producer.llen('race'), 0);
});

test('one push of several elements serves several blocked clients across nodes (BRPOP, BLMPOP with node-redis)', async () => {
  const a = io('n1');
  const nr = createClient({ socket: { port: cluster.redisPorts.get('n2')!, host: '127.0.0.1' } });
  await nr.connect();
  try {
    const pa = a.brpop('multi', 5);
    const pb = nr.blmPop(5, ['nothing', 'multi'], 'LEFT', { COUNT: 2 });
    const n1 = io('n1');
    await until(async () => (await blockedOn(n1)) === 1, 2_000, 'n1 blocked');
    const n2 = io('n2');
    await until(async () => (await blockedOn(n2)) === 1, 2_000, 'n2 blocked');
    await io('n3').rpush('multi', 'x', 'y', 'z');
    const [ra, rb] = await Promise.all([pa, pb]);
    assert.ok(Array.isArray(rb), `BLMPOP answered ${JSON.stringify(rb)} (BRPOP: ${JSON.stringify(ra)})`);
    const [key, elements] = rb as unknown as [string, string[]];
    const popped = [ra![1], ...elements];
    assert.is(ra![0], 'multi');
    assert.is(key, 'multi');
    assert.equal(popped.sort(), ['x', 'y', 'z'], 'the three elements, each once');
  } finally {
    await nr.quit();
  }
});

test('a client that disconnects while blocked loses nothing; the next push goes to a live client', async () => {
  const doomed = io('n2');
  await doomed.client('SETNAME', 'doomed');
  void doomed.blpop('gone', 0).catch(() => undefined);
  const watcher = io('n2');
  await until(async () => (await blockedOn(watcher)) === 1, 2_000, 'blocked');
  assert.match((await watcher.client('LIST')) as string, /name=doomed .*flags=b .*cmd=blpop/);
  doomed.disconnect();
  await until(async () => (await blockedOn(watcher)) === 0, 2_000, 'unblocked by the disconnect');
  const live = io('n1');
  const p = live.blpop('gone', 5);
  const n1 = io('n1');
  await until(async () => (await blockedOn(n1)) === 1, 2_000, 'live blocked');
  await io('n3').rpush('gone', 'only');
  assert.equal(await p, ['gone', 'only']);
  assert.is(await watcher.llen('gone'), 0);
});

test('disconnect races a serve: every element is popped by a live client or still in the list', async () => {
  const rounds = 20;
  const producer = io('n3');
  const kept: string[] = [];
  for (let i = 0; i < rounds; i++) {
    // a raw connection that blocks, then closes just as the element arrives
    const s = net.connect(cluster.redisPorts.get(i % 2 === 0 ? 'n1' : 'n2')!, '127.0.0.1');
    s.on('error', () => undefined);
    let replied = '';
    s.on('data', (d) => (replied += d.toString('latin1')));
    const closed = new Promise((res) => s.on('close', res));
    s.write(crlf('BLPOP dc 0'));
    await sleep(30);
    await producer.rpush('dc', `v${i}`);
    // half-close: the server sees the client leave, and whatever it answered before that still arrives here
    s.end();
    await Promise.race([closed, sleep(5_000)]);
    s.destroy();
    // an element left in the list by an earlier round may be popped at once by this round's client
    kept.push(...(replied.match(/v\d+/g) ?? []));
  }
  const all = Array.from({ length: rounds }, (_, i) => `v${i}`).sort();
  let left: string[] = [];
  // an undo may still be on its way: wait for it (bounded)
  await until(async () => (left = await producer.lrange('dc', 0, -1)).length + kept.length >= rounds, 5_000, 'every element accounted for');
  assert.equal([...kept, ...left].sort(), all, 'each element popped for a client that saw it, or back in the list');
});

test('CLIENT UNBLOCK: TIMEOUT answers nil, ERROR the UNBLOCKED error; blocked_clients counts', async () => {
  const blocked = io('n1');
  const admin = io('n1');
  const id = Number(await blocked.client('ID'));
  const p = blocked.blmove('ub-src', 'ub-dst', 'LEFT', 'RIGHT', 0);
  await until(async () => (await blockedOn(admin)) === 1, 2_000, 'blocked');
  assert.is(await admin.client('UNBLOCK', id, 'TIMEOUT'), 1);
  assert.is(await p, null);
  assert.is(await blockedOn(admin), 0);
  assert.is(await admin.client('UNBLOCK', id), 0, 'no longer blocked');
  const q = blocked.blpop('ub-src', 0).then(
    () => 'answered',
    (e: Error) => e.message,
  );
  await until(async () => (await blockedOn(admin)) === 1, 2_000, 'blocked again');
  assert.is(await admin.client('UNBLOCK', id, 'ERROR'), 1);
  assert.is(await q, 'UNBLOCKED client unblocked via CLIENT UNBLOCK');
});

test('BLPOP k1 k2: served from the key that became ready, though k1 became a string meanwhile', async () => {
  const r = io('n2');
  const admin = io('n2');
  const p = r.blpop('wt1', 'wt2', 5);
  await until(async () => (await blockedOn(admin)) === 1, 2_000, 'blocked');
  await io('n1').set('wt1', 'now a string');
  await sleep(100);
  assert.is(await blockedOn(admin), 1, 'still blocked: wt1 is no list');
  await io('n3').rpush('wt2', 'x');
  assert.equal(await p, ['wt2', 'x']);
});

test('local timeouts with fractions of a second; a later push is not taken by a timed-out client', async () => {
  const far = io('n1');
  const farAdmin = io('n1');
  const farP = far.blpop('far', 3_000_000); // beyond one timer's reach (24.8 days): still blocked
  await until(async () => (await blockedOn(farAdmin)) === 1, 2_000, 'blocked for 35 days');
  await sleep(100);
  assert.is(await blockedOn(farAdmin), 1, 'a timeout beyond 2^31 ms does not fire at once');
  await farAdmin.rpush('far', 'x');
  assert.equal(await farP, ['far', 'x']);
  const r = io('n2');
  const t0 = Date.now();
  assert.is(await r.blpop('slow', 0.25), null);
  const waited = Date.now() - t0;
  assert.ok(waited >= 240, `waited ${waited} ms`);
  await io('n1').rpush('slow', 'kept');
  await sleep(100);
  assert.equal(await r.lrange('slow', 0, -1), ['kept']);
});

// last: it kills the leader
test('the leader killed while clients on the followers are blocked and elements arrive: each popped at most once, none lost', async () => {
  const pushes = 60;
  const killAt = 20;
  const leader = cluster.leader()!;
  const followers = ['n1', 'n2', 'n3'].filter((n) => n !== leader);
  const got: string[] = [];
  let stop = false;
  const loops = [...followers, ...followers].map(async (node) => {
    const r = io(node);
    r.on('error', () => undefined);
    while (!stop) {
      try {
        const v = await r.blpop('lc', 0.3);
        if (v !== null) got.push(v[1]);
      } catch {
        await sleep(50); // a TRYAGAIN after the serve's retries: the outcome stays unknown only past its bound
      }
    }
  });
  const producer = io(followers[0]!);
  producer.on('error', () => undefined);
  const acked: string[] = [];
  const unknown: string[] = [];
  for (let i = 0; i < pushes; i++) {
    if (i === killAt) void cluster.kill(leader);
    try {
      await producer.rpush('lc', `e${i}`);
      acked.push(`e${i}`);
    } catch {
      unknown.push(`e${i}`); // not retried: a retried push could add it twice
    }
    await sleep(20);
  }
  await until(async () => acked.every((e) => got.includes(e)), 30_000, 'every acknowledged element popped');
  await sleep(1_000);
  stop = true;
  await Promise.all(loops);
  const left = await producer.lrange('lc', 0, -1);
  assert.is(new Set(got).size, got.length, `no element popped twice (${got.length} popped)`);
  for (const e of got) assert.ok(acked.includes(e) || unknown.includes(e), `${e} was pushed`);
  assert.equal(left, [], 'nothing left behind');
  console.log(`  ${acked.length} pushes acknowledged, ${unknown.length} refused during the election; ${got.length} popped, each once`);
});

test.run();
