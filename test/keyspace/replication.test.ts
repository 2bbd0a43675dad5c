/**
 * The keyspace as a replicated state machine: normalisation of relative TTLs, EXEC and WATCH, notifications,
 * expiry as a logged decision (reads never delete), revisions, SCAN's guarantee, RANDOMKEY's draw, DUMP/RESTORE,
 * snapshots, SWAPDB/MOVE/COPY across dbs, glob edge cases.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KeyspaceTxn } from '../../src/protocol/keyspace.js';
import type { Argv, Reply } from '../../src/protocol/resp.js';
import { Keyspace, globMatch, keyspaceCommands, keyspaceSnapshotChunks, normalize, restoreKeyspace } from '../../src/core/keyspace/index.js';
import { argv, enc, runOn, show } from './harness.js';

const T0 = 1_700_000_000_000;
const txt = (a: Argv): string => a.map((b) => Buffer.from(b).toString('latin1')).join(' ');
const cmds = (db: number, timeMs: number, list: Argv[], exec = false, watched: KeyspaceTxn extends infer X ? X extends { watched: infer W } ? W : never : never = []): KeyspaceTxn => ({
  type: 'RedisCommands',
  db,
  timeMs,
  commands: list,
  exec,
  watched,
});
const run = (ks: Keyspace, s: string, now = T0, db = 0): string => show(runOn(ks, db, argv(...s.split(' ')), now));

test('normalize: relative deadlines become absolute; syntax errors log nothing', () => {
  assert.is(txt(normalize(argv('SET', 'k', 'v', 'EX', '10'), T0) as Argv), `SET k v PXAT ${T0 + 10_000}`);
  assert.is(txt(normalize(argv('set', 'k', 'v', 'nx', 'get', 'px', '5'), T0) as Argv), `set k v NX GET PXAT ${T0 + 5}`);
  assert.is(txt(normalize(argv('SETEX', 'k', '3', 'v'), T0) as Argv), `SET k v PXAT ${T0 + 3000}`);
  assert.is(txt(normalize(argv('PSETEX', 'k', '3', 'v'), T0) as Argv), `SET k v PXAT ${T0 + 3}`);
  assert.is(txt(normalize(argv('EXPIRE', 'k', '7', 'GT'), T0) as Argv), `PEXPIREAT k ${T0 + 7000} GT`);
  assert.is(txt(normalize(argv('GETEX', 'k', 'EX', '1'), T0) as Argv), `GETEX k PXAT ${T0 + 1000}`);
  assert.is(txt(normalize(argv('RESTORE', 'k', '50', 'x'), T0) as Argv), `RESTORE k ${T0 + 50} x ABSTTL`);
  assert.is(txt(normalize(argv('SET', 'k', 'v', 'KEEPTTL'), T0) as Argv), 'SET k v KEEPTTL');
  assert.is(show(normalize(argv('SET', 'k', 'v', 'EX', '0'), T0) as Reply), "-ERR invalid expire time in 'set' command");
  assert.is(show(normalize(argv('EXPIRE', 'k', '1', 'NX', 'XX'), T0) as Reply), '-ERR NX and XX, GT or LT options at the same time are not compatible');
  assert.is(show(normalize(argv('GET'), T0) as Reply), "-ERR wrong number of arguments for 'get' command");
  // Applying the normalised form later gives the deadline the leader fixed, whatever the apply time.
  const ks = new Keyspace();
  ks.apply(cmds(0, T0 + 5000, [normalize(argv('SET', 'k', 'v', 'EX', '10'), T0) as Argv]));
  assert.is(run(ks, 'PEXPIRETIME k', T0 + 5000), `:${T0 + 10_000}`);
});

test('apply: EXEC array with per-command errors; WATCH aborts on a changed revision', () => {
  const ks = new Keyspace();
  ks.apply(cmds(0, T0, [argv('SET', 's', 'x')]));
  const r = ks.apply(cmds(0, T0, [argv('INCR', 'n'), argv('INCR', 's'), argv('SET', 'a', '1'), argv('GET', 'a')], true));
  assert.is(show(r.reply), '[:1, -ERR value is not an integer or out of range, +OK, "1"]');
  const rev = ks.revision(0, enc('a'), T0);
  assert.is(ks.revision(0, enc('a'), T0), rev);
  const ok = ks.apply(cmds(0, T0, [argv('SET', 'a', '2')], true, [{ db: 0, key: enc('a'), revision: rev }]));
  assert.is(show(ok.reply), '[+OK]');
  const aborted = ks.apply(cmds(0, T0, [argv('SET', 'a', '3')], true, [{ db: 0, key: enc('a'), revision: rev }]));
  assert.is(aborted.reply.kind, 'NullArray');
  assert.is(run(ks, 'GET a'), '"2"');
  // A missing key: its revision changes when it is created, and again when deleted.
  const r0 = ks.revision(0, enc('m'), T0);
  ks.apply(cmds(0, T0, [argv('SET', 'm', '1')]));
  const r1 = ks.revision(0, enc('m'), T0);
  ks.apply(cmds(0, T0, [argv('DEL', 'm')]));
  const r2 = ks.revision(0, enc('m'), T0);
  assert.ok(r0 !== r1 && r1 !== r2 && r0 !== r2);
  // FLUSHDB and SWAPDB touch every key of the db; a live key passing its deadline changes too.
  const rb = ks.revision(0, enc('a'), T0);
  ks.apply(cmds(1, T0, [argv('FLUSHDB')]));
  assert.is(ks.revision(0, enc('a'), T0), rb);
  ks.apply(cmds(0, T0, [argv('SWAPDB', '0', '1')]));
  assert.is.not(ks.revision(0, enc('a'), T0), rb);
  ks.apply(cmds(0, T0, [argv('SET', 'e', 'v', 'PXAT', String(T0 + 10))]));
  const live = ks.revision(0, enc('e'), T0);
  assert.is.not(ks.revision(0, enc('e'), T0 + 11), live);
  // SELECT inside EXEC switches the db for the rest of the block and for the connection.
  const sel = ks.apply(cmds(0, T0, [argv('SELECT', '3'), argv('SET', 'x', 'y')], true));
  assert.is(sel.db, 3);
  assert.is(run(ks, 'GET x', T0, 3), '"y"');
});

test('notifications: classes and order as Redis emits them', () => {
  const ks = new Keyspace();
  const ev = (a: Argv, now = T0): string[] =>
    ks.apply(cmds(0, now, [a])).events.map((e) => (!('event' in e) ? 'published' : `${e.cls}:${e.event}:${Buffer.from(e.key).toString('latin1')}@${e.db}`));
  assert.equal(ev(argv('SET', 'k', 'v', 'PXAT', String(T0 + 100))), ['n:new:k@0', '$:set:k@0', 'g:expire:k@0']);
  assert.equal(ev(argv('INCRBY', 'c', '2')), ['n:new:c@0', '$:incrby:c@0']);
  assert.equal(ev(argv('RENAME', 'c', 'd')), ['n:new:d@0', 'g:rename_from:c@0', 'g:rename_to:d@0']);
  assert.equal(ev(argv('MOVE', 'd', '2')), ['n:new:d@2', 'g:move_from:d@0', 'g:move_to:d@2']);
  assert.equal(ev(argv('PEXPIREAT', 'k', '1')), ['g:del:k@0']);
  // A write that meets a key past its deadline deletes it first: `expired`.
  ev(argv('SET', 'k', 'v', 'PXAT', String(T0 + 100)));
  assert.equal(ev(argv('APPEND', 'k', 'x'), T0 + 200), ['x:expired:k@0', 'n:new:k@0', '$:append:k@0']);
  assert.equal(ev(argv('GET', 'nokey')), []);
});

test('expiry is a replicated decision: reads hide, never delete; the expiry txn deletes what is still due', () => {
  const ks = new Keyspace();
  for (let i = 0; i < 50; i++) ks.apply(cmds(i % 3, T0, [argv('SET', `k${i}`, 'v', 'PXAT', String(T0 + 100 + i))]));
  ks.apply(cmds(0, T0, [argv('SET', 'forever', 'v')]));
  assert.is(run(ks, 'GET k0', T0 + 101), 'Null');
  assert.is(run(ks, 'EXISTS k0', T0 + 101), ':0');
  assert.is(run(ks, 'GET k0', T0 + 100), '"v"'); // deadline == now is still alive (Redis: now > when expires)
  assert.is(ks.dbs[0]!.map.size, 18); // the read deleted nothing
  const due = ks.expiredKeys(T0 + 125, 10);
  assert.is(due.length, 10);
  assert.equal(due.map((d) => Buffer.from(d.key).toString()), ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9']);
  assert.equal(ks.expiredKeys(T0 + 125, 10).length, 10); // a query: nothing changed
  // k3 was refreshed before the expiry txn applied: it stays.
  ks.apply(cmds(0, T0 + 100, [argv('PEXPIREAT', 'k3', String(T0 + 9999))]));
  const applied = ks.apply({ type: 'RedisExpire', timeMs: T0 + 125, keys: due });
  assert.is(applied.events.length, 9);
  assert.ok(applied.events.every((e) => 'event' in e && e.event === 'expired' && e.cls === 'x'));
  assert.is(run(ks, 'PEXPIRETIME k3', T0 + 125), `:${T0 + 9999}`);
  const rest = ks.expiredKeys(T0 + 1000, 1000);
  assert.is(rest.length, 40);
  ks.apply({ type: 'RedisExpire', timeMs: T0 + 1000, keys: rest });
  assert.is(ks.expiredKeys(T0 + 1_000_000, 1000).length, 1);
  assert.is(ks.volatileTotal, 1);
});

test('SCAN returns every key present for the whole scan, across table growth and shrinking', () => {
  const ks = new Keyspace();
  for (let i = 0; i < 300; i++) runOn(ks, 0, argv('SET', `stay${i}`, 'v'), T0);
  const seen = new Set<string>();
  let cursor = '0';
  let calls = 0;
  do {
    const r = runOn(ks, 0, argv('SCAN', cursor, 'COUNT', '7'), T0);
    assert.is(r.kind, 'Array');
    const [c, list] = (r as unknown as { items: Reply[] }).items as [Reply, Reply];
    cursor = Buffer.from((c as { bytes: Uint8Array }).bytes).toString();
    for (const k of (list as unknown as { items: Reply[] }).items) seen.add(Buffer.from((k as { bytes: Uint8Array }).bytes).toString());
    // Concurrent writes: grow the table, then shrink it.
    if (calls === 3) for (let i = 0; i < 2000; i++) runOn(ks, 0, argv('SET', `tmp${i}`, 'v'), T0);
    if (calls === 20) for (let i = 0; i < 2000; i++) runOn(ks, 0, argv('DEL', `tmp${i}`), T0);
    calls++;
  } while (cursor !== '0' && calls < 10_000);
  for (let i = 0; i < 300; i++) assert.ok(seen.has(`stay${i}`), `stay${i} missed`);
  assert.is(run(ks, 'SCAN 0 MATCH stay1?? COUNT 1000 TYPE string').split(', ').length, 101);
  assert.is(run(ks, 'SCAN x'), '-ERR invalid cursor');
  assert.is(run(ks, 'SCAN 0 COUNT 0'), '-ERR syntax error');
});

test('RANDOMKEY is deterministic given the draw and skips keys past their deadline', () => {
  const ks = new Keyspace();
  assert.is(show(ks.read(0, argv('RANDOMKEY'), T0, 0.3)), 'Null');
  for (let i = 0; i < 20; i++) runOn(ks, 0, argv('SET', `k${i}`, 'v'), T0);
  const a = show(ks.read(0, argv('RANDOMKEY'), T0, 0.42));
  assert.is(show(ks.read(0, argv('RANDOMKEY'), T0, 0.42)), a);
  const picks = new Set([0.01, 0.2, 0.4, 0.6, 0.8, 0.99].map((d) => show(ks.read(0, argv('RANDOMKEY'), T0, d))));
  assert.ok(picks.size > 2);
  const one = new Keyspace();
  runOn(one, 0, argv('SET', 'gone', 'v', 'PXAT', String(T0 + 1)), T0);
  runOn(one, 0, argv('SET', 'here', 'v'), T0);
  for (const d of [0, 0.5, 0.99]) assert.is(show(one.read(0, argv('RANDOMKEY'), T0 + 10, d)), '"here"');
});

test('DUMP/RESTORE round trip, checksum, TTL, REPLACE', () => {
  const ks = new Keyspace();
  runOn(ks, 0, argv('SET', 'k', '\x00\xffbinary'), T0);
  const d = runOn(ks, 0, argv('DUMP', 'k'), T0) as { kind: 'Bulk'; bytes: Uint8Array };
  assert.is(d.kind, 'Bulk');
  assert.is(show(runOn(ks, 0, argv('RESTORE', 'k2', '5000', d.bytes), T0)), '+OK');
  assert.is(run(ks, 'GET k2'), show(runOn(ks, 0, argv('GET', 'k'), T0)));
  assert.is(run(ks, 'PEXPIRETIME k2'), `:${T0 + 5000}`);
  assert.is(show(runOn(ks, 0, argv('RESTORE', 'k2', '0', d.bytes), T0)), '-BUSYKEY Target key name already exists.');
  assert.is(show(runOn(ks, 0, argv('RESTORE', 'k2', '0', d.bytes, 'REPLACE'), T0)), '+OK');
  assert.is(run(ks, 'TTL k2'), ':-1');
  const bad = d.bytes.slice();
  bad[1] ^= 1;
  assert.is(show(runOn(ks, 0, argv('RESTORE', 'k3', '0', bad), T0)), '-ERR DUMP payload version or checksum are wrong');
});

test('glob: Redis stringmatchlen edge cases', () => {
  const m = (p: string, s: string): boolean => globMatch(enc(p), enc(s));
  assert.ok(m('h?llo', 'hello') && m('h*llo', 'hllo') && m('h[ae]llo', 'hallo') && !m('h[^e]llo', 'hello'));
  assert.ok(m('h[b-a]llo', 'hallo') && m('a\\*b', 'a*b') && !m('a\\*b', 'axb') && m('ab\\', 'ab\\'));
  assert.ok(m('[abc', 'b') && !m('[]', 'a') && m('[^]', 'a') && !m('*', '') && m('**a', 'a'));
  assert.ok(!m('*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(200)));
});

test('command table: kinds, arities and key positions for the front end', () => {
  assert.is(keyspaceCommands.get('get')!.kind, 'read');
  assert.is(keyspaceCommands.get('set')!.arity, -3);
  assert.is(keyspaceCommands.get('mset')!.keyStep, 2);
  assert.is(keyspaceCommands.get('bitop')!.firstKey, 2);
  assert.is(keyspaceCommands.get('select')!.kind, 'connection');
  for (const s of keyspaceCommands.values()) assert.ok(s.kind !== 'read' || s.normalize === undefined, s.name);
  const ks = new Keyspace();
  assert.is(show(ks.read(0, argv('SET', 'k', 'v'), T0)), "-ERR 'set' is not a read command");
});

test('snapshot round trip keeps the digest, revisions and deadlines; a flipped byte is refused', () => {
  const ks = new Keyspace();
  for (let i = 0; i < 3000; i++) runOn(ks, i % 16, argv('SET', `key:${i}`, `v${i}`, ...(i % 3 === 0 ? ['PXAT', String(T0 + i)] : [])), T0);
  runOn(ks, 0, argv('DEL', 'key:0'), T0);
  runOn(ks, 0, argv('PEXPIREAT', 'big', '9223372036854775807'), T0);
  runOn(ks, 5, argv('SET', 'huge', 'v', 'PXAT', '9223372036854775807'), T0);
  runOn(ks, 2, argv('HSET', 'hash', 'f', 'v', '\xff', ''), T0);
  runOn(ks, 3, argv('RPUSH', 'list', 'a', '', 'c'), T0);
  runOn(ks, 4, argv('SADD', 'set', 'a', '', '1'), T0);
  const chunks = [...keyspaceSnapshotChunks(ks)];
  assert.ok(chunks.length >= 3);
  const all = Buffer.concat(chunks);
  const back = restoreKeyspace(all);
  assert.is(back.digest(), ks.digest());
  assert.is(back.revision(0, enc('key:0'), T0), ks.revision(0, enc('key:0'), T0));
  assert.is(back.revision(3, enc('key:3'), T0), ks.revision(3, enc('key:3'), T0));
  assert.is(show(back.read(5, argv('PEXPIRETIME', 'huge'), T0)), ':9223372036854775807');
  assert.is(show(back.read(2, argv('HGETALL', 'hash'), T0)), show(ks.read(2, argv('HGETALL', 'hash'), T0)));
  assert.is(show(back.read(3, argv('LRANGE', 'list', '0', '-1'), T0)), '["a", "", "c"]');
  assert.is(show(back.read(4, argv('SMISMEMBER', 'set', 'a', '', '1', 'z'), T0)), '[:1, :1, :1, :0]');
  assert.equal(back.expiredKeys(T0 + 100, 1000).length, ks.expiredKeys(T0 + 100, 1000).length);
  const bad = Buffer.from(all);
  bad[all.length - 40] ^= 0x01;
  assert.throws(() => restoreKeyspace(bad));
});

test('collections: DUMP → RESTORE round trip, COPY is independent, a field change changes the digest', () => {
  const ks = new Keyspace();
  runOn(ks, 0, argv('HSET', 'h', 'a', '1', 'b', '\x00\xff'), T0);
  const payload = ks.read(0, argv('DUMP', 'h'), T0);
  assert.is(payload.kind, 'Bulk');
  const bytes = (payload as { bytes: Uint8Array }).bytes;
  assert.is(show(runOn(ks, 0, [enc('RESTORE'), enc('h2'), enc('0'), bytes], T0)), '+OK');
  assert.is(show(ks.read(0, argv('HGETALL', 'h2'), T0)), show(ks.read(0, argv('HGETALL', 'h'), T0)));
  const cut = bytes.slice(0, bytes.length - 8);
  assert.is(show(runOn(ks, 0, [enc('RESTORE'), enc('h3'), enc('0'), cut], T0)), '-ERR DUMP payload version or checksum are wrong');
  runOn(ks, 0, argv('COPY', 'h', 'c'), T0);
  runOn(ks, 0, argv('HSET', 'c', 'z', '1'), T0);
  assert.is(show(ks.read(0, argv('HLEN', 'h'), T0)), ':2');
  assert.is(show(ks.read(0, argv('HLEN', 'c'), T0)), ':3');
  const before = ks.digest();
  runOn(ks, 0, argv('HSET', 'h', 'a', '2'), T0);
  assert.is.not(ks.digest(), before);
  runOn(ks, 0, argv('HSET', 'h', 'a', '1'), T0);
  runOn(ks, 0, argv('HDEL', 'h', 'a', 'b'), T0);
  assert.is(show(ks.read(0, argv('TYPE', 'h'), T0)), '+none');
  runOn(ks, 0, argv('RPUSH', 'l', 'x', 'y'), T0);
  const lp = (ks.read(0, argv('DUMP', 'l'), T0) as { bytes: Uint8Array }).bytes;
  assert.is(show(runOn(ks, 0, [enc('RESTORE'), enc('l2'), enc('0'), lp], T0)), '+OK');
  assert.is(show(ks.read(0, argv('LRANGE', 'l2', '0', '-1'), T0)), '["x", "y"]');
  runOn(ks, 0, argv('COPY', 'l', 'l3'), T0);
  runOn(ks, 0, argv('LPOP', 'l3'), T0);
  assert.is(show(ks.read(0, argv('LLEN', 'l'), T0)), ':2');
  runOn(ks, 0, argv('SADD', 's', 'x', 'y'), T0);
  const sp = (ks.read(0, argv('DUMP', 's'), T0) as { bytes: Uint8Array }).bytes;
  assert.is(show(runOn(ks, 0, [enc('RESTORE'), enc('s2'), enc('0'), sp], T0)), '+OK');
  assert.is(show(ks.read(0, argv('SCARD', 's2'), T0)), ':2');
  runOn(ks, 0, argv('COPY', 's', 's3'), T0);
  runOn(ks, 0, argv('SREM', 's3', 'x'), T0);
  assert.is(show(ks.read(0, argv('SCARD', 's'), T0)), ':2');
});

test.run();
