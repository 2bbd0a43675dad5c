/**
 * The replicated ACL state (src/core/keyspace/acl.ts) on its own: modifiers and their errors, the descriptions
 * Redis 7.0 prints, the permission check (command, first argument, keys by read/write, channels), the internal
 * commands applied through a keyspace, snapshots (version 2 holds the users; version 1 restores the initial ones).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { AclUsers, aclCatalog, aclCheck, aclKeys, aclOf, describeUser, Keyspace, keyspaceSnapshotChunks, restoreKeyspace } from '../../src/core/keyspace/index.js';
import { DecodeError, Writer } from '../../src/core/tree/codec.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const a = (...args: string[]): Uint8Array[] => args.map((x) => Buffer.from(x, 'latin1'));

const fresh = (name: string, ...ops: string[]) => {
  const users = new AclUsers();
  assert.is(users.setUser(name, ops, sha), undefined, ops.join(' '));
  return { users, u: users.get(name)! };
};

test('the default user and a new user, as ACL LIST prints them', () => {
  const users = new AclUsers();
  assert.is(describeUser(users.get('default')!), 'user default on nopass ~* &* +@all');
  users.setUser('alice', []);
  assert.is(describeUser(users.get('alice')!), 'user alice off resetchannels -@all');
  users.setUser('alice', ['reset']);
  assert.is(describeUser(users.get('alice')!), 'user alice off sanitize-payload resetchannels -@all');
  assert.equal(users.names(), ['alice', 'default']);
});

test('passwords are kept as SHA-256, in order, without duplicates; nopass and resetpass clear them', () => {
  const { users, u } = fresh('p', '>one', '>two', '>one', `#${sha('three')}`);
  assert.equal(u.passwords, [sha('one'), sha('two'), sha('three')]);
  assert.is(users.setUser('p', ['<two', `!${sha('one')}`], sha), undefined);
  assert.equal(users.get('p')!.passwords, [sha('three')]);
  assert.is(users.setUser('p', ['<nope'], sha), "ERR Error in ACL SETUSER modifier '<nope': The password you are trying to remove from the user does not exist");
  assert.is(users.setUser('p', ['#ABC'], sha), "ERR Error in ACL SETUSER modifier '#ABC': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters");
  assert.is(users.setUser('p', ['>x'] /* no hasher: cleartext is never applied */), "ERR Error in ACL SETUSER modifier '>x': Syntax error");
  users.setUser('p', ['nopass']);
  assert.equal([users.get('p')!.passwords, users.get('p')!.nopass], [[], true]);
  users.setUser('p', ['resetpass']);
  assert.equal([users.get('p')!.passwords, users.get('p')!.nopass], [[], false]);
});

test('a refused modifier leaves the user as it was (all or nothing)', () => {
  const { users } = fresh('q', 'on', '~a');
  const before = describeUser(users.get('q')!);
  const v = users.version;
  assert.is(users.setUser('q', ['off', '~b', '+nosuch'], sha), "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL");
  assert.is(describeUser(users.get('q')!), before);
  assert.is(users.version, v);
  assert.is(users.setUser('a b', []), "ERR Usernames can't contain spaces or null characters");
  assert.is(users.delUsers(['default']), "ERR The 'default' user cannot be removed");
  assert.is(users.delUsers(['q', 'nosuch']), 1);
});

test('key patterns: read, write, both; a pattern given twice joins its permissions; allkeys refuses more', () => {
  const { users, u } = fresh('k', '%R~r*', '%W~w*', '~x', '%R~m', '%W~m');
  assert.equal(
    u.keys.map((k) => [k.pattern, k.read, k.write]),
    [
      ['r*', true, false],
      ['w*', false, true],
      ['x', true, true],
      ['m', true, true],
    ],
  );
  assert.is(users.setUser('k', ['%X~a']), "ERR Error in ACL SETUSER modifier '%X~a': Syntax error");
  assert.is(users.setUser('k', ['allkeys', '~a'])?.includes("Adding a pattern after the * pattern (or the 'allkeys' flag)"), true);
  assert.is(users.setUser('k', ['allchannels', '&a'])?.includes("(or the 'allchannels' flag)"), true);
});

test('command rules are described as Redis 7.0 does: best-fitting categories, then single commands', () => {
  const cases: [string[], string][] = [
    [['+@all', '-get'], '+@all -get'],
    [['+get', '+@string', '-set'], '-@all +@string -set'],
    [['+@all', '-@dangerous'], '+@all -@dangerous'],
    [['+@all', '-@all', '+client|id'], '-@all +client|id'],
    [['+config|get', '-config|get', '+config'], '-@all +config'],
    [['+select|0'], '-@all +select|0'],
    [['nocommands', '+@hash', '-hset'], '-@all +@hash -hset'],
  ];
  for (const [ops, want] of cases) {
    const { u } = fresh('c', ...ops);
    assert.is(describeUser(u), `user c off resetchannels ${want}`, ops.join(' '));
  }
});

