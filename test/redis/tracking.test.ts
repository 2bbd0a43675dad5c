/**
 * Client-side caching (CLIENT TRACKING): the replies and errors of CLIENT TRACKING / CACHING / TRACKINGINFO /
 * GETREDIR byte for byte against a real redis-server, and the invalidation pushes: the same scripted sequence run on
 * redis-server (every connection on it) and on a 3-node cluster (the tracking client on n1, the writer on n3) must
 * give the tracking client (or its REDIRECT target) the same bytes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { createCluster, type Cluster } from '../../src/cluster.js';
import { haveRedis, startRealRedis, type RealRedis } from './helpers.js';

/** The longest a test waits for expected bytes. */
const waitBytesMs = 5_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cmd = (...args: string[]): Buffer => Buffer.from(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);

/** A raw connection: send commands, take the bytes received so far. */
class Raw {
  private got = Buffer.alloc(0);
  private constructor(private readonly s: net.Socket) {
    s.on('data', (b: Buffer) => (this.got = Buffer.concat([this.got, b])));
  }
  static open(port: number): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Raw(s)));
      s.on('error', reject);
    });
  }
  /** Sends one command and waits for at least `replyBytes` more bytes (or the wait bound); returns them. */
  async call(args: string[], minBytes = 1): Promise<string> {
    const before = this.got.length;
    this.s.write(cmd(...args));
    const t0 = Date.now();
    while (this.got.length - before < minBytes && Date.now() - t0 < waitBytesMs) await sleep(5);
    await sleep(30);
    return this.take(before);
  }
  /** Waits until `n` bytes arrived (bounded), and returns (and drops) everything received. */
  async drain(n = 1, quietMs = 100): Promise<string> {
    const t0 = Date.now();
    while (this.got.length < n && Date.now() - t0 < waitBytesMs) await sleep(5);
    await sleep(quietMs);
    return this.take(0);
  }
  private take(from: number): string {
    const s = this.got.subarray(from).toString('latin1');
    this.got = Buffer.alloc(0);
    return s;
  }
  close(): void {
    this.s.destroy();
  }
}

let real: RealRedis | undefined;
let cluster: Cluster;
const port = (node: string): number => cluster.redisPorts.get(node)!;

test.before(async () => {
  if (haveRedis) real = await startRealRedis();
  cluster = await createCluster({});
  await cluster.waitForLeader(20_000);
  await cluster.waitForAllServing(10_000);
});
test.after(async () => {
  await cluster.close();
  await real?.stop();
});

/** One connection's replies for a list of commands (after HELLO `resp`). */
async function replies(p: number, resp: 2 | 3, script: string[][]): Promise<string[]> {
  const c = await Raw.open(p);
  await c.call(['HELLO', String(resp)]);
  const out: string[] = [];
  for (const a of script) out.push(await c.call(a));
  c.close();
  return out;
}

const optionScript: string[][] = [
  ['CLIENT', 'TRACKINGINFO'],
  ['CLIENT', 'GETREDIR'],
  ['CLIENT', 'CACHING', 'yes'],
  ['CLIENT', 'TRACKING', 'maybe'],
  ['CLIENT', 'TRACKING', 'on', 'foo'],
  ['CLIENT', 'TRACKING', 'on', 'PREFIX', 'a'],
  ['CLIENT', 'TRACKING', 'on', 'BCAST', 'OPTIN'],
  ['CLIENT', 'TRACKING', 'on', 'OPTIN', 'OPTOUT'],
  ['CLIENT', 'TRACKING', 'on', 'REDIRECT', 'x'],
  ['CLIENT', 'TRACKING', 'on', 'REDIRECT', '987654'],
  ['CLIENT', 'TRACKING', 'on', 'REDIRECT', '987654', 'REDIRECT', '1'],
  ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'ab', 'PREFIX', 'abc'],
  ['CLIENT', 'TRACKING', 'on', 'OPTIN', 'NOLOOP'],
  ['CLIENT', 'TRACKINGINFO'],
  ['CLIENT', 'GETREDIR'],
  ['CLIENT', 'CACHING', 'no'],
  ['CLIENT', 'CACHING', 'maybe'],
  ['CLIENT', 'CACHING', 'yes'],
  ['CLIENT', 'TRACKINGINFO'],
  ['CLIENT', 'TRACKING', 'on', 'OPTOUT'],
  ['CLIENT', 'TRACKING', 'on', 'BCAST'],
  ['CLIENT', 'TRACKING', 'off'],
  ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'a', 'PREFIX', 'b'],
  ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'bc'],
  ['CLIENT', 'TRACKINGINFO'],
  ['CLIENT', 'TRACKING', 'off'],
  ['CLIENT', 'TRACKING', 'on', 'BCAST'],
  ['CLIENT', 'TRACKINGINFO'],
  ['CLIENT', 'TRACKING', 'off'],
  ['CLIENT', 'TRACKING', 'on', 'OPTOUT'],
  ['CLIENT', 'CACHING', 'no'],
  ['CLIENT', 'TRACKINGINFO'],
  ['CLIENT', 'CACHING'],
  ['CLIENT', 'TRACKING'],
];

