/**
 * No client bytes crash the keyspace: every command in the table with random arguments (odd numbers, options,
 * binary, empty) through normalize + apply (in and outside EXEC) and read gives a Reply, never a throw, and two
 * replicas stay equal. Bounded: `fuzzRunsMax` scripts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type { Argv } from '../../src/protocol/resp.js';
import { Keyspace, keyspaceCommands, normalize } from '../../src/core/keyspace/index.js';
import { argv, show } from './harness.js';

const fuzzRunsMax = 300;
const T0 = 1_700_000_000_000;
const names = [...keyspaceCommands.keys()];
const word = fc.oneof(
  fc.constantFrom('k', 'a', '0', '1', '-1', '7', '#3', 'i8', 'u63', 'u64', 'i65', 'NX', 'XX', 'GT', 'LT', 'EX', 'PX', 'EXAT', 'PXAT', 'KEEPTTL',
    'PERSIST', 'GET', 'SET', 'INCRBY', 'OVERFLOW', 'FAIL', 'SAT', 'BIT', 'BYTE', 'IDX', 'LEN', 'MINMATCHLEN', 'WITHMATCHLEN', 'MATCH', 'COUNT', 'TYPE',
    'REPLACE', 'ABSTTL', 'DB', '15', '16', '9223372036854775807', '-9223372036854775808', '18446744073709551616', 'inf', '1e400', '0x1p9', '[a-', '*?\\',
    '4294967295', '536870911', ''),
  fc.string({ maxLength: 6 }),
);
const cmd = fc.tuple(fc.constantFrom(...names), fc.array(word, { maxLength: 6 }));

test('random arguments to every command: replies, no throws, replicas equal', () => {
  fc.assert(
    fc.property(fc.array(cmd, { minLength: 1, maxLength: 25 }), fc.integer({ min: 0, max: 15 }), (cmds, db) => {
      const x = new Keyspace();
      const y = new Keyspace();
      cmds.forEach(([name, args], i) => {
        const a = argv(name, ...args);
        const spec = keyspaceCommands.get(name)!;
        if (spec.kind === 'read') {
          assert.ok(typeof x.read(db, a, T0 + i, 0.5).kind === 'string');
          return;
        }
        const n = normalize(a, T0 + i);
        const logged: Argv = Array.isArray(n) ? (n as Argv) : a; // apply copes with unnormalised argv too
        const txn = { type: 'RedisCommands' as const, db, timeMs: T0 + i, commands: [logged, argv('DBSIZE')], exec: i % 2 === 0, watched: [] };
        assert.is(show(x.apply(txn).reply), show(y.apply(txn).reply));
      });
      assert.is(x.digest(), y.digest());
    }),
    { numRuns: fuzzRunsMax },
  );
});

test.run();
