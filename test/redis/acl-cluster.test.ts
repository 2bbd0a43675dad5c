/**
 * ACL across a 3-node cluster: a user created through one node authenticates through another and its permissions
 * hold there; GETUSER through a third shows it; deleting it through one node closes its connections on the others
 * (an `off` user's are kept, as Redis 7.0.15); CONFIG SET requirepass through one node makes new connections to
 * the others authenticate with that password. ioredis and node-redis log in as an ACL user.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { createCluster, type Cluster } from '../../src/cluster.js';
import { aclRefreshMs } from '../../src/servers/redis/index.js';
import { Redis } from 'ioredis';
import { createClient } from 'redis';

const crlf = (...lines: string[]): string => lines.map((l) => `${l}\r\n`).join('');
/** How long a reply may take to begin, and the quiet time that ends it. */
const replyWaitMs = 5_000;
const quietMs = 150;

/** A raw connection: send lines, read what comes back until it is quiet; `closed` once the server closed it. */
class Conn {
  private got = '';
  closed = false;
  private constructor(private readonly s: net.Socket) {
    s.on('data', (d) => (this.got += d.toString('latin1')));
    s.on('close', () => (this.closed = true));
    s.on('error', () => undefined);
  }
  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }
  async send(...lines: string[]): Promise<string> {
    this.got = '';
    this.s.write(crlf(...lines));
    const t0 = Date.now();
    while (this.got === '' && !this.closed && Date.now() - t0 < replyWaitMs) await sleep(10);
    let seen = -1;
    while (seen !== this.got.length && !this.closed) {
      seen = this.got.length;
      await sleep(quietMs);
    }
    return this.got;
  }
  close(): void {
    this.s.destroy();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until `f` holds. */
async function until(f: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await f()) return true;
    await sleep(50);
  }
  return false;
}

let cluster: Cluster;
const port = (n: string): number => cluster.redisPorts.get(n)!;

test.before(async () => {
  cluster = await createCluster({ nodes: 3 });
  await cluster.waitForLeader(20_000);
  await cluster.waitForAllServing(10_000);
});
test.after(async () => {
  await cluster?.close();
});

test('a user created through one node authenticates through another; its permissions hold there', async () => {
  const c1 = await Conn.open(port('n1'));
  assert.is(await c1.send('ACL SETUSER u on >pw ~k* &ch +get +set +publish +acl|whoami'), '+OK\r\n');
  const c2 = await Conn.open(port('n2'));
  assert.is(await c2.send('AUTH u wrong'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
  assert.is(await c2.send('AUTH u pw', 'ACL WHOAMI', 'SET k1 v', 'GET k1', 'SET x v', 'DEL k1', 'PUBLISH ch m', 'PUBLISH other m'), [
    '+OK\r\n',
    '$1\r\nu\r\n',
    '+OK\r\n',
    '$1\r\nv\r\n',
    '-NOPERM this user has no permissions to access one of the keys used as arguments\r\n',
    "-NOPERM this user has no permissions to run the 'del' command\r\n",
    ':0\r\n',
    '-NOPERM this user has no permissions to access one of the channels used as arguments\r\n',
  ].join(''));
  const c3 = await Conn.open(port('n3'));
  assert.ok((await c3.send('ACL LIST')).includes('user u on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~k* resetchannels &ch -@all'));
  // a change through n3 holds on n2's open connection once n2 caught up
  assert.is(await c3.send('ACL SETUSER u -set'), '+OK\r\n');
  assert.ok(await until(async () => (await c2.send('SET k1 w')).startsWith('-NOPERM'), aclRefreshMs * 5), 'SET refused on n2 after the change through n3');
  for (const c of [c1, c2, c3]) c.close();
});

test('deleting a user closes its connections on every node; disabling it does not', async () => {
  const c1 = await Conn.open(port('n1'));
  assert.is(await c1.send('ACL SETUSER gone on >pw +@all ~*', 'ACL SETUSER dis on >pw +@all ~*'), '+OK\r\n+OK\r\n');
  const g2 = await Conn.open(port('n2'));
  const g3 = await Conn.open(port('n3'));
  const d2 = await Conn.open(port('n2'));
  assert.is(await g2.send('AUTH gone pw'), '+OK\r\n');
  assert.is(await g3.send('AUTH gone pw'), '+OK\r\n');
  assert.is(await d2.send('AUTH dis pw'), '+OK\r\n');
  assert.is(await c1.send('ACL SETUSER dis off', 'ACL DELUSER gone'), '+OK\r\n:1\r\n');
  assert.ok(await until(() => g2.closed && g3.closed, aclRefreshMs * 5), 'connections of the deleted user closed');
  assert.is(await d2.send('PING'), '+PONG\r\n');
  assert.is(d2.closed, false);
  assert.is(await (await Conn.open(port('n2'))).send('AUTH dis pw'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
  for (const c of [c1, d2]) c.close();
});

test('CONFIG SET requirepass through one node is the default user’s password on every node', async () => {
  const c1 = await Conn.open(port('n1'));
  assert.is(await c1.send('CONFIG SET requirepass s3cret'), '+OK\r\n');
  try {
    // the other nodes catch up within their refresh period
    assert.ok(
      await until(async () => {
        const c = await Conn.open(port('n3'));
        const r = await c.send('PING');
        c.close();
        return r.startsWith('-NOAUTH');
      }, aclRefreshMs * 5),
      'n3 asks new connections to authenticate',
    );
    const c3 = await Conn.open(port('n3'));
    assert.is(await c3.send('AUTH wrong', 'AUTH s3cret', 'PING'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n+PONG\r\n');
    assert.ok((await c3.send('ACL GETUSER default')).includes('$64\r\n'), 'the password is stored as its hash');
    c3.close();
  } finally {
    await c1.send('CONFIG SET requirepass ""');
    c1.close();
  }
});

test('ioredis (AUTH user pass) and node-redis (HELLO 3 AUTH) log in as an ACL user created through another node', async () => {
  const c1 = await Conn.open(port('n1'));
  assert.is(await c1.send('ACL SETUSER app on >apppw ~app:* +@all -@dangerous'), '+OK\r\n');
  c1.close();
  const io = new Redis({ port: port('n2'), host: '127.0.0.1', username: 'app', password: 'apppw', maxRetriesPerRequest: 0, retryStrategy: () => null });
  io.on('error', () => undefined);
  try {
    assert.is(await io.set('app:1', 'v'), 'OK');
    assert.is(await io.call('ACL', 'WHOAMI'), 'app');
    await io.set('other', 'v').then(
      () => assert.unreachable('a key outside app:* was written'),
      (e: Error) => assert.is(e.message, 'NOPERM this user has no permissions to access one of the keys used as arguments'),
    );
  } finally {
    io.disconnect();
  }
  const nr = createClient({ socket: { port: port('n3'), host: '127.0.0.1', reconnectStrategy: false }, username: 'app', password: 'apppw', RESP: 3 });
  nr.on('error', () => undefined);
  await nr.connect();
  try {
    assert.is(await nr.get('app:1'), 'v');
    await nr.flushAll().then(
      () => assert.unreachable('FLUSHALL (@dangerous) ran'),
      (e: Error) => assert.is(e.message, "NOPERM this user has no permissions to run the 'flushall' command"),
    );
  } finally {
    await nr.quit().catch(() => undefined);
  }
});

test.run();
