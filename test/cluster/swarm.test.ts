/**
 * The simulation swarm over the real actors (src/lab/swarm/ensemble-swarm.ts): 3- and 5-node ensembles of
 * storage (WAL, snapshots, recovery on a SimDisk), election, broadcast and the ZooKeeper service under a
 * concurrent client workload, with crashes losing unsynced writes (and torn tails), restarts, partitions, one-way
 * cuts, clogged and slow nodes, loss, duplication and reordering. Invariants are checked at every step; a liveness
 * phase follows.
 *
 * Every run starts from a new base seed (from the clock, printed on the first line), so CI covers new seeds each
 * time; `ENSEMBLE_SWARM_BASE=0x...` repeats a run, `ENSEMBLE_SWARM_SEEDS=n` changes how many seeds run,
 * `ENSEMBLE_SWARM_SAFETY_MS=ms` the fault phase. `SEED=0x1234 npm test -- cluster/swarm` replays one seed at the
 * CI fault phase (as does the printed `npx conclave sim --seed 0x1234 --safety-ms ...`). Named regression seeds
 * live in test/cluster/swarm-regressions.test.ts; the mutations this swarm catches in docs/swarm-mutations.md.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  EnsembleSwarmViolation,
  addStats,
  emptyStats,
  ensembleSwarmOptions,
  planFaults,
  runEnsembleSwarm,
} from '../../src/lab/swarm/ensemble-swarm.js';
import { clockSeed, formatSeed, parseSeed } from '../../src/runtime/sim/sim.js';

const one = process.env.SEED ? parseSeed(process.env.SEED) : null;
const seedsN = Number(process.env.ENSEMBLE_SWARM_SEEDS ?? 600);
const baseSeed = process.env.ENSEMBLE_SWARM_BASE ? parseSeed(process.env.ENSEMBLE_SWARM_BASE) : clockSeed();
/** The seeds' own fault phase (ensembleSwarmOptions) unless told otherwise; a replay command repeats an override. */
const pinned = process.env.ENSEMBLE_SWARM_SAFETY_MS ? { safetyMs: Number(process.env.ENSEMBLE_SWARM_SAFETY_MS) } : {};
const safetyMs = ensembleSwarmOptions(baseSeed, pinned).safetyMs;
console.log(`ensemble swarm: base seed ${formatSeed(baseSeed)} (repeat with ENSEMBLE_SWARM_BASE=${formatSeed(baseSeed)}), safety ${safetyMs} ms`);
/** With at least this many seeds every fault kind and sync mode must have happened (fewer: no coverage claims). */
const coverageSeedsMin = 100;
/** Failures reported before the run stops. */
const failuresMax = 3;

test(one !== null ? `ensemble swarm replays seed ${formatSeed(one)}` : `ensemble swarm: ${seedsN} seeds keep every invariant and converge`, async () => {
  const seeds = one !== null ? [one] : Array.from({ length: seedsN }, (_, i) => (baseSeed + i) >>> 0);
  const total = emptyStats();
  const failures: string[] = [];
  let fiveNode = 0;
  let withObserver = 0;
  const t0 = Date.now();
  for (const seed of seeds) {
    try {
      const { stats } = await runEnsembleSwarm(ensembleSwarmOptions(seed, pinned), { pinned });
      addStats(total, stats);
      if (stats.nodes === 5) fiveNode++;
      if (stats.observers > 0) withObserver++;
    } catch (e) {
      failures.push(e instanceof EnsembleSwarmViolation ? e.message : `seed=${formatSeed(seed)} ${(e as Error).stack}`);
      if (failures.length >= failuresMax) break;
    }
  }
  const ms = Date.now() - t0;
  console.log(
    `ensemble swarm: ${seeds.length} seeds (${fiveNode} with 5 voters, ${withObserver} with an observer) in ${ms} ms (${((seeds.length * 1000) / ms).toFixed(1)} seeds/s), ` +
      `${(total.virtualMs / 1000).toFixed(0)} s virtual, ${total.steps} steps; ${total.faultsInjected} faults ${JSON.stringify(total.faultsByKind)}, ` +
      `${total.crashes} crashes (${total.crashesLosingWrites} lost unsynced writes, ${total.crashesTearing} tore a tail), ${total.recoveries} recoveries, ${total.elections} elections, ${total.leaders} leaders; ` +
      `${total.writesIssued} writes, ${total.writesAcked} acknowledged, ${total.writesFailed} failed, ${total.committed} committed; ${total.readsDone} reads answered, ${total.watchesFired} watches fired; ${total.redisIssued} Redis commands, ${total.redisAnswered} answered; ` +
      `${total.sessionMoves} sessions moved, ${total.staleWritesRefused} writes through the node left refused SESSIONMOVED; ` +
      `sync ${JSON.stringify(total.syncModes)}, ${total.snapshotsInstalled} snapshots installed; longest liveness ${total.livenessMs.toFixed(0)} ms`,
  );
  for (const f of failures) console.log(`FAILED ${f}`);
  assert.equal(failures, []);
  // The run exercised what it claims to.
  assert.ok(total.writesAcked > 0, 'writes acknowledged');
  assert.ok(total.readsDone > 0, 'reads answered');
  assert.ok(total.crashes > 0 && total.recoveries > 0, 'crashes and recoveries');
  if (one === null && seeds.length >= coverageSeedsMin) {
    assert.ok(fiveNode > 0 && fiveNode < seeds.length, 'both 3- and 5-node ensembles');
    assert.ok(withObserver > 0 && withObserver < seeds.length, 'ensembles with and without an observer');
    for (const k of ['kill', 'restart', 'partition', 'cut', 'slow', 'clog', 'net', 'client']) assert.ok((total.faultsByKind[k] ?? 0) > 0, `fault ${k} injected`);
    for (const m of ['DIFF', 'TRUNC', 'SNAP']) assert.ok((total.syncModes[m] ?? 0) > 0, `sync mode ${m} exercised`);
    assert.ok(total.snapshotsInstalled > 0, 'SNAPs installed on followers');
    assert.ok(total.crashesLosingWrites > 0, 'crashes lost unsynced writes');
    assert.ok(total.crashesTearing > 0, 'crashes tore the last record');
    assert.ok(total.sessionMoves > 0 && total.staleWritesRefused > 0, 'sessions moved; stale writes refused');
    assert.ok(total.watchesFired > 0, 'watches fired');
    assert.ok(total.redisAnswered > 0, 'Redis commands answered');
  }
});

