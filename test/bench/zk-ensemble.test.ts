/**
 * `conclave bench zk` end to end on a small scale, conclave side only: three `conclave node zoo.cfg` processes from
 * the bench's zoo.cfg, 1 s per throughput mode, one leader SIGKILL with synchronous writers on the followers, the
 * killed member restarted. Checks that every figure is there and no session expired; no timing assertions.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { measureSystem } from '../../bench/zk.js';

test('conclave ensemble: throughput figures, one failover round, no session expired', async () => {
  const r = await measureSystem('conclave', { clients: 3, window: 4, size: 100, seconds: 1 }, 1);
  assert.ok(r.write.ops > 0 && r.read.ops > 0, `ops ${r.write.ops} / ${r.read.ops}`);
  // Errors are the servers' doing (a leader change under a loaded machine drops connections); they are counted and named.
  assert.ok(r.write.errors + r.read.errors === 0 || r.errorNames.length > 0);
  assert.is(r.rounds.length, 1);
  const round = r.rounds[0]!;
  assert.ok(round.killed !== round.newLeader, JSON.stringify(round));
  assert.ok(round.acks > 0 && round.longestGapMs > 0 && Number.isFinite(round.electedMs), JSON.stringify(round));
  assert.is(r.sessionsExpired, 0);
  assert.ok(r.coldStartMs > 0);
});

test.run();
