/**
 * The same raw byte scripts to a real redis-server 7.0.15 and to our RESP front end (with a backend that knows only
 * GET, always missing); the replies must be equal byte for byte, and so must the closing of the connection.
 * Masked, because they must differ: the client id in HELLO's map and CLIENT ID's reply (`:<n>` → `:ID`).
 * Skips with a note when redis-server is not installed (apt-get install redis-server).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startRedisServer, type RedisListener } from '../../src/servers/redis/index.js';
import { emptyBackend, haveRedis, pubsubSession, rawSession, startRealRedis, testTable, type RealRedis } from './helpers.js';
import { createCluster, type Cluster } from '../../src/cluster.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const crlf = (...lines: string[]): Buffer => b(lines.map((l) => `${l}\r\n`).join(''));
const mb = (...args: string[]): string => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('')}`;

/** name → chunks sent one after the other. */
const scripts: [string, Buffer[]][] = [
  ['inline PING', [crlf('PING')]],
  ['multibulk PING, ECHO', [b(mb('PING') + mb('ECHO', 'hello world') + mb('PING', 'x'))]],
  ['pipelined, split mid-frame', [b(mb('PING') + '*2\r\n$4\r\nEC'), b('HO\r\n$2\r\nab\r\n' + mb('GET', 'k'))]],
  ['ECHO arity, PING arity', [crlf('ECHO', 'PING a b', 'ECHO a b')]],
  ['HELLO (no version)', [crlf('HELLO')]],
  ['HELLO 3 then 2', [crlf('HELLO 3', 'CLIENT GETNAME', 'GET k', 'HELLO 2', 'CLIENT GETNAME', 'GET k')]],
  ['HELLO errors', [crlf('HELLO 4', 'HELLO abc', 'HELLO 1', 'HELLO 3 FOO', 'HELLO 3 AUTH default', 'HELLO 3 SETNAME', 'HELLO 3 SETNAME "a b"')]],
  ['HELLO 3 AUTH + SETNAME (no password set)', [crlf('HELLO 3 AUTH default anything SETNAME myapp', 'CLIENT GETNAME')]],
  ['AUTH without requirepass', [crlf('AUTH x', 'AUTH a b', 'AUTH a b c')]],
  ['SELECT good and bad', [crlf('SELECT 15', 'SELECT 16', 'SELECT -1', 'SELECT x', 'SELECT 01', 'SELECT 0', 'SELECT')]],
  ['inline quotes and escapes', [b(`ECHO "a\\x41\\n\\t\\"q" \r\nECHO 'it\\'s'\r\nECHO "\\xZZ"\r\nECHO x"y z"\r\n`)]],
  ['unbalanced double quote', [crlf('PING', 'ECHO "abc', 'PING')]],
  ['closing quote not followed by a space', [crlf('ECHO "a"b')]],
  ['unbalanced single quote', [crlf(`ECHO 'abc`)]],
  ['empty lines and blanks', [b('\r\n\n   \r\nPING\n')]],
  ['bad multibulk length', [crlf('*x')]],
  ['multibulk length too big', [crlf('*3000000000')]],
  ['empty and negative multibulk', [b('*0\r\n*-5\r\n' + mb('PING'))]],
  ["expected '$'", [b('*1\r\n+PING\r\n')]],
  ['negative bulk length', [b('*1\r\n$-1\r\n')]],
  ['bulk length over proto-max-bulk-len', [b('*1\r\n$600000000\r\n')]],
  ['trailing bytes after a bulk are skipped', [b('*1\r\n$4\r\nPINGxx' + mb('PING'))]],
  ['too big inline request', [b('x'.repeat(70_000))]],
  ['too big mbulk count string', [b('*' + '1'.repeat(70_000))]],
  ['NUL inside a bulk header line', [b('*1\r\n$4\r\nPI\0G\r\n')]],
  ['unknown command', [crlf('foo a b', 'FOOBA a', 'foo')]],
  ['unknown command, long args', [b(`foo ${'abcdefghijklmnopqrstuvwxyz '.repeat(10)}\r\nbar ${'x'.repeat(200)}\r\n`)]],
  ['wrong arity of a data command', [crlf('GET', 'GET a b', 'get k')]],
  ['CLIENT subcommands', [crlf('CLIENT', 'CLIENT FOO', 'CLIENT SETNAME', 'CLIENT SETNAME a', 'CLIENT GETNAME', 'CLIENT SETNAME ""', 'CLIENT GETNAME', 'CLIENT SETNAME "a b"')]],
  ['CLIENT ID', [crlf('CLIENT ID')]],
  ['CLIENT REPLY and NO-EVICT', [crlf('CLIENT NO-EVICT on', 'CLIENT NO-EVICT x', 'CLIENT REPLY x', 'CLIENT REPLY SKIP', 'PING', 'PING', 'CLIENT REPLY OFF', 'PING', 'CLIENT REPLY ON', 'PING')]],
  ['CONFIG GET/SET of the bounds', [crlf('CONFIG GET maxclients', 'CONFIG GET PROTO-MAX-BULK-LEN', 'CONFIG GET nosuch', 'CONFIG SET nosuchp 1', 'CONFIG SET proto-max-bulk-len 10', 'CONFIG SET proto-max-bulk-len abc', 'CONFIG SET databases 3', 'CONFIG SET a', 'CONFIG SET maxclients 0', 'CONFIG SET client-output-buffer-limit "normal 1 2"', 'CONFIG GET client-output-buffer-limit', 'CONFIG GET client-query-buffer-limit')]],
  ['RESP3: errors, nulls and bulks after HELLO 3', [crlf('HELLO 3 SETNAME app', 'CLIENT GETNAME', 'CLIENT SETNAME ""', 'CLIENT GETNAME', 'PING hi', 'ECHO', 'SELECT 99', 'nope x', 'GET k', 'CLIENT NOPE')]],
  ['split inline and multibulk frames', [b('PI'), b('NG\r'), b('\n*2\r'), b('\n$4\r\nECHO\r\n$3'), b('\r\nabc'), b('\r\n')]],
  ['CONFIG GET in RESP3', [crlf('HELLO 3', 'CONFIG GET maxclients', 'CONFIG GET save', 'CONFIG GET appendonly')]],
  ['QUIT with pipelined commands after it', [crlf('PING', 'QUIT extra', 'PING')]],
  ['RESET', [crlf('HELLO 3', 'SELECT 3', 'CLIENT SETNAME n', 'RESET', 'CLIENT GETNAME', 'GET k')]],
  ['COMMAND subcommand errors', [crlf('COMMAND FOO', 'COMMAND GETKEYS ping', 'COMMAND GETKEYS get a b', 'COMMAND GETKEYS get k', 'COMMAND GETKEYS nope x')]],
];