for (const resp of [2, 3] as const) {
  test(`CLIENT TRACKING / CACHING / TRACKINGINFO / GETREDIR replies and errors as redis-server (RESP${resp})`, async () => {
    if (real === undefined) return;
    const want = await replies(real.port, resp, optionScript);
    const got = await replies(port('n1'), resp, optionScript);
    optionScript.forEach((a, i) => assert.is(JSON.stringify(got[i]), JSON.stringify(want[i]), a.join(' ')));
  });
}

/**
 * A scenario: the tracker (RESP `resp`, maybe with a REDIRECT target subscribed to __redis__:invalidate) sets up
 * tracking, a writer changes keys; returns what the tracker (or the target) received after set-up.
 */
async function scenario(trackerPort: number, writerPort: number, resp: 2 | 3, setup: string[][], writes: string[][], redirect = false): Promise<string> {
  const tracker = await Raw.open(trackerPort);
  const writer = await Raw.open(writerPort);
  let target: Raw | undefined;
  await tracker.call(['HELLO', String(resp)]);
  if (redirect) {
    target = await Raw.open(trackerPort);
    const id = (await target.call(['CLIENT', 'ID'])).slice(1, -2);
    await target.call(['SUBSCRIBE', '__redis__:invalidate']);
    await tracker.call(['CLIENT', 'TRACKING', 'on', 'REDIRECT', id]);
  }
  for (const a of setup) await tracker.call(a);
  await tracker.drain(0, 0);
  for (const w of writes) await writer.call(w);
  const out = await (target ?? tracker).drain(1, 400);
  tracker.close();
  writer.close();
  target?.close();
  return out;
}

