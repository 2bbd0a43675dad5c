/**
 * Random picks (SPOP, SRANDMEMBER, HRANDFIELD), HSCAN/SSCAN and OBJECT ENCODING at the replicated thresholds.
 * Random picks cannot be compared byte for byte with redis-server: their shape is (reply kind, length, membership,
 * distinctness, what is left after SPOP), their errors are, and replicas agree (same state and txn → same picks).
 * Compact scans and OBJECT ENCODING transitions are compared byte for byte; CONFIG SET of a threshold is sent to
 * our keyspace as the `_encodingset` write the front end logs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Argv, Reply } from '../../src/protocol/resp.js';
import { Keyspace, keyspaceSnapshotChunks, restoreKeyspace } from '../../src/core/keyspace/index.js';
import { encodeValue, valueTags } from '../../src/core/keyspace/state.js';
import { Writer } from '../../src/core/tree/codec.js';
import { Rng } from '../../src/core/rng.js';
import { argv, hasRedisServer, resp2, runOn, show, startRedis, type RedisServer } from './harness.js';

const nowMs = Date.now();
const T1 = 1_700_000_000_000;
const W = (s: string): Argv => argv(...s.split(' '));
const applyTxn = (ks: Keyspace, a: Argv, timeMs = nowMs) => ks.apply({ type: 'RedisCommands', db: 0, timeMs, commands: [a], exec: false, watched: [] });
const apply = (ks: Keyspace, a: Argv, timeMs = nowMs): Reply => applyTxn(ks, a, timeMs).reply;
const texts = (r: Reply): string[] => (r.kind === 'Array' || r.kind === 'Set' ? r.items.map(show) : [show(r)]);
/** CONFIG SET / GET as our keyspace receives them from the front end. */
const ours = (a: Argv): Argv => {
  const w = a.map((b) => Buffer.from(b).toString('latin1'));
  if (w[0]!.toUpperCase() === 'CONFIG' && w[1]!.toUpperCase() === 'SET') return argv('_encodingset', ...w.slice(2));
  if (w[0]!.toUpperCase() === 'CONFIG' && w[1]!.toUpperCase() === 'GET') return argv('_encodingget', ...w.slice(2));
  return a;
};

function filled(): Keyspace {
  const ks = new Keyspace();
  apply(ks, argv('SADD', 's', ...Array.from({ length: 40 }, (_, i) => `m${i}`)));
  apply(ks, argv('HSET', 'h', ...Array.from({ length: 40 }, (_, i) => [`f${i}`, `v${i}`]).flat()));
  return ks;
}

test('random picks are deterministic: same state and txn → same SPOP on every replica; reads follow their draw', () => {
  const [a, b] = [filled(), filled()];
  for (const cmd of ['SPOP s', 'SPOP s 5', 'SPOP s 3']) assert.is(show(apply(a, W(cmd))), show(apply(b, W(cmd))), cmd);
  assert.is(a.digest(), b.digest());
  for (const cmd of ['SRANDMEMBER s -7', 'SRANDMEMBER s 4', 'HRANDFIELD h 3 WITHVALUES', 'HRANDFIELD h']) {
    assert.is(show(a.read(0, W(cmd), nowMs, 0.25)), show(b.read(0, W(cmd), nowMs, 0.25)), cmd);
  }
  // different txns pick differently (40 members: 10 draws of 5 all equal would be a broken source)
  const picks = new Set<string>();
  for (let t = 0; t < 10; t++) picks.add(show(filled().apply({ type: 'RedisCommands', db: 0, timeMs: nowMs + t, commands: [W('SPOP s 5')], exec: false, watched: [] }).reply));
  assert.ok(picks.size > 1, 'SPOP picks vary with the txn');
  const draws = new Set<string>();
  for (let d = 0; d < 10; d++) draws.add(show(a.read(0, W('SRANDMEMBER s 5'), nowMs, d / 10)));
  assert.ok(draws.size > 1, 'SRANDMEMBER picks vary with the draw');
  // an EXEC block draws on: two SPOPs in one txn pop different members
  const r = filled().apply({ type: 'RedisCommands', db: 0, timeMs: nowMs, commands: [W('SPOP s'), W('SPOP s')], exec: true, watched: [] }).reply;
  assert.is(r.kind, 'Array');
  const [x, y] = (r as { items: readonly Reply[] }).items.map(show);
  assert.is.not(x, y);
});