/** With `requirepass secret` set on both servers. */
const authScripts: [string, Buffer[]][] = [
  ['NOAUTH before AUTH; AUTH forms', [crlf('PING', 'GET k', 'AUTH wrong', 'AUTH default wrong', 'AUTH secret', 'PING')]],
  ['HELLO without AUTH when a password is set', [crlf('HELLO 3', 'HELLO 3 AUTH default wrong', 'HELLO 3 AUTH default secret SETNAME app', 'CLIENT GETNAME')]],
  ['unauthenticated multibulk length', [b('*11\r\n')]],
  ['unauthenticated bulk length', [b('*1\r\n$20000\r\n')]],
  ['RESET drops authentication', [crlf('AUTH secret', 'PING', 'RESET', 'PING')]],
];

/** Against a one-node conclave cluster (the keyspace and pub/sub through the log): name → chunks. */
const clusterScripts: [string, Buffer[]][] = [
  ['SUBSCRIBE, RESP2 subscribed mode, PING forms, UNSUBSCRIBE all', [crlf('SUBSCRIBE a b a', 'PING', 'PING x', 'GET k', 'CLIENT ID', 'PSUBSCRIBE p*', 'UNSUBSCRIBE a', 'UNSUBSCRIBE', 'PUNSUBSCRIBE', 'UNSUBSCRIBE', 'PUNSUBSCRIBE', 'PING')]],
  ['SSUBSCRIBE counts apart from channels', [crlf('SUBSCRIBE a', 'SSUBSCRIBE s1 s2', 'SUNSUBSCRIBE s1', 'SUNSUBSCRIBE', 'UNSUBSCRIBE a', 'SUNSUBSCRIBE')]],
  ['RESP3 pushes and ordinary commands while subscribed', [crlf('HELLO 3', 'SUBSCRIBE a', 'PING', 'GET k', 'UNSUBSCRIBE x', 'UNSUBSCRIBE', 'PING')]],
  ['subscribe arity, RESET leaves subscribed mode', [crlf('SUBSCRIBE', 'PSUBSCRIBE', 'SUBSCRIBE a', 'RESET', 'GET k')]],
  ['PUBLISH and PUBSUB with nobody subscribed', [crlf('PUBLISH ch hello', 'SPUBLISH ch hello', 'PUBLISH ch', 'PUBSUB CHANNELS', 'PUBSUB NUMSUB a b', 'PUBSUB NUMPAT', 'PUBSUB SHARDCHANNELS', 'PUBSUB SHARDNUMSUB x', 'PUBSUB FOO', 'PUBSUB', 'PUBSUB NUMPAT x')]],
  ['PUBLISH inside MULTI', [crlf('MULTI', 'PUBLISH ch a', 'SET k v', 'EXEC', 'DEL k')]],
  [
    'OBJECT and MEMORY USAGE',
    [
      crlf(
        'SET i 123', 'SET n -5', 'SET z 01', 'SET s hello', `SET big ${'x'.repeat(50)}`, 'SET huge 12345678901234567890', 'SET b45 ' + 'y'.repeat(45), 'SET b44 ' + 'y'.repeat(44),
        'OBJECT ENCODING i', 'OBJECT ENCODING n', 'OBJECT ENCODING z', 'OBJECT ENCODING s', 'OBJECT ENCODING big', 'OBJECT ENCODING huge', 'OBJECT ENCODING b44', 'OBJECT ENCODING b45', 'OBJECT ENCODING nosuch',
        'OBJECT REFCOUNT i', 'OBJECT REFCOUNT n', 'OBJECT REFCOUNT s', 'OBJECT IDLETIME s', 'OBJECT FREQ s', 'OBJECT', 'OBJECT ENCODING', 'OBJECT FOO k', 'OBJECT HELP', 'OBJECT HELP x',
        'MEMORY USAGE nosuch', 'MEMORY USAGE s SAMPLES', 'MEMORY USAGE s SAMPLES x', 'MEMORY USAGE s SAMPLES -1', 'MEMORY USAGE s FOO 1', 'MEMORY FOO', 'MEMORY', 'MEMORY USAGE',
        'DEL i n z s big huge b44 b45',
      ),
    ],
  ],
  [
    'server commands: TIME, LASTSAVE, CONFIG REWRITE/RESETSTAT, SLOWLOG, LATENCY, WAIT, CLIENT PAUSE, MONITOR',
    [
      crlf(
        'TIME x', 'LASTSAVE x', 'CONFIG REWRITE', 'CONFIG RESETSTAT', 'SLOWLOG RESET', 'SLOWLOG LEN', 'SLOWLOG GET', 'SLOWLOG GET x', 'SLOWLOG GET -2', 'SLOWLOG GET 1 2', 'SLOWLOG FOO', 'SLOWLOG HELP',
        'LATENCY LATEST', 'LATENCY HISTORY command', 'LATENCY RESET', 'LATENCY RESET a b', 'LATENCY FOO', 'LATENCY',
        'WAIT 0 0', 'WAIT x 0', 'WAIT 0 x', 'WAIT 0 -1', 'WAIT 1 50', 'WAIT 1',
        'CLIENT PAUSE x', 'CLIENT PAUSE -1', 'CLIENT PAUSE 10 FOO', 'CLIENT PAUSE 10 WRITE', 'CLIENT UNPAUSE', 'BGSAVE FOO', 'MONITOR',
      ),
    ],
  ],
  [
    'sorted sets: doubles, WITHSCORES, pops in RESP2 then RESP3',
    [
      crlf(
        ...['2', '3'].flatMap((v) => [
          `HELLO ${v}`, 'ZADD z 1 a 2.5 b 0.1 c inf d -inf e', 'ZSCORE z b', 'ZSCORE z d', 'ZMSCORE z a nope e', 'ZINCRBY z 1 a', 'ZADD z INCR 0.2 c', 'ZADD z XX INCR 1 nope',
          'ZRANGE z 0 -1 WITHSCORES', 'ZRANGE z 0 1', 'ZREVRANGEBYSCORE z +inf 1 WITHSCORES LIMIT 0 2', 'ZRANGEBYLEX z - +', 'ZUNION 2 z nokey WITHSCORES',
          'ZINTER 1 z WITHSCORES', 'ZDIFF 1 z WITHSCORES', 'ZRANDMEMBER z 10 WITHSCORES', 'ZRANDMEMBER z 0 WITHSCORES', 'ZSCAN z 0', 'ZPOPMIN z', 'ZPOPMAX z 2',
          'ZPOPMIN z 0', 'ZMPOP 1 z MIN COUNT 5', 'ZMPOP 1 z MIN', 'ZPOPMIN z', 'ZRANK z a', 'ZADD z nan x', 'ZRANGE z 0 -1 LIMIT 0 1',
          'MULTI', 'ZADD z 1 a 2 b', 'ZRANGE z 0 -1 WITHSCORES', 'ZPOPMAX z 1', 'ZSCORE z a', 'EXEC', 'DEL z',
        ]),
      ),
    ],
  ],
  ['notify-keyspace-events: classes, canonical form, bad letters', [crlf('CONFIG SET notify-keyspace-events KEA', 'CONFIG GET notify-keyspace-events', 'CONFIG SET notify-keyspace-events AKEn', 'CONFIG GET notify-keyspace-events', 'CONFIG SET notify-keyspace-events gx$E', 'CONFIG GET notify-keyspace-events', 'CONFIG SET notify-keyspace-events KEQ', 'CONFIG GET notify-keyspace-events', 'CONFIG SET notify-keyspace-events ""', 'CONFIG GET notify-keyspace-events')]],
];

