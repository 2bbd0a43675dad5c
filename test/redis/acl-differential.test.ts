/**
 * ACL, differential: the same raw byte scripts to a real redis-server 7.0.15 and to conclave, replies compared byte
 * for byte: ACL SETUSER's modifiers and errors, GETUSER (RESP2 and RESP3), LIST, USERS, DELUSER, CAT, GENPASS,
 * DRYRUN, AUTH and HELLO AUTH, WHOAMI, NOPERM for commands, keys (read/write) and channels, MULTI with a refused
 * command. The front end alone (its ACL state in memory) and a one-node cluster (the ACL state replicated).
 *
 * Masked, because they must differ: the client id in HELLO's map; the order of the single-command rules at the
 * end of a description (Redis prints them in its command dictionary's order, which changes with every start), so
 * a run of them is sorted on both sides; ACL CAT <category>'s list is compared as a set for the same reason; ACL
 * LOG's age-seconds and client-info.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startRedisServer, type RedisListener } from '../../src/servers/redis/index.js';
import { emptyBackend, haveRedis, rawSession, startRealRedis, testTable, type RealRedis } from './helpers.js';
import { createCluster, type Cluster } from '../../src/cluster.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const crlf = (...lines: string[]): Buffer => b(lines.map((l) => `${l}\r\n`).join(''));
const hashOf = 'e258d248fda94c63753607f7c4494ee0fcbe92f1a76bfdac795c9d84101eb317'; // SHA-256 of "b"

/** The front end with its ACL state in memory: name → chunks. */
const scripts: [string, Buffer[]][] = [
  ['a new user, the default user', [crlf('ACL SETUSER alice', 'ACL LIST', 'ACL GETUSER alice', 'ACL GETUSER default', 'ACL GETUSER nosuch', 'ACL USERS', 'ACL WHOAMI')]],
  [
    'keys, channels, passwords, categories and single commands',
    [
      crlf(
        'ACL SETUSER bob on >p1 >p2 ~a* %R~r* %W~w* %RW~x &ch* +get +@string -set +config|get +select|0 -@hash',
        'ACL LIST',
        'ACL GETUSER bob',
        `ACL SETUSER bob <p1 #${hashOf} %R~k %W~k`,
        'ACL GETUSER bob',
        `ACL SETUSER bob !${hashOf} >p3 >p3 &ch*`,
        'ACL GETUSER bob',
        'ACL SETUSER bob -config|get +config',
        'ACL LIST',
      ),
    ],
  ],
  [
    'modifier errors leave the user unchanged',
    [
      crlf(
        'ACL SETUSER carl on +get',
        'ACL SETUSER carl <nope',
        'ACL SETUSER carl !0000',
        'ACL SETUSER carl #abc',
        `ACL SETUSER carl #${hashOf.toUpperCase()}`,
        'ACL SETUSER carl +nosuch',
        'ACL SETUSER carl +@nosuch',
        'ACL SETUSER carl -select|0',
        'ACL SETUSER carl +config|nosuch',
        'ACL SETUSER carl +config|',
        'ACL SETUSER carl +config|get|x',
        'ACL SETUSER carl foo',
        'ACL SETUSER carl %X~a',
        'ACL SETUSER carl %~a',
        'ACL SETUSER carl ~* ~a',
        'ACL SETUSER carl allkeys %R~a',
        'ACL SETUSER carl &* &a',
        'ACL SETUSER carl off ""',
        'ACL SETUSER "a b"',
        'ACL GETUSER carl',
      ),
    ],
  ],
  [
    'flags and reset',
    [
      crlf(
        'ACL SETUSER dan on nopass sanitize-payload',
        'ACL GETUSER dan',
        'ACL SETUSER dan skip-sanitize-payload >x',
        'ACL LIST',
        'ACL SETUSER dan resetpass allkeys allchannels allcommands',
        'ACL LIST',
        'ACL SETUSER dan reset',
        'ACL LIST',
        'ACL SETUSER dan resetkeys ~k resetchannels &c nocommands +@read',
        'ACL GETUSER dan',
      ),
    ],
  ],
  [
    'command rules: the categories Redis picks to describe them',
    [
      crlf(
        'ACL SETUSER e1 +@all -get',
        'ACL SETUSER e2 -@all +@read -@string',
        'ACL SETUSER e3 +@all -@dangerous',
        'ACL SETUSER e4 +@write +@read -@keyspace',
        'ACL SETUSER e5 +@all -@all +client|id +ping',
        'ACL SETUSER e6 +@all -client|kill',
        'ACL SETUSER e7 +@hash +@set -hset +@list -@slow',
        'ACL SETUSER e8 +@slow +@fast -@dangerous +flushdb',
        'ACL LIST',
      ),
    ],
  ],
  ['DELUSER, CAT, GENPASS, HELP and subcommand errors', [crlf('ACL DELUSER default', 'ACL DELUSER nosuch e1 e2', 'ACL USERS', 'ACL CAT', 'ACL CAT nosuch', 'ACL CAT a b', 'ACL GENPASS 0', 'ACL GENPASS 5000', 'ACL GENPASS x', 'ACL HELP', 'ACL FOO', 'ACL', 'ACL GETUSER', 'ACL LOAD', 'ACL SAVE')]],
  ['RESP3: GETUSER, LIST', [crlf('HELLO 3', 'ACL SETUSER f on >pw ~k &c +get', 'ACL GETUSER f', 'ACL GETUSER nosuch', 'ACL LIST', 'ACL USERS')]],
  [
    'AUTH and HELLO AUTH as a user, NOPERM for a command and a key, WHOAMI',
    [
      crlf(
        'ACL SETUSER g on >pw ~k* +get +acl|whoami +ping',
        'AUTH g bad',
        'AUTH nosuch pw',
        'AUTH g pw',
        'ACL WHOAMI',
        'GET k1',
        'GET x',
        'ECHO hi',
        'PING',
        'ACL LIST',
        'HELLO 3 AUTH g bad',
        'HELLO 3 AUTH default x',
        'ACL WHOAMI',
        'GET x',
      ),
    ],
  ],
  ['a disabled user, a user without a password', [crlf('ACL SETUSER h off >pw +@all ~*', 'AUTH h pw', 'ACL SETUSER h on', 'AUTH h pw', 'ACL SETUSER i on nopass +acl|whoami', 'AUTH i anything', 'ACL WHOAMI', 'GET k')]],
  [
    'DRYRUN',
    [crlf('ACL SETUSER j on ~k* &ch +get +subscribe +config|get +select|0', 'ACL DRYRUN j get k1', 'ACL DRYRUN j get x', 'ACL DRYRUN j ping', 'ACL DRYRUN j config get x', 'ACL DRYRUN j config set a b', 'ACL DRYRUN j select 0', 'ACL DRYRUN j select 1', 'ACL DRYRUN nosuch get k', 'ACL DRYRUN j nocmd', 'ACL DRYRUN j get', 'ACL DRYRUN j subscribe ch', 'ACL DRYRUN j subscribe x')],
  ],
  ['first argument rules at dispatch', [crlf('ACL SETUSER k on nopass -@all +select|1 +config|get', 'AUTH k x', 'SELECT 1', 'SELECT 2', 'CONFIG GET maxclients', 'CONFIG SET maxclients 100', 'SELECT')]],
  [
    'ACL LOG: denied commands, keys and logins, grouped; LOG count, RESET',
    [
      crlf(
        'ACL LOG RESET',
        'ACL SETUSER lg on nopass +ping +get ~k',
        'AUTH lg x',
        'GET k',
        'GET z',
        'ECHO a',
        'GET z',
        'AUTH nouser y',
        'AUTH default x',
        'ACL LOG',
        'ACL LOG 2',
        'ACL LOG x',
        'ACL LOG -1',
        'ACL LOG RESET',
        'ACL LOG',
      ),
    ],
  ],
  ['the deleting connection is closed after its reply', [crlf('ACL SETUSER self on nopass +@all ~*', 'AUTH self x', 'ACL DELUSER self', 'PING')]],
];