test('replicas agree: random scripts of picks, pops, HyperLogLogs and threshold changes; a restored snapshot carries on the same', () => {
  const rng = new Rng(2024);
  const a = new Keyspace();
  let b = new Keyspace();
  const pick = (): Argv => {
    const k = `k${rng.int(0, 3)}`;
    const m = (): string => (rng.chance(0.7) ? String(rng.int(0, 30)) : `m${rng.int(0, 30)}`);
    switch (rng.int(0, 9)) {
      case 0:
        return argv('SADD', `s${k}`, m(), m(), m());
      case 1:
        return argv('SPOP', `s${k}`, ...(rng.chance(0.5) ? [String(rng.int(0, 6))] : []));
      case 2:
        return argv('HSET', `h${k}`, m(), 'x'.repeat(rng.int(0, 70)));
      case 3:
        return argv('HDEL', `h${k}`, m());
      case 4:
        return argv('PFADD', `p${k}`, m(), m());
      case 5:
        return argv('PFCOUNT', `p${k}`);
      case 6:
        return argv('PFMERGE', `p${k}`, `pk${rng.int(0, 3)}`);
      case 7:
        return argv('_encodingset', rng.chance(0.5) ? 'hash-max-listpack-entries' : 'set-max-intset-entries', String(rng.int(1, 20)));
      case 8:
        return argv('SMOVE', `s${k}`, `sk${rng.int(0, 3)}`, m());
      default:
        return argv('SRANDMEMBER', `s${k}`, String(rng.int(-5, 5)));
    }
  };
  const encodings = (ks: Keyspace): string =>
    ['s', 'h', 'p'].flatMap((t) => [0, 1, 2, 3].map((i) => show(ks.read(0, argv('OBJECT', 'ENCODING', `${t}k${i}`), T1)))).join(' ');
  for (let i = 0; i < 3000; i++) {
    const cmd = pick();
    const t = T1 + i;
    const read = cmd[0]!.length === 11; // SRANDMEMBER: a read, with the same draw on both
    const [ra, rb] = read ? [a.read(0, cmd, t, 0.5), b.read(0, cmd, t, 0.5)] : [apply(a, cmd, t), apply(b, cmd, t)];
    assert.is(show(rb), show(ra), Buffer.from(cmd.join(' ')).toString());
    if (i === 1500) b = restoreKeyspace(Buffer.concat([...keyspaceSnapshotChunks(b)]));
    if (i % 100 === 0) assert.is(encodings(b), encodings(a));
  }
  assert.is(b.digest(), a.digest());
});

test('notifications of SPOP as Redis emits them', () => {
  const ks = new Keyspace();
  const ev = (s: string): string[] => applyTxn(ks, W(s)).events.map((e) => ('event' in e ? `${e.cls}:${e.event}` : ''));
  assert.equal(ev('SADD q 1 2 3'), ['n:new', 's:sadd']);
  assert.equal(ev('SPOP q 1'), ['s:spop']);
  assert.equal(ev('SPOP q 5'), ['s:spop', 'g:del']);
  assert.equal(ev('SADD q 1'), ['n:new', 's:sadd']);
  assert.equal(ev('SPOP q'), ['s:spop', 'g:del']);
  assert.equal(ev('SPOP q'), []);
  assert.equal(ev('PFADD p a'), ['n:new', '$:pfadd']);
  assert.equal(ev('PFADD p a'), []);
  assert.equal(ev('PFMERGE p2 p'), ['n:new', '$:pfadd']);
});

