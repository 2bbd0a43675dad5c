/**
 * HyperLogLog against a real redis-server: the same PFADD / PFMERGE scripts on both, then every reply compared,
 * PFCOUNT estimates and the value's bytes (GET: header, cache flag, sparse opcodes, dense registers) included.
 * Element sets of 0 to 50,000 random strings (seeded), sparse and dense, merged across both.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Keyspace } from '../../src/core/keyspace/index.js';
import { Rng } from '../../src/core/rng.js';
import { argv, hasRedisServer, resp2, runOn, show, startRedis, type RedisServer } from './harness.js';

const nowMs = Date.now();
/** PFADD sends at most this many elements per command. */
const elementsPerPfaddMax = 1000;
const sizes = [0, 1, 2, 7, 100, 400, 1200, 3000, 9000, 20_000, 50_000];

if (!hasRedisServer()) {
  test.skip('HyperLogLog vs redis-server (not installed)', () => undefined);
} else {
  let redis: RedisServer;
  test.before(async () => {
    redis = await startRedis();
  });
  test.after(() => redis.stop());

  /** Sends `words` to both; the differences found. */
  const both = async (ks: Keyspace, diffs: string[], ...words: string[]): Promise<void> => {
    const a = argv(...words);
    const theirs = await redis.client.send(a);
    // CONFIG of a threshold reaches the keyspace as the front end sends it
    const config = words[0] === 'CONFIG' ? argv(words[1] === 'SET' ? '_encodingset' : '_encodingget', ...words.slice(2)) : a;
    const ours = resp2(runOn(ks, 0, config, nowMs));
    if (show(theirs) !== show(ours)) diffs.push(`${words.slice(0, 3).join(' ')}${words.length > 3 ? ' …' : ''}\n   redis: ${show(theirs).slice(0, 300)}\n   ours:  ${show(ours).slice(0, 300)}`);
  };

  test('PFADD / PFCOUNT / GET equal redis-server for 0..50k random elements', async () => {
    const ks = new Keyspace();
    await redis.client.send(argv('FLUSHALL'));
    const diffs: string[] = [];
    const rng = new Rng(11);
    for (const n of sizes) {
      const key = `h${n}`;
      const els = Array.from({ length: n }, () => `el:${rng.uint32().toString(36)}:${rng.int(0, 1 << 20)}`);
      if (n === 0) await both(ks, diffs, 'PFADD', key);
      for (let i = 0; i < n; i += elementsPerPfaddMax) await both(ks, diffs, 'PFADD', key, ...els.slice(i, i + elementsPerPfaddMax));
      await both(ks, diffs, 'PFADD', key, ...els.slice(0, 3)); // nothing new: 0
      await both(ks, diffs, 'GET', key);
      await both(ks, diffs, 'PFCOUNT', key);
      await both(ks, diffs, 'GET', key); // the estimate cached in the header
      await both(ks, diffs, 'PFCOUNT', key);
      await both(ks, diffs, 'STRLEN', key);
    }
    await both(ks, diffs, 'PFCOUNT', 'h100', 'h3000', 'h50000', 'missing');
    await both(ks, diffs, 'PFCOUNT', 'h1', 'h2', 'h7');
    await both(ks, diffs, 'PFMERGE', 'm1', 'h100', 'h400'); // sparse + sparse → sparse
    await both(ks, diffs, 'GET', 'm1');
    await both(ks, diffs, 'PFCOUNT', 'm1');
    await both(ks, diffs, 'PFMERGE', 'm2', 'h100', 'h20000'); // a dense input → dense
    await both(ks, diffs, 'GET', 'm2');
    await both(ks, diffs, 'PFCOUNT', 'm2');
    await both(ks, diffs, 'PFMERGE', 'h7', 'h1', 'h2'); // into an existing sparse key
    await both(ks, diffs, 'GET', 'h7');
    await both(ks, diffs, 'PFMERGE', 'm3');
    await both(ks, diffs, 'GET', 'm3');
    await both(ks, diffs, 'PFMERGE', 'm3', 'missing');
    await both(ks, diffs, 'EXISTS', 'missing');
    assert.equal(diffs, [], diffs.join('\n'));
  });

  test('PFADD growing one key element by element: every reply and the bytes at each step', async () => {
    const ks = new Keyspace();
    await redis.client.send(argv('FLUSHALL'));
    const diffs: string[] = [];
    const rng = new Rng(5);
    for (let i = 0; i < 1500; i++) {
      await both(ks, diffs, 'PFADD', 'g', `x${rng.uint32()}`);
      if (i % 50 === 0) await both(ks, diffs, 'GET', 'g');
    }
    await both(ks, diffs, 'GET', 'g');
    assert.equal(diffs, [], diffs.join('\n'));
  });

  test('HyperLogLog errors and types equal redis-server', async () => {
    const ks = new Keyspace();
    await redis.client.send(argv('FLUSHALL'));
    const diffs: string[] = [];
    const script = [
      'SET str hello', 'PFADD str a', 'PFCOUNT str', 'PFCOUNT h str', 'PFMERGE str h', 'PFMERGE h str', 'SET num 12345', 'PFADD num x',
      'SET fake HYLLxxxxxxxxxxxx', 'PFCOUNT fake', 'LPUSH l a', 'PFADD l a', 'PFCOUNT l', 'PFCOUNT h l', 'PFMERGE l h', 'PFMERGE h l',
      'PFADD', 'PFCOUNT', 'PFMERGE', 'PFADD h a b c', 'TYPE h', 'OBJECT ENCODING h', 'PFCOUNT h', 'APPEND h x', 'PFCOUNT h', 'PFADD h z',
      'DEL h', 'PFADD h a b c d e f g h i j k l m n o p q r s t u v w x y z', 'PFDEBUG DECODE h', 'PFDEBUG ENCODING h', 'PFDEBUG FOO h', 'PFDEBUG GETREG nokey',
      'PFDEBUG FOO nokey', 'PFDEBUG GETREG str', 'PFDEBUG GETREG', 'PFDEBUG GETREG h x', 'PFDEBUG TODENSE h', 'PFDEBUG TODENSE h', 'PFDEBUG ENCODING h',
      'PFDEBUG DECODE h', 'GET h', 'PFDEBUG GETREG h', 'PFADD h2 a', 'PFDEBUG GETREG h2', 'PFDEBUG ENCODING h2', 'GET h2',
      'CONFIG GET hll-sparse-max-bytes', 'CONFIG SET hll-sparse-max-bytes 40', 'PFADD h3 a b c d e f g h i j', 'PFDEBUG ENCODING h3', 'PFADD h4 a b', 'GET h4',
      'PFADD h4 c d e f g h i j k l m n o p', 'PFDEBUG ENCODING h4', 'GET h4', 'CONFIG SET hll-sparse-max-bytes x', 'CONFIG SET hll-sparse-max-bytes 3000',
    ];
    for (const line of script) await both(ks, diffs, ...line.split(' '));
    await redis.client.send(argv('CONFIG', 'SET', 'hll-sparse-max-bytes', '3000'));
    assert.equal(diffs, [], diffs.join('\n'));
  });
}

test.run();
