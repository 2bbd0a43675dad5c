/**
 * Blocking commands in the replicated keyspace (src/core/keyspace/blocking.ts): the attempt at apply, `_once`
 * (a serve applied twice pops once, also on a replica restored from a snapshot), the timeout parser, the undo of
 * what a serve took.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Reply } from '../../src/protocol/resp.js';
import { Keyspace, keyspaceSnapshotChunks, restoreKeyspace } from '../../src/core/keyspace/index.js';
import { blockingCommands, onceRepliesMax, timeoutMsArg } from '../../src/core/keyspace/blocking.js';
import { encodeReply } from '../../src/wire/resp/encoder.js';
import { argv, runOn, show } from './harness.js';

const T0 = 1_700_000_000_000;
const run = (ks: Keyspace, ...parts: string[]): string => show(runOn(ks, 0, argv(...parts), T0));
const snapshot = (ks: Keyspace): Keyspace => {
  const chunks = [...keyspaceSnapshotChunks(ks)];
  return restoreKeyspace(Buffer.concat(chunks));
};

test('_once: the same serve id applied twice pops once and answers the same', () => {
  const ks = new Keyspace();
  run(ks, 'RPUSH', 'q', 'a', 'b');
  const first = run(ks, '_once', 'n1:1', 'BLPOP', 'q', '0');
  assert.is(first, '["q", "a"]');
  assert.is(run(ks, '_once', 'n1:1', 'BLPOP', 'q', '0'), first, 'the retry answers what the first apply popped');
  assert.is(run(ks, 'LRANGE', 'q', '0', '-1'), '["b"]', 'and pops nothing more');
  assert.is(run(ks, '_once', 'n1:2', 'BLMOVE', 'q', 'd', 'LEFT', 'RIGHT', '0'), '"b"');
  assert.is(run(ks, '_once', 'n1:2', 'BLMOVE', 'q', 'd', 'LEFT', 'RIGHT', '0'), '"b"');
  assert.is(run(ks, 'LRANGE', 'd', '0', '-1'), '["b"]');
  // a nil serve changes nothing and is not remembered: retried later it may pop
  assert.is(run(ks, '_once', 'n1:3', 'BLPOP', 'q', '0'), 'NullArray');
  run(ks, 'RPUSH', 'q', 'c');
  assert.is(run(ks, '_once', 'n1:3', 'BLPOP', 'q', '0'), '["q", "c"]');
  assert.is(run(ks, '_once', 'n1:4', 'GET', 'q'), "-ERR 'get' cannot run once");
});

test('_once replies survive a snapshot: a restored replica dedupes as the others do', () => {
  const ks = new Keyspace();
  run(ks, 'RPUSH', 'q', 'a', 'b', 'c', 'd');
  run(ks, '_once', 's:1', 'BLMPOP', '0', '1', 'q', 'LEFT', 'COUNT', '2');
  run(ks, '_once', 's:2', 'LPUSH', 'z', 'x');
  const copy = snapshot(ks);
  assert.is(copy.digest(), ks.digest());
  for (const k of [ks, copy]) {
    assert.is(run(k, '_once', 's:1', 'BLMPOP', '0', '1', 'q', 'LEFT', 'COUNT', '2'), '["q", ["a", "b"]]');
    assert.is(run(k, '_once', 's:2', 'LPUSH', 'z', 'x'), ':1');
  }
  assert.is(copy.digest(), ks.digest(), 'the replicas stay equal');
});

test('_once remembers at most onceRepliesMax ids, oldest forgotten first', () => {
  const ks = new Keyspace();
  for (let i = 0; i <= onceRepliesMax; i++) run(ks, '_once', `i:${i}`, 'LPUSH', 'l', 'x');
  assert.is(ks.onceReplies.size, onceRepliesMax);
  assert.not.ok(ks.onceReplies.has('i:0'));
  assert.ok(ks.onceReplies.has(`i:${onceRepliesMax}`));
});

test('timeouts: seconds as strtold reads them, truncated to ms; Redis errors', () => {
  const t = (s: string): number | string => {
    const r = timeoutMsArg(Buffer.from(s), T0);
    return typeof r === 'number' ? r : (r as Extract<Reply, { kind: 'Error' }>).text;
  };
  assert.is(t('0'), 0);
  assert.is(t('1.5'), 1500);
  assert.is(t('0.0001'), 0, 'below a ms: forever, as Redis');
  assert.is(t('-0.0001'), 0);
  assert.is(t('0x10'), 16_000);
  assert.is(t('-1'), 'ERR timeout is negative');
  assert.is(t('inf'), 'ERR timeout is negative');
  assert.is(t('x'), 'ERR timeout is not a float or out of range');
  assert.is(t(' 1'), 'ERR timeout is not a float or out of range');
  assert.is(t('9223372036854775'), 'ERR timeout is out of range');
  assert.is(timeoutMsArg(Buffer.from('0.2'), T0 + 0.25), 200, 'a clock in fractions of a ms (the simulator) is fine');
});

test('undo: what a serve took goes back where it was taken from', () => {
  const ks = new Keyspace();
  run(ks, 'RPUSH', 'l', 'a', 'b', 'c', 'd', 'e');
  const undo = (name: string, ...parts: string[]): void => {
    const a = argv(name, ...parts);
    const served = runOn(ks, 0, a, T0);
    const u = blockingCommands.get(name.toLowerCase())!.undo(a, served);
    if (u !== null) runOn(ks, 0, u, T0);
  };
  undo('BLPOP', 'none', 'l', '0');
  undo('BRPOP', 'l', '0');
  undo('BLMPOP', '0', '1', 'l', 'LEFT', 'COUNT', '2');
  undo('BLMPOP', '0', '1', 'l', 'RIGHT', 'COUNT', '3');
  assert.is(run(ks, 'LRANGE', 'l', '0', '-1'), '["a", "b", "c", "d", "e"]');
  undo('BLMOVE', 'l', 'm', 'LEFT', 'LEFT', '0');
  assert.is(run(ks, 'LRANGE', 'm', '0', '-1'), '["a"]', "BLMOVE's element stays in its destination");
});

test('undo of sorted-set pops: ZADD of what BZPOPMIN/BZPOPMAX/BZMPOP took, with its exact score', () => {
  const ks = new Keyspace();
  run(ks, 'ZADD', 'z', '0.1', 'a', '2', 'b', '1e300', 'c', '-inf', 'd', '3.0000000000000004', 'e');
  const before = run(ks, 'ZRANGE', 'z', '0', '-1', 'WITHSCORES');
  const undo = (name: string, ...parts: string[]): void => {
    const a = argv(name, ...parts);
    const served = runOn(ks, 0, a, T0);
    assert.is(served.kind, 'Array', name);
    runOn(ks, 0, blockingCommands.get(name.toLowerCase())!.undo(a, served)!, T0);
  };
  undo('BZPOPMIN', 'none', 'z', '0');
  undo('BZPOPMAX', 'z', '0');
  undo('BZMPOP', '0', '2', 'none', 'z', 'MIN', 'COUNT', '3');
  undo('BZMPOP', '0', '1', 'z', 'MAX', 'COUNT', '10');
  assert.is(run(ks, 'ZRANGE', 'z', '0', '-1', 'WITHSCORES'), before);
  assert.is(blockingCommands.get('bzpopmin')!.undo(argv('BZPOPMIN', 'z', '0'), { kind: 'NullArray' }), null);
});

test('_once remembers Double and Map replies (BZPOPMIN, XREADGROUP), also across a snapshot', () => {
  const ks = new Keyspace();
  run(ks, 'ZADD', 'z', '1.5', 'a', '2', 'b');
  run(ks, 'XADD', 's', '1-0', 'f', 'v');
  run(ks, 'XGROUP', 'CREATE', 's', 'g', '0');
  const resp3 = (k: Keyspace, ...parts: string[]): string => encodeReply(runOn(k, 0, argv(...parts), T0), 3).toString('latin1');
  const pop = resp3(ks, '_once', 'd:1', 'BZPOPMIN', 'z', '0');
  const read = resp3(ks, '_once', 'd:2', 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>');
  assert.is(pop, '*3\r\n$1\r\nz\r\n$1\r\na\r\n,1.5\r\n');
  assert.ok(read.startsWith('%1\r\n$1\r\ns\r\n*1\r\n'), read);
  const copy = snapshot(ks);
  assert.is(copy.digest(), ks.digest());
  for (const k of [ks, copy]) {
    assert.is(resp3(k, '_once', 'd:1', 'BZPOPMIN', 'z', '0'), pop);
    assert.is(resp3(k, '_once', 'd:2', 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'), read);
    assert.is(encodeReply(runOn(k, 0, argv('_once', 'd:2', 'XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>'), T0), 2).toString('latin1').startsWith('*1\r\n*2\r\n'), true, 'RESP2 pairs kept');
    assert.is(run(k, 'ZCARD', 'z'), ':1');
  }
});

test.run();