test('snapshots carry the thresholds and one-way conversions; version 1 snapshots still restore', () => {
  const ks = new Keyspace();
  apply(ks, W('_encodingset hash-max-listpack-entries 2'));
  apply(ks, W('HSET h a 1 b 2 c 3'));
  apply(ks, W('HDEL h a b'));
  apply(ks, W('HSET small a 1'));
  apply(ks, W('APPEND r x'));
  apply(ks, W('APPEND r y'));
  const back = restoreKeyspace(Buffer.concat([...keyspaceSnapshotChunks(ks)]));
  for (const k of ['h', 'small', 'r']) assert.is(show(back.read(0, W(`OBJECT ENCODING ${k}`), nowMs)), show(ks.read(0, W(`OBJECT ENCODING ${k}`), nowMs)), k);
  assert.is(show(back.read(0, W('OBJECT ENCODING h'), nowMs)), '"hashtable"');
  assert.is(show(back.read(0, W('_encodingget hash-max-listpack-entries'), nowMs)), '["hash-max-listpack-entries", "2"]');
  // a version 1 snapshot (no thresholds, no flags): default thresholds, encodings from the sizes
  const v1 = new Keyspace();
  apply(v1, argv('HSET', 'big', ...Array.from({ length: 600 }, (_, i) => [`f${i}`, 'v']).flat()));
  apply(v1, W('SADD s 1 2 3'));
  const w = new Writer(1 << 16);
  w.u32(0x534b5643);
  w.u32(1);
  w.f64(v1.seq);
  for (let i = 0; i < 16; i++) {
    w.f64(v1.epoch[i]!);
    w.u32(0);
  }
  for (const [key, e] of v1.dbs[0]!.map) {
    w.u8(1);
    w.u8(0);
    w.latin1(key);
    w.u8(valueTags[e.value.type]);
    w.bytes(encodeValue(e.value));
    w.latin1('');
    w.f64(e.rev);
  }
  w.u8(0);
  w.f64(v1.keysDigest()); // versions before 3 carry no ACL state: their digest is of the keys alone
  const old = restoreKeyspace(w.view().slice());
  assert.is(show(old.read(0, W('OBJECT ENCODING big'), nowMs)), '"hashtable"');
  assert.is(show(old.read(0, W('OBJECT ENCODING s'), nowMs)), '"intset"');
  assert.is(show(old.read(0, W('_encodingget set-max-intset-entries'), nowMs)), '["set-max-intset-entries", "512"]');
});