/** Through a one-node cluster (real keyspace commands, pub/sub, MULTI): name → chunks. */
const clusterScripts: [string, Buffer[]][] = [
  [
    'read and write key permissions, channels, MULTI',
    [
      crlf(
        'ACL SETUSER kp on >pw %R~r* %W~w* ~rw* &ch +@all -flushall',
        'AUTH kp pw',
        'SET w1 v',
        'GET w1',
        'SET r1 v',
        'GET r1',
        'SET rw1 v',
        'GET rw1',
        'SET w2 v GET',
        'APPEND w2 x',
        'INCR w3',
        'MSET w1 a r1 b',
        'MSET w1 a w2 b',
        'DEL w1 r1',
        'DEL w1',
        'LPUSH w4 a',
        'LMOVE w4 rw2 LEFT RIGHT',
        'LMOVE rw2 w4 LEFT RIGHT',
        'COPY r1 w5',
        'EXISTS r1 w1',
        'STRLEN w1',
        'PUBLISH ch m',
        'PUBLISH no m',
        'FLUSHALL',
        'MULTI',
        'SET rw3 x',
        'GET w1',
        'EXEC',
        'MULTI',
        'SET rw3 x',
        'GET rw3',
        'EXEC',
      ),
    ],
  ],
  ['subscribe to a channel not allowed', [crlf('ACL SETUSER ks on nopass &ch* +@all', 'AUTH ks x', 'SUBSCRIBE no', 'PSUBSCRIBE ch*', 'PSUBSCRIBE ch', 'SSUBSCRIBE no', 'SUBSCRIBE ch1')]],
];

