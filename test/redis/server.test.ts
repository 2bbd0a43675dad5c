/**
 * The front end's ordering and bounds on a live server: replies in request order when the backend answers out of
 * order (and in the protocol each command was read in), maxclients, client-query-buffer-limit,
 * client-output-buffer-limit (a reader that never reads is disconnected) and back-pressure (without a limit, a
 * client that never reads stops being read: the server's unsent output stays bounded).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import type { Reply } from '../../src/protocol/resp.js';
import { RedisAcl, RedisConfig, RedisConnection, localAclStore, ServerStats, commandTable, outboundBytesPauseMax, redisCommandSpecs, startRedisServer, type RedisBackend, type RedisTransport } from '../../src/servers/redis/index.js';
import { TrackingTable } from '../../src/servers/redis/tracking.js';
import { getSpec, rawSession } from './helpers.js';

const connectionTimeoutMs = 10_000;

test('replies stay in request order when the backend answers out of order', async () => {
  // GET k<n> resolves after (10 - n) ms: later requests settle first.
  const backend: RedisBackend = {
    execute: (_c, argv) => {
      const n = Number(Buffer.from(argv[1]!).toString().slice(1));
      return new Promise<Reply>((r) => setTimeout(() => r({ kind: 'Bulk', bytes: Buffer.from(`v${n}`) }), 10 - n));
    },
  };
  const server = await startRedisServer(backend, { table: commandTable([...redisCommandSpecs, getSpec]) });
  try {
    const req = Array.from({ length: 10 }, (_, n) => `GET k${n}\r\n${n === 4 ? 'PING\r\nHELLO 3\r\n' : ''}`).join('') + 'GET k9\r\nGET nope\r\n';
    const { bytes } = await rawSession(server.port, [Buffer.from(req)], 300);
    const text = bytes.toString();
    const order = [...text.matchAll(/v(\d)|PONG|%7/g)].map((m) => m[0]);
    assert.equal(order, ['v0', 'v1', 'v2', 'v3', 'v4', 'PONG', '%7', 'v5', 'v6', 'v7', 'v8', 'v9', 'v9']);
    assert.ok(text.startsWith('$2\r\nv0\r\n'), 'RESP2 before HELLO 3');
    assert.ok(text.endsWith('$2\r\nv9\r\n$4\r\nvNaN\r\n'), text.slice(-40));
  } finally {
    await server.close();
  }
});

test('maxclients: the connection over the limit gets the error and is closed', async () => {
  const server = await startRedisServer({ execute: () => ({ kind: 'Null' }) }, { config: { maxClients: 2 } });
  const held: net.Socket[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const s = net.connect(server.port, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      held.push(s);
    }
    await new Promise((r) => setTimeout(r, 50));
    const { bytes, closed } = await rawSession(server.port, [Buffer.from('PING\r\n')]);
    assert.is(bytes.toString(), '-ERR max number of clients reached\r\n');
    assert.ok(closed);
  } finally {
    for (const s of held) s.destroy();
    await server.close();
  }
});

test('client-query-buffer-limit: an incomplete command larger than the limit closes the connection', async () => {
  const server = await startRedisServer({ execute: () => ({ kind: 'Null' }) });
  try {
    assert.is((await rawSession(server.port, [Buffer.from('CONFIG SET client-query-buffer-limit 1mb\r\n')])).bytes.toString(), '+OK\r\n');
    const part = Buffer.alloc(256 * 1024, 0x61);
    const chunks = [Buffer.from(`*2\r\n$4\r\nECHO\r\n$${4 * 1024 * 1024}\r\n`), part, part, part, part, part];
    const { bytes, closed } = await rawSession(server.port, chunks, 500);
    assert.is(bytes.length, 0, 'closed without a reply, as Redis');
    assert.ok(closed);
    assert.is(server.clients.size, 0);
  } finally {
    await server.close();
  }
});

/** Pipelines `count` ECHOs of `size` bytes without reading; resolves whether the server closed the connection. */
function floodWithoutReading(port: number, count: number, size: number, onSent: () => void): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.pause();
    const timer = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, connectionTimeoutMs);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    s.on('error', () => undefined);
    s.on('connect', async () => {
      const frame = Buffer.concat([Buffer.from(`*2\r\n$4\r\nECHO\r\n$${size}\r\n`), Buffer.alloc(size, 0x62), Buffer.from('\r\n')]);
      for (let i = 0; i < count && !s.destroyed; i++) if (!s.write(frame)) await new Promise((r) => setTimeout(r, 5));
      onSent();
      if (!s.destroyed) setTimeout(() => s.destroy(), 500);
    });
  });
}