const cases: { name: string; resp: 2 | 3; setup: string[][]; writes: string[][]; redirect?: boolean; expect: string }[] = [
  {
    name: 'default mode: a key read while tracking is invalidated once',
    resp: 3,
    setup: [['SET', 'tk1', 'a'], ['CLIENT', 'TRACKING', 'on'], ['GET', 'tk1'], ['GET', 'tk2']],
    writes: [['SET', 'tk1', 'b'], ['SET', 'tk1', 'c'], ['SET', 'untracked', 'x']],
    expect: '>2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\ntk1\r\n',
  },
  {
    name: 'BCAST with PREFIX: keys under the prefix, read or not',
    resp: 3,
    setup: [['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'bp:']],
    writes: [['SET', 'bp:1', 'x'], ['SET', 'other', 'x']],
    expect: '>2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nbp:1\r\n',
  },
  {
    name: 'OPTIN: only the read after CLIENT CACHING yes is tracked',
    resp: 3,
    setup: [['CLIENT', 'TRACKING', 'on', 'OPTIN'], ['GET', 'oi1'], ['CLIENT', 'CACHING', 'yes'], ['GET', 'oi2'], ['GET', 'oi3']],
    writes: [['SET', 'oi1', 'x'], ['SET', 'oi2', 'x'], ['SET', 'oi3', 'x']],
    expect: '>2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\noi2\r\n',
  },
  {
    name: 'RESP2 REDIRECT to a subscriber of __redis__:invalidate',
    resp: 2,
    redirect: true,
    setup: [['GET', 'rd1']],
    writes: [['DEL', 'rd1'], ['SET', 'rd1', 'x']],
    expect: '*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$3\r\nrd1\r\n',
  },
  {
    name: 'NOLOOP: the writer forgets the keys it writes (no invalidation of its own write, nor of a later one)',
    resp: 3,
    setup: [['CLIENT', 'TRACKING', 'on', 'NOLOOP'], ['GET', 'nl1'], ['GET', 'nl2'], ['SET', 'nl1', 'x']],
    writes: [['SET', 'nl1', 'y'], ['SET', 'nl2', 'y']],
    expect: '>2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nnl2\r\n',
  },
  {
    name: 'OPTOUT: a read after CLIENT CACHING no is not tracked',
    resp: 3,
    setup: [['CLIENT', 'TRACKING', 'on', 'OPTOUT'], ['CLIENT', 'CACHING', 'no'], ['GET', 'oo1'], ['GET', 'oo2']],
    writes: [['SET', 'oo1', 'x'], ['SET', 'oo2', 'x']],
    expect: '>2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\noo2\r\n',
  },
  {
    name: 'FLUSHALL: a null invalidation to every tracking client',
    resp: 3,
    setup: [['CLIENT', 'TRACKING', 'on'], ['GET', 'fl1']],
    writes: [['FLUSHALL']],
    expect: '>2\r\n$10\r\ninvalidate\r\n_\r\n',
  },
  {
    name: 'FLUSHDB through REDIRECT (RESP2)',
    resp: 2,
    redirect: true,
    setup: [],
    writes: [['FLUSHDB']],
    expect: '*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n',
  },
];

for (const c of cases) {
  test(`invalidation: ${c.name} (n1 tracking, n3 writing; bytes as redis-server)`, async () => {
    if (real !== undefined) {
      const want = await scenario(real.port, real.port, c.resp, c.setup, c.writes, c.redirect);
      assert.is(JSON.stringify(want), JSON.stringify(c.expect), 'redis-server');
    }
    const got = await scenario(port('n1'), port('n3'), c.resp, c.setup, c.writes, c.redirect);
    assert.is(JSON.stringify(got), JSON.stringify(c.expect));
  });
}

test('REDIRECT target gone: tracking-redir-broken push and broken_redirect, as redis-server', async () => {
  const run = async (p: number, wp: number): Promise<string[]> => {
    const tracker = await Raw.open(p);
    const target = await Raw.open(p);
    const writer = await Raw.open(wp);
    await tracker.call(['HELLO', '3']);
    const id = (await target.call(['CLIENT', 'ID'])).slice(1, -2);
    await tracker.call(['CLIENT', 'TRACKING', 'on', 'REDIRECT', id]);
    await tracker.call(['GET', 'rb1']);
    target.close();
    await sleep(100);
    await writer.call(['SET', 'rb1', 'x']);
    const pushed = (await tracker.drain(1, 300)).replace(`:${id}\r\n`, ':<id>\r\n');
    const info = await tracker.call(['CLIENT', 'TRACKINGINFO']);
    tracker.close();
    writer.close();
    return [pushed, info.replace(`:${id}\r\n`, ':<id>\r\n')];
  };
  const got = await run(port('n1'), port('n3'));
  assert.is(got[0], '>2\r\n$21\r\ntracking-redir-broken\r\n:<id>\r\n');
  if (real !== undefined) assert.equal(got, await run(real.port, real.port));
});

test('INFO tracking_clients counts the node\'s tracking connections', async () => {
  const a = await Raw.open(port('n2'));
  const info = async (): Promise<string> => /tracking_clients:(\d+)/.exec(await a.call(['INFO', 'clients']))![1]!;
  assert.is(await info(), '0');
  await a.call(['CLIENT', 'TRACKING', 'on']);
  assert.is(await info(), '1');
  await a.call(['CLIENT', 'TRACKING', 'off']);
  assert.is(await info(), '0');
  a.close();
});

test.run();