/** Sorts each run of two or more single-command rules (` +get +set`): Redis prints them in hash order. */
const sortSingles = (s: string): string => s.replace(/(?: [+-][a-z_][a-z_|0-9-]*){2,}/g, (run) => ' ' + run.trim().split(' ').sort().join(' '));

const mask = (s: Buffer): string =>
  sortSingles(s.toString('latin1'))
    .replace(/(\$2\r\nid\r\n):\d+/g, '$1:ID')
    .replace(/(\$11\r\nage-seconds\r\n)\$\d+\r\n[^\r]*/g, '$1AGE')
    .replace(/(\$11\r\nclient-info\r\n)\$\d+\r\n[^\r]*/g, '$1INFO');


/** The bulk strings of one array reply, sorted (ACL CAT <category>). */
const sortedBulks = (s: Buffer): string[] =>
  s
    .toString('latin1')
    .split('\r\n')
    .filter((l, i, all) => i > 0 && !l.startsWith('$') && !l.startsWith('*') && l !== '' && all[i - 1]!.startsWith('$'))
    .sort();

if (!haveRedis) {
  test.skip('ACL differential tests against redis-server (not installed: apt-get install -y redis-server)', () => undefined);
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

  test('ACL through the front end: byte-identical replies', async () => {
    for (const [name, chunks] of scripts) {
      const [a, o] = await Promise.all([rawSession(real.port, chunks, 400), rawSession(ours.port, chunks, 400)]);
      assert.is(mask(o.bytes), mask(a.bytes), `${name}: replies`);
      assert.is(o.closed, a.closed, `${name}: connection closed`);
    }
  });

  test('ACL GENPASS lengths, ACL CAT <category> as sets', async () => {
    for (const bits of ['', '1', '5', '255', '4096']) {
      const [a, o] = await Promise.all([rawSession(real.port, [crlf(`ACL GENPASS ${bits}`)]), rawSession(ours.port, [crlf(`ACL GENPASS ${bits}`)])]);
      assert.is(o.bytes.length, a.bytes.length, `GENPASS ${bits}: reply length`);
      assert.match(o.bytes.toString('latin1'), /^\$\d+\r\n[0-9a-f]+\r\n$/);
    }
    for (const cat of ['string', 'keyspace', 'admin', 'pubsub', 'connection']) {
      const [a, o] = await Promise.all([rawSession(real.port, [crlf(`ACL CAT ${cat}`)]), rawSession(ours.port, [crlf(`ACL CAT ${cat}`)])]);
      assert.equal(sortedBulks(o.bytes), sortedBulks(a.bytes), `ACL CAT ${cat}`);
      assert.ok(sortedBulks(a.bytes).length > 5, `ACL CAT ${cat} lists commands`);
    }
  });

  test('ACL through a one-node cluster: key and channel permissions, MULTI', async () => {
    const cluster: Cluster = await createCluster({ nodes: 1 });
    try {
      await cluster.waitForLeader(20_000);
      await cluster.waitForAllServing(10_000);
      const port = cluster.redisPorts.get('n1')!;
      for (const [name, chunks] of clusterScripts) {
        const [a, o] = await Promise.all([rawSession(real.port, chunks, 400), rawSession(port, chunks, 400)]);
        assert.is(mask(o.bytes), mask(a.bytes), `${name}: replies`);
      }
    } finally {
      await cluster.close();
    }
  });
}

test.run();