if (!hasRedisServer()) {
  test.skip('vs redis-server (not installed)', () => undefined);
} else {
  let redis: RedisServer;
  test.before(async () => {
    redis = await startRedis();
  });
  test.after(() => redis.stop());

  const reset = async (): Promise<Keyspace> => {
    await redis.client.send(W('FLUSHALL'));
    for (const line of ['CONFIG SET hash-max-listpack-entries 512', 'CONFIG SET hash-max-listpack-value 64', 'CONFIG SET set-max-intset-entries 512']) await redis.client.send(W(line));
    return new Keyspace();
  };
  const leaves = (r: Reply): string[] => (r.kind === 'Array' ? r.items.flatMap(leaves) : [show(r)]);
  /**
   * Runs a script on both, comparing replies byte for byte; `~` before a command compares its leaves unordered, `?`
   * runs it on both without comparing (a random pick).
   */
  const script = async (ks: Keyspace, lines: readonly string[]): Promise<string[]> => {
    const diffs: string[] = [];
    for (const raw of lines) {
      const mode = raw[0] === '~' || raw[0] === '?' ? raw[0] : '';
      const a = W(raw.slice(mode.length));
      const r1 = await redis.client.send(a);
      const r2 = resp2(runOn(ks, 0, ours(a), nowMs));
      if (mode === '?') continue;
      const [theirs, mine] = mode === '~' ? [leaves(r1).sort().join(' '), leaves(r2).sort().join(' ')] : [show(r1), show(r2)];
      if (theirs !== mine) diffs.push(`${raw}\n   redis: ${theirs}\n   ours:  ${mine}`);
    }
    return diffs;
  };
  const fill = async (ks: Keyspace, cmd: string): Promise<void> => {
    await redis.client.send(W(cmd));
    runOn(ks, 0, W(cmd), nowMs);
  };

  test('random picks: shapes, membership, distinctness and errors as redis-server', async () => {
    const ks = await reset();
    const diffs: string[] = [];
    for (const size of [0, 1, 3, 20, 600]) {
      const members = Array.from({ length: size }, (_, i) => (size === 600 ? `m${i}` : String(i)));
      if (size > 0) {
        await fill(ks, `SADD s${size} ${members.join(' ')}`);
        await fill(ks, `HSET h${size} ${members.map((m) => `${m} v${m}`).join(' ')}`);
      }
      for (const count of ['', '0', '1', '2', String(size), String(size + 5), '-1', '-5', String(-3 * size - 1)]) {
        for (const cmd of [`SRANDMEMBER s${size}`, `HRANDFIELD h${size}`, `HRANDFIELD h${size} WITHVALUES`]) {
          if (cmd.endsWith('WITHVALUES') && count === '') continue;
          const line = cmd.endsWith('WITHVALUES') ? cmd.replace(' WITHVALUES', ` ${count} WITHVALUES`) : `${cmd} ${count}`.trim();
          const theirs = await redis.client.send(W(line));
          const mine = resp2(runOn(ks, 0, W(line), nowMs));
          const shape = (r: Reply): string => {
            const items = texts(r);
            const n = Number(count === '' ? 1 : count);
            const names = cmd.endsWith('WITHVALUES') ? items.filter((_, i) => i % 2 === 0) : items;
            const okMembers = r.kind === 'Null' || names.every((t) => members.includes(JSON.parse(t) as string));
            const okValues = !cmd.endsWith('WITHVALUES') || items.every((t, i) => i % 2 === 0 || t === `"v${JSON.parse(items[i - 1]!) as string}"`);
            const distinct = n >= 0 ? new Set(names).size === names.length : true;
            return `${r.kind} ${r.kind === 'Array' ? items.length : ''} members:${okMembers} values:${okValues} distinct:${distinct}`;
          };
          if (shape(theirs) !== shape(mine)) diffs.push(`${line}\n   redis: ${shape(theirs)}\n   ours:  ${shape(mine)}`);
        }
      }
    }
    diffs.push(
      ...(await script(ks, [
        'SRANDMEMBER s3 x', 'SRANDMEMBER s3 -9223372036854775808', 'SRANDMEMBER s3 1 2', 'SRANDMEMBER', 'HRANDFIELD h3 x', 'HRANDFIELD h3 1 foo',
        'HRANDFIELD h3 -4611686018427387904 WITHVALUES', 'HRANDFIELD h3 -9223372036854775807 WITHVALUES', 'HRANDFIELD h3 1 WITHVALUES x',
        'HRANDFIELD h3 0 WITHVALUES', 'SET str x', 'SRANDMEMBER str', 'SRANDMEMBER str 0', 'SRANDMEMBER str x', 'HRANDFIELD str', 'HRANDFIELD str 0',
        'SPOP str', 'SPOP str 0', 'SPOP str x', 'SPOP s3 x', 'SPOP s3 -1', 'SPOP s3 1 2', 'SPOP nokey', 'SPOP nokey 3', 'SPOP s3 0', 'SPOP', 'HRANDFIELD nokey 2 WITHVALUES',
        'SRANDMEMBER nokey 2', 'SRANDMEMBER nokey', 'HRANDFIELD nokey',
        // a count reaching the size answers everything, in the collection's order
        'HRANDFIELD h3 3', 'HRANDFIELD h3 10 WITHVALUES', 'SRANDMEMBER s3 3', 'SRANDMEMBER s3 5',
        // intsets answer in numeric order
        'SADD ia 5 3 1 -2', 'SADD ib 3 1 9 -2', 'SMEMBERS ia', 'SINTER ia ib', 'SUNION ia ib', 'SDIFF ia ib', 'SINTERSTORE ic ia ib', 'SMEMBERS ic',
        'SUNIONSTORE id ia ib', 'SMEMBERS id', 'SPOP id 10',
      ])),
    );
    // SPOP: the popped and the rest make the set; counts as Redis's
    for (const [key, count] of [['s20', '5'], ['s600', '100'], ['s600', '450'], ['s3', '7'], ['s20', '']] as const) {
      const before = new Set(texts(resp2(runOn(ks, 0, W(`SMEMBERS ${key}`), nowMs))));
      const theirs = texts(await redis.client.send(W(`SPOP ${key} ${count}`.trim())));
      const mine = texts(resp2(runOn(ks, 0, W(`SPOP ${key} ${count}`.trim()), nowMs)));
      const restTheirs = texts(await redis.client.send(W(`SMEMBERS ${key}`)));
      const restMine = texts(resp2(runOn(ks, 0, W(`SMEMBERS ${key}`), nowMs)));
      if (theirs.length !== mine.length || restTheirs.length !== restMine.length) diffs.push(`SPOP ${key} ${count}: ${theirs.length}/${restTheirs.length} vs ${mine.length}/${restMine.length}`);
      const union = new Set([...mine, ...restMine].filter((t) => t !== '[]'));
      const overlap = mine.some((m) => restMine.includes(m));
      if (overlap || [...union].some((m) => !before.has(m)) || union.size !== Math.min(before.size, mine.length + restMine.length)) {
        diffs.push(`SPOP ${key} ${count}: popped and rest do not make the set`);
      }
      // the set's encoding is kept
      diffs.push(...(await script(ks, [`OBJECT ENCODING ${key}`, `EXISTS ${key}`, `SCARD ${key}`])));
    }
    assert.equal(diffs, [], diffs.join('\n'));
  });

  test('HSCAN / SSCAN: compact encodings byte for byte; hashtables iterate to cursor 0 with every element; errors', async () => {
    const ks = await reset();
    await fill(ks, 'HSET hs b 2 a 1 c 3 dd 4');
    await fill(ks, 'SADD is 30 -2 100 7 5');
    await fill(ks, `SADD bs ${Array.from({ length: 700 }, (_, i) => `k${i}`).join(' ')}`);
    await fill(ks, `HSET bh ${Array.from({ length: 700 }, (_, i) => `f${i} ${i}`).join(' ')}`);
    await fill(ks, 'SET str x');
    const diffs = await script(ks, [
      'HSCAN hs 0', 'HSCAN hs 0 COUNT 1', 'HSCAN hs 0 MATCH ?', 'HSCAN hs 0 MATCH * COUNT 100', 'SSCAN is 0', 'SSCAN is 0 MATCH 1*', 'SSCAN nokey 0',
      'HSCAN nokey 0 COUNT 0', 'HSCAN hs x', 'HSCAN hs -1', 'HSCAN hs 18446744073709551616', 'HSCAN hs 0 COUNT 0', 'HSCAN hs 0 COUNT x', 'HSCAN hs 0 MATCH',
      'HSCAN hs 0 TYPE hash', 'HSCAN hs 0 FOO 1', 'SSCAN str 0', 'HSCAN str 0', 'HSCAN str x', 'SSCAN', 'HSCAN hs', 'SCAN 0 COUNT 0', 'SCAN x',
    ]);
    for (const [cmd, key, n] of [['SSCAN', 'bs', 700], ['HSCAN', 'bh', 1400]] as const) {
      for (const extra of ['', ' COUNT 50', ' MATCH k1*', ' MATCH f2* COUNT 7']) {
        const collect = async (send: (a: Argv) => Promise<Reply>): Promise<{ items: string[]; calls: number }> => {
          let cursor = '0';
          const items: string[] = [];
          let calls = 0;
          do {
            const r = (await send(W(`${cmd} ${key} ${cursor}${extra}`))) as { items: readonly Reply[] };
            cursor = (show(r.items[0]!) as string).replace(/"/g, '');
            items.push(...texts(r.items[1]!).filter((t) => t !== '[]'));
            calls++;
          } while (cursor !== '0' && calls < 10_000);
          return { items, calls };
        };
        const theirs = await collect((a) => redis.client.send(a));
        const mine = await collect(async (a) => resp2(runOn(ks, 0, a, nowMs)));
        const pairs = (xs: string[]): string[] => (cmd === 'HSCAN' ? xs.filter((_, i) => i % 2 === 0).map((f, i) => `${f}=${xs[2 * i + 1]}`) : xs);
        const set = (xs: string[]): string => [...new Set(pairs(xs))].sort().join(',');
        if (set(theirs.items) !== set(mine.items)) diffs.push(`${cmd} ${key}${extra}: different elements`);
        if (extra === '' && new Set(pairs(mine.items)).size !== n / (cmd === 'HSCAN' ? 2 : 1)) diffs.push(`${cmd} ${key}: ${mine.items.length} items`);
        if (mine.calls < 2) diffs.push(`${cmd} ${key}${extra}: a hashtable answered in one call`);
      }
    }
    assert.equal(diffs, [], diffs.join('\n'));
  });

  test('random scripts of set and hash writes: OBJECT ENCODING, compact scans and intset order as redis-server', async () => {
    const ks = await reset();
    const rng = new Rng(77);
    const lines: string[] = ['CONFIG SET hash-max-listpack-entries 12', 'CONFIG SET set-max-intset-entries 10', 'CONFIG SET hash-max-listpack-value 16'];
    const member = (): string => (rng.chance(0.85) ? String(rng.int(-40, 40)) : `m${rng.int(0, 9)}`);
    for (let i = 0; i < 600; i++) {
      const k = rng.int(0, 2);
      switch (rng.int(0, 5)) {
        case 0:
          lines.push(`SADD s${k} ${member()} ${member()}`);
          break;
        case 1:
          lines.push(`SREM s${k} ${member()} ${member()} ${member()}`);
          break;
        case 2:
          lines.push(`HSET h${k} f${rng.int(0, 15)} ${'v'.repeat(rng.int(1, 18))}`);
          break;
        case 3:
          lines.push(`HDEL h${k} f${rng.int(0, 15)} f${rng.int(0, 15)}`);
          break;
        case 4:
          lines.push(`SINTERSTORE s${k} s${rng.int(0, 2)} s${rng.int(0, 2)}`);
          break;
        default:
          lines.push(`HINCRBY h${k} f${rng.int(0, 15)} 1`);
      }
      lines.push(`OBJECT ENCODING s${k}`, `OBJECT ENCODING h${k}`, `SMEMBERS s${k}`, `SSCAN s${k} 0`);
      // a listpack hash answers in insertion order, as Redis's; a hashtable's order is its own
      if (show(resp2(runOn(ks, 0, W(`OBJECT ENCODING h${k}`), nowMs))) !== '"hashtable"') lines.push(`HGETALL h${k}`, `HSCAN h${k} 0`);
      const diffs = await script(ks, lines.splice(0));
      // SMEMBERS / SSCAN of a hashtable set: its order is its own
      const real = diffs.filter((d) => !/^(SMEMBERS|SSCAN|HGETALL|HSCAN)/.test(d) || !/hashtable/.test(show(resp2(runOn(ks, 0, W(`OBJECT ENCODING ${d.split('\n')[0]!.split(' ')[1]}`), nowMs)))));
      assert.equal(real, [], real.join('\n'));
    }
  });

  test('OBJECT ENCODING transitions and CONFIG thresholds as redis-server', async () => {
    const ks = await reset();
    const long = 'x'.repeat(65);
    const diffs = await script(ks, [
      'CONFIG GET hash-max-listpack-entries', 'CONFIG GET set-max-intset-entries', '~CONFIG GET *max-*-entries', '~CONFIG GET hash-max-*',
      'CONFIG GET hash-max-ziplist-value', 'CONFIG GET list-max-listpack-size',
      // strings
      'SET i 12345', 'OBJECT ENCODING i', 'SET e hello', 'OBJECT ENCODING e', `SET r ${long}`, 'OBJECT ENCODING r', 'SET i2 -9223372036854775808', 'OBJECT ENCODING i2',
      'SET big 123456789012345678901', 'OBJECT ENCODING big', 'APPEND e x', 'OBJECT ENCODING e', 'APPEND new 12', 'OBJECT ENCODING new', 'SETRANGE sr 0 ab', 'OBJECT ENCODING sr',
      'SETBIT sb 3 1', 'OBJECT ENCODING sb', 'SET a 1', 'APPEND a 2', 'OBJECT ENCODING a', 'OBJECT REFCOUNT a', 'SET b 12', 'OBJECT REFCOUNT b',
      'INCR e2', 'OBJECT ENCODING e2', 'SET e hello', 'OBJECT ENCODING e', 'INCRBYFLOAT fl 1.5', 'OBJECT ENCODING fl',
      // hashes: entries and value length, one way
      'HSET h a 1 b 2', 'OBJECT ENCODING h', `HSET h c ${long}`, 'OBJECT ENCODING h', 'HDEL h c', 'OBJECT ENCODING h', `HSET h2 ${long} 1`, 'OBJECT ENCODING h2',
      'CONFIG SET hash-max-listpack-entries 3', 'HSET h3 a 1 b 2 c 3', 'OBJECT ENCODING h3', 'HSET h3 d 4', 'OBJECT ENCODING h3', 'HDEL h3 a b c', 'OBJECT ENCODING h3',
      'HINCRBY h4 a 1', 'OBJECT ENCODING h4', `HINCRBY h4 ${long} 1`, 'OBJECT ENCODING h4', 'CONFIG SET hash-max-listpack-value 2', 'HSET h5 ab 12', 'OBJECT ENCODING h5',
      'HSET h5 abc 1', 'OBJECT ENCODING h5', 'CONFIG SET hash-max-listpack-value 1k', 'CONFIG GET hash-max-listpack-value', 'CONFIG SET hash-max-ziplist-entries 5',
      'CONFIG GET hash-max-listpack-entries', 'CONFIG GET hash-max-ziplist-entries',
      // sets
      'SADD s 1 2 3', 'OBJECT ENCODING s', 'SADD s x', 'OBJECT ENCODING s', 'SREM s x', 'OBJECT ENCODING s', 'SADD s2 1 -5 9223372036854775807', 'OBJECT ENCODING s2',
      'SADD s3 01', 'OBJECT ENCODING s3', 'CONFIG SET set-max-intset-entries 3', 'SADD s4 1 2 3', 'OBJECT ENCODING s4', 'SADD s4 4', 'OBJECT ENCODING s4',
      '?SPOP s4 3', 'OBJECT ENCODING s4', 'SADD s4 1 2 3 4', 'SINTERSTORE s5 s2 s2', 'OBJECT ENCODING s5', 'SUNIONSTORE s6 s2 s4', 'OBJECT ENCODING s6', 'SMOVE s2 s7 1', 'OBJECT ENCODING s7',
      // lists are quicklists in 7.0
      'RPUSH l a', 'OBJECT ENCODING l', 'CONFIG SET list-max-listpack-size 5', 'CONFIG GET list-max-ziplist-size', 'CONFIG SET list-max-listpack-size -2',
      // CONFIG SET errors
      'CONFIG SET hash-max-listpack-entries -1', 'CONFIG SET hash-max-listpack-entries abc', 'CONFIG SET hash-max-listpack-value -1', 'CONFIG SET hash-max-listpack-value 1.5k',
      'CONFIG SET hash-max-listpack-value 50000000000000000000', 'CONFIG SET set-max-intset-entries +5', 'CONFIG SET list-max-listpack-size 3000000000', 'CONFIG SET zset-max-listpack-value 1k',
      'CONFIG GET zset-max-listpack-value', 'CONFIG SET zset-max-listpack-value 64', 'CONFIG SET hash-max-listpack-entries 1 HASH-MAX-LISTPACK-ENTRIES 2',
      'CONFIG SET hash-max-ziplist-entries 7 hash-max-listpack-entries 3', 'CONFIG GET hash-max-ziplist-entries',
      'COPY h3 h3c', 'OBJECT ENCODING h3c', 'RENAME h3 h3r', 'OBJECT ENCODING h3r',
    ]);
    // growth past the default 512 entries
    const grow = async (type: 'hash' | 'set'): Promise<void> => {
      for (let i = 0; i < 514; i++) {
        const line = type === 'hash' ? `HSET g${type} f${i} ${i}` : `SADD g${type} ${i}`;
        await fill(ks, line);
        if (i >= 510) diffs.push(...(await script(ks, [`OBJECT ENCODING g${type}`])));
      }
    };
    await script(ks, ['CONFIG SET hash-max-listpack-entries 512', 'CONFIG SET set-max-intset-entries 512']);
    await grow('hash');
    await grow('set');
    assert.equal(diffs, [], diffs.join('\n'));
  });
}

test.run();