test('client-output-buffer-limit: a client that never reads is disconnected', async () => {
  const server = await startRedisServer({ execute: () => ({ kind: 'Null' }) });
  try {
    const set = await rawSession(server.port, [Buffer.from('CONFIG SET client-output-buffer-limit "normal 256kb 0 0"\r\n')]);
    assert.is(set.bytes.toString(), '+OK\r\n');
    const closedByServer = await floodWithoutReading(server.port, 200, 64 * 1024, () => undefined);
    assert.ok(closedByServer, 'the server closed the connection');
  } finally {
    await server.close();
  }
});

test('without an output limit, a client that never reads is paused: unsent output stays bounded', async () => {
  const server = await startRedisServer({ execute: () => ({ kind: 'Null' }) });
  let maxOut = 0;
  const timer = setInterval(() => {
    for (const c of server.clients.values()) maxOut = Math.max(maxOut, c.transport.outboundBytes());
  }, 2);
  try {
    // 64 MiB of requests whose replies are as large: far above what the socket buffers hold.
    await floodWithoutReading(server.port, 1024, 64 * 1024, () => undefined);
    assert.ok(maxOut > 0, 'the output did back up');
    assert.ok(maxOut <= outboundBytesPauseMax + 2 * 1024 * 1024, `unsent output peaked at ${maxOut} bytes`);
  } finally {
    clearInterval(timer);
    await server.close();
  }
});

const written: Buffer[] = [];
const transport: RedisTransport = {
  write: (b) => void written.push(Buffer.from(b)),
  close: () => undefined,
  destroy: () => undefined,
  pause: () => undefined,
  resume: () => undefined,
  outboundBytes: () => 0,
  remote: '127.0.0.1:1',
  local: '127.0.0.1:2',
};
let context: ConstructorParameters<typeof RedisConnection>[1];

test('every connection command of the table has a handler', () => {

  const table = commandTable();
  context = { config: new RedisConfig(), table, acl: new RedisAcl(localAclStore(), '', () => []), backend: { execute: () => ({ kind: 'Null' }) as Reply }, clients: new Map(), serverName: 'redis', version: '7.0.15', role: () => 'master' as const, stats: new ServerStats(), tracking: new TrackingTable(undefined, () => undefined) };
  const specs = table.all.flatMap((s) => [s, ...(s.subcommands ?? [])]).filter((s) => s.scope === 'connection' && s.name !== 'quit' && s.subcommands === undefined);
  assert.ok(specs.length > 20);
  for (const spec of specs) {
    const words = spec.name.split('|');
    const argc = Math.max(Math.abs(spec.arity), words.length);
    const argv = [...words, ...Array.from({ length: argc - words.length }, () => 'x')].map((w) => Buffer.from(w));
    const conn = new RedisConnection(transport, context, 1);
    written.length = 0;
    conn.onData(Buffer.concat([Buffer.from(`*${argv.length}\r\n`), ...argv.flatMap((a) => [Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n')])]));
    const out = Buffer.concat(written).toString();
    assert.not.match(out, /unknown (sub)?command/i, `${spec.name}: ${out}`);
    conn.onClose();
  }
  assert.is(context.stats.monitors.size, 0, 'a closed MONITOR is forgotten');
});

test('the replies to one chunk of pipelined commands leave in one write', () => {
  const conn = new RedisConnection(transport, context, 2);
  written.length = 0;
  conn.onData(Buffer.from('PING\r\n'.repeat(16) + '*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n'.repeat(16)));
  assert.is(written.length, 1);
  assert.is(written[0]!.toString(), '+PONG\r\n'.repeat(16) + '$1\r\nx\r\n'.repeat(16));
});

test('CONFIG GET patterns and all-or-nothing CONFIG SET', () => {
  const c = new RedisConfig();
  assert.equal(c.get(['*max*']).map(([k]) => k).sort(), ['maxclients', 'maxmemory', 'maxmemory-policy', 'proto-max-bulk-len', 'slowlog-max-len']);
  assert.equal(c.get(['maxclient?', 'MAXCLIENTS', 'save']), [['maxclients', '10000'], ['save', '']]);
  assert.equal(c.get(['[ab]ppendonly', 'client-[o]*']), [['appendonly', 'no'], ['client-output-buffer-limit', 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60']]);
  assert.is(c.set([['maxclients', '5'], ['proto-max-bulk-len', '1k']]), "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive");
  assert.is(c.values.maxClients, 10_000, 'nothing applied');
  assert.is(c.set([['maxclients', '5'], ['proto-max-bulk-len', '2mb']]), undefined);
  assert.is(c.values.maxClients, 5);
  assert.is(c.values.protoMaxBulkLen, 2 * 1024 * 1024);
});

test.run();