/** Two connections: the subscriber's commands, then the publisher's; both byte streams compared. */
const pubsubScripts: [string, Buffer[], Buffer[]][] = [
  ['messages and pattern messages, RESP2', [crlf('SUBSCRIBE news', 'PSUBSCRIBE n* x?')], [crlf('PUBLISH news hi', 'PUBLISH nx "a b"', 'PUBLISH xy 1', 'PUBLISH zz 0', 'PUBSUB NUMSUB news nx', 'PUBSUB NUMPAT', 'PUBSUB CHANNELS', 'PUBSUB CHANNELS n*')]],
  ['messages as RESP3 pushes, shard messages', [crlf('HELLO 3', 'SUBSCRIBE news', 'SSUBSCRIBE sh', 'PSUBSCRIBE *')], [crlf('PUBLISH news hi', 'SPUBLISH sh there', 'SPUBLISH news no', 'PUBSUB SHARDCHANNELS', 'PUBSUB SHARDNUMSUB sh')]],
  [
    'keyspace notifications, every class of the string and key commands',
    [crlf('CONFIG SET notify-keyspace-events KEA', 'PSUBSCRIBE __key*__:*')],
    [crlf('SET k v', 'SET k v EX 100', 'APPEND k x', 'INCR n', 'INCRBYFLOAT n 1.5', 'SETRANGE k 5 z', 'EXPIRE k 50', 'PERSIST k', 'RENAME k k2', 'COPY k2 k3', 'GETDEL k3', 'SETBIT b 3 1', 'DEL n nosuch', 'SELECT 2', 'SET d2 x', 'MOVE d2 0', 'SELECT 0', 'FLUSHDB')],
  ],
  ['keyevent only, generic class only, expired', [crlf('CONFIG SET notify-keyspace-events Egx', 'SUBSCRIBE __keyevent@0__:del __keyevent@0__:set __keyevent@0__:expired')], [crlf('SET e v PX 60', 'DEL nothere', 'SET f v', 'DEL f')]],
];

