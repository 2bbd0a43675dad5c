/**
 * Named regression seeds of the ensemble swarm (src/lab/swarm/ensemble-swarm.ts), each with the options it failed
 * under and why. A seed's run changes whenever the code under it does, so these no longer replay the original
 * failure step by step; they keep the fault mix that found a bug in the suite. Add a seed here with every fix.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensembleSwarmOptions, runEnsembleSwarm, type PinnedOptions } from '../../src/lab/swarm/ensemble-swarm.js';
import { formatSeed } from '../../src/runtime/sim/sim.js';

interface Regression {
  readonly seed: number;
  readonly pinned: PinnedOptions;
  readonly why: string;
}

const regressions: readonly Regression[] = [
  {
    seed: 0x00001151,
    pinned: { safetyMs: 4000 },
    why: 'issue 9: a follower\'s new currentEpoch was durable before the log entries of the same sync; after a crash losing unsynced writes it led and truncated acknowledged history',
  },
  {
    seed: 0x00050090,
    pinned: { safetyMs: 8000 },
    why: 'issue 9: same (epochs durable ahead of the log); also the seed that catches the bug reintroduced after the fix',
  },
  {
    seed: 0x755eb80c,
    pinned: { safetyMs: 2500 },
    why: 'a restarted leader numbered its connections from 1 again: a follower of its new leadership took a Proposal of the old one (held in a clogged network) as its own and applied a txn the new leader never had',
  },
];

for (const r of regressions) {
  test(`ensemble swarm regression ${formatSeed(r.seed)} ${JSON.stringify(r.pinned)}: ${r.why}`, async () => {
    const { stats } = await runEnsembleSwarm(ensembleSwarmOptions(r.seed, { ...r.pinned }), { pinned: r.pinned });
    assert.ok(stats.writesAcked > 0, 'writes acknowledged');
    assert.ok(stats.crashes > 0, 'crashes happened');
  });
}

test.run();