test('ensemble swarm: one seed replays exactly (same trace hash, same stats)', async () => {
  const seed = one ?? 0x3c007;
  const o = ensembleSwarmOptions(seed);
  assert.equal(planFaults(o), planFaults(ensembleSwarmOptions(seed)), 'the fault plan is data drawn from the seed');
  const a = await runEnsembleSwarm(o);
  const b = await runEnsembleSwarm(ensembleSwarmOptions(seed));
  assert.is(a.stats.traceHash, b.stats.traceHash);
  assert.equal(a.stats, b.stats);
  assert.ok(a.stats.writesAcked > 0);
  const c = await runEnsembleSwarm(ensembleSwarmOptions(seed + 1));
  assert.is.not(c.stats.traceHash, a.stats.traceHash, 'another seed, another run');
});

/** Run seeds with a deliberately broken storage until the swarm reports a violation; returns its message. */
async function firstCaught(seeds: readonly number[], broken: (seed: number) => Parameters<typeof runEnsembleSwarm>[0]): Promise<string | null> {
  for (const seed of seeds) {
    try {
      await runEnsembleSwarm(broken(seed));
    } catch (e) {
      if (e instanceof EnsembleSwarmViolation) return e.message;
      throw e;
    }
  }
  return null;
}

test('ensemble swarm catches a replica that silently drops a logged txn', async () => {
  const msg = await firstCaught([0x5b0], (seed) => ensembleSwarmOptions(seed, { broken: { node: 'n2', faults: { dropLoggedEntryNth: 5 } } }));
  assert.ok(msg !== null, 'caught');
  console.log(`caught: ${msg!.split('\n')[0]}`);
  assert.match(msg!, /^seed=0x[0-9a-f]{8} /);
  assert.match(msg!, /replay: SEED=0x[0-9a-f]{8} npm test/);
  assert.match(msg!, /diverges from the common history|not in the common history|acknowledged/);
});

test('ensemble swarm catches a storage that acknowledges log writes without fsync (lost on a crash)', async () => {
  const seeds = Array.from({ length: 12 }, (_, i) => 0xf5c0 + i);
  const msg = await firstCaught(seeds, (seed) => {
    const o = ensembleSwarmOptions(seed, { nodes: 3, broken: { faults: { ackWithoutFsync: true } }, segmentBytesMax: 64 << 20, snapshotEveryTxns: 100_000 });
    return { ...o, faults: { ...o.faults, downMax: 3, weights: { crash: 6, crashInWindow: 0, bounce: 2, partition: 2, cut: 1, clog: 1, slow: 0, net: 1, client: 0 } } };
  });
  assert.ok(msg !== null, 'caught within 12 seeds');
  console.log(`caught: ${msg!.split('\n')[0]}`);
  assert.match(msg!, /^seed=0x[0-9a-f]{8} /);
});

test('ensemble swarm: a follower resynced from an older snapshot neither re-fires watches nor answers reads from the older state', async () => {
  // Found by the watch-order check: these seeds failed when the zookeeper actor fired watches again for the txns
  // it re-applied after a SNAP older than the state it had shown (docs/swarm-mutations.md).
  for (const seed of [0x60021, 0x60055]) {
    const { stats } = await runEnsembleSwarm(ensembleSwarmOptions(seed));
    assert.ok(stats.watchesFired > 0 && stats.snapshotsInstalled > 0, `seed ${formatSeed(seed)} fired watches and installed snapshots`);
  }
});

test.run();