const mask = (s: Buffer): string =>
  s
    .toString('latin1')
    .replace(/(\$2\r\nid\r\n):\d+/g, '$1:ID')
    .replace(/^:\d+\r\n$/, ':ID\r\n');

if (!haveRedis) {
  test.skip('differential tests against redis-server (not installed: apt-get install -y redis-server)', () => undefined);
  console.log('note: redis-server not installed; differential tests skipped (apt-get install -y redis-server redis-tools)');
} else {
  let real: RealRedis;
  let ours: RedisListener;
  test.before(async () => {
    real = await startRealRedis();
    ours = await startRedisServer(emptyBackend, { table: testTable });
  });
  test.after(async () => {
    await ours?.close();
    await real?.stop();
  });

  const compare = async (name: string, chunks: Buffer[]) => {
    const [a, o] = await Promise.all([rawSession(real.port, chunks), rawSession(ours.port, chunks)]);
    assert.is(mask(o.bytes), mask(a.bytes), `${name}: replies`);
    assert.is(o.closed, a.closed, `${name}: connection closed`);
  };

  test('byte-identical replies, connection commands and protocol errors', async () => {
    for (const [name, chunks] of scripts) await compare(name, chunks);
  });

  test('byte-identical replies with requirepass set', async () => {
    const set = crlf('CONFIG SET requirepass secret');
    const [r1, r2] = await Promise.all([rawSession(real.port, [set]), rawSession(ours.port, [set])]);
    assert.is(r2.bytes.toString(), r1.bytes.toString());
    try {
      for (const [name, chunks] of authScripts) await compare(name, chunks);
    } finally {
      const unset = crlf('AUTH secret', 'CONFIG SET requirepass ""');
      await Promise.all([rawSession(real.port, [unset]), rawSession(ours.port, [unset])]);
    }
  });

  test('byte-identical replies through a one-node cluster: pub/sub, keyspace notifications', async () => {
    const cluster: Cluster = await createCluster({ nodes: 1 });
    try {
      await cluster.waitForLeader(20_000);
      await cluster.waitForAllServing(10_000);
      const port = cluster.redisPorts.get('n1')!;
      for (const [name, chunks] of clusterScripts) {
        const [a, o] = await Promise.all([rawSession(real.port, chunks), rawSession(port, chunks)]);
        assert.is(mask(o.bytes), mask(a.bytes), `${name}: replies`);
      }
      for (const [name, sub, pub] of pubsubScripts) {
        const [a, o] = await Promise.all([pubsubSession(real.port, sub, pub), pubsubSession(port, sub, pub)]);
        assert.is(mask(o.sub), mask(a.sub), `${name}: the subscriber's bytes`);
        assert.is(o.pub.toString('latin1'), a.pub.toString('latin1'), `${name}: the publisher's bytes`);
        const off = [crlf('CONFIG SET notify-keyspace-events ""', 'FLUSHALL')];
        await Promise.all([rawSession(real.port, off), rawSession(port, off)]);
      }
    } finally {
      await cluster.close();
    }
  });
}

test.run();