test('the check: commands, first arguments, subcommands, no-auth commands', () => {
  const { u } = fresh('c', 'on', 'allkeys', '+get', '+select|1', '+config|get');
  assert.is(aclCheck(u, 'get', a('get', 'k'), false), null);
  assert.equal(aclCheck(u, 'set', a('set', 'k', 'v'), false), { reason: 'command' });
  assert.is(aclCheck(u, 'select', a('select', '1'), false), null);
  assert.equal(aclCheck(u, 'select', a('select', '2'), false), { reason: 'command' });
  assert.is(aclCheck(u, 'config|get', a('config', 'get', 'x'), false), null);
  assert.equal(aclCheck(u, 'config|set', a('config', 'set', 'x', 'y'), false), { reason: 'command' });
  assert.is(aclCheck(u, 'auth', a('auth', 'x'), true), null);
});

test('the check: keys by the permissions their key specs need; channels and channel patterns', () => {
  const { u } = fresh('k', 'on', '+@all', '%R~r*', '%W~w*', '~rw*', '&ch*');
  const denied = (...args: string[]) => aclCheck(u, args[0]!.toLowerCase(), a(...args), false);
  assert.is(denied('get', 'r1'), null);
  assert.equal(denied('get', 'w1'), { reason: 'key', index: 1 });
  assert.is(denied('set', 'w1', 'v'), null, 'SET without GET only writes');
  assert.equal(denied('set', 'w1', 'v', 'GET'), { reason: 'key', index: 1 }, 'SET ... GET reads too');
  assert.equal(denied('incr', 'w1'), { reason: 'key', index: 1 }, 'INCR reads and writes');
  assert.is(denied('append', 'w1', 'x'), null, 'APPEND only inserts');
  assert.equal(denied('mset', 'w1', 'a', 'r1', 'b'), { reason: 'key', index: 3 });
  assert.is(denied('lmove', 'rw1', 'w1', 'left', 'right'), null);
  assert.equal(denied('lmove', 'w1', 'rw1', 'left', 'right'), { reason: 'key', index: 1 });
  assert.is(denied('strlen', 'r1'), null);
  assert.is(denied('publish', 'ch1', 'm'), null);
  assert.equal(denied('publish', 'other', 'm'), { reason: 'channel', index: 1 });
  assert.equal(denied('psubscribe', 'ch1*'), { reason: 'channel', index: 1 }, 'a pattern must equal an allowed one');
  assert.is(denied('psubscribe', 'ch*'), null);
  assert.equal(
    aclKeys(aclCatalog.byName.get('lmpop')!, a('lmpop', '2', 'x', 'y', 'LEFT')).map((k) => k.index),
    [2, 3],
  );
});

test('internal commands through a keyspace; the digest moves with the users; snapshots keep them', () => {
  const ks = new Keyspace();
  const d0 = ks.digest();
  const r = ks.apply({ type: 'RedisCommands', db: 0, timeMs: 1, commands: [a('_aclsetuser', 'u', 'on', `#${sha('pw')}`, '~k*', '+get')], exec: false, watched: [] });
  assert.is(r.reply.kind, 'Bulk');
  assert.is.not(ks.digest(), d0);
  const bad = ks.apply({ type: 'RedisCommands', db: 0, timeMs: 1, commands: [a('_aclsetuser', 'u', '>cleartext')], exec: false, watched: [] });
  assert.equal(bad.reply, { kind: 'Error', text: "ERR Error in ACL SETUSER modifier '>cleartext': Syntax error" });
  const chunks = [...keyspaceSnapshotChunks(ks)];
  const back = restoreKeyspace(Buffer.concat(chunks));
  assert.is(back.digest(), ks.digest());
  assert.is(describeUser(aclOf(back).get('u')!), `user u on #${sha('pw')} ~k* resetchannels -@all +get`);
  const del = ks.apply({ type: 'RedisCommands', db: 0, timeMs: 1, commands: [a('_acldeluser', 'u', 'v')], exec: false, watched: [] });
  assert.is(del.reply.kind === 'Array' && del.reply.items[0]!.kind === 'Int' ? del.reply.items[0].value : -1, 1);
  assert.is(aclOf(ks).get('u'), undefined);
});

test('a version 1 snapshot (no ACL section) restores with the initial users', () => {
  const w = new Writer();
  w.u32(0x534b5643);
  w.u32(1);
  w.f64(0);
  for (let i = 0; i < 16; i++) {
    w.f64(0);
    w.u32(0);
  }
  w.u8(0);
  w.f64(new Keyspace().keysDigest());
  const ks = restoreKeyspace(w.view().slice());
  assert.equal(aclOf(ks).names(), ['default']);
  assert.is(aclOf(ks).version, 0);
  const w3 = new Writer();
  w3.u32(0x534b5643);
  w3.u32(3);
  assert.throws(() => restoreKeyspace(w3.view().slice()), (e: unknown) => e instanceof DecodeError);
});

test('the JSON form round-trips', () => {
  const { users } = fresh('j', 'on', '>pw', '%R~a', '&c', '+@read', '-get', '+select|0', 'sanitize-payload');
  const back = AclUsers.decode(users.encode());
  assert.is(back.encode(), users.encode());
  assert.is(describeUser(back.get('j')!), describeUser(users.get('j')!));
});

test.run();
