/**
 * `conclave sim`: longer ensemble swarms from the command line (src/lab/swarm/ensemble-swarm.ts). Runs seeds
 * one after the other with a progress bar, prints a summary (seeds/s, faults injected, elections, writes
 * acknowledged) and, on a failure, the seed, the violation and the replay command; exits non-zero.
 */
import cliProgress from 'cli-progress';
import { EnsembleSwarmViolation, addStats, emptyStats, ensembleSwarmOptions, planFaults, replayCommand, runEnsembleSwarm, type PinnedOptions } from './ensemble-swarm.js';
import { clockSeed, formatSeed, parseSeed } from '../../runtime/sim/sim.js';

export interface SimCommandOptions {
  readonly seeds?: string;
  readonly seed?: string;
  readonly base?: string;
  readonly nodes?: string;
  readonly safetyMs?: string;
  readonly keepGoing?: boolean;
}

/** Seeds the command runs when not told (`--seeds`). */
const seedsDefault = 100;
/** Safety phase of a multi-seed CLI run unless `--safety-ms` says otherwise: longer than the CI test's. */
const cliSafetyMsDefault = 4_000;
/** Failures printed before a `--keep-going` run stops anyway. */
const failuresMax = 20;

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} wants a positive integer, not '${v}'`);
  return n;
}

export async function runSimCommand(opts: SimCommandOptions): Promise<number> {
  const nodes = positive('nodes', opts.nodes);
  if (nodes !== undefined && nodes !== 3 && nodes !== 5) throw new Error('--nodes is 3 or 5');
  const single = opts.seed !== undefined ? parseSeed(opts.seed) : null;
  // A replay (`--seed`) runs the seed's own options, as the test did, unless told otherwise.
  const seedSafetyMs = ensembleSwarmOptions(0).safetyMs;
  const safetyMs = positive('safety-ms', opts.safetyMs) ?? (single !== null ? seedSafetyMs : cliSafetyMsDefault);
  const pinned: PinnedOptions = { ...(nodes !== undefined ? { nodes } : {}), ...(safetyMs !== seedSafetyMs ? { safetyMs } : {}) };
  const count = single !== null ? 1 : (positive('seeds', opts.seeds) ?? seedsDefault);
  const base = single ?? (opts.base !== undefined ? parseSeed(opts.base) : clockSeed());
  const seeds = Array.from({ length: count }, (_, i) => (base + i) >>> 0);
  const out = process.stdout;
  out.write(`conclave sim: ${count} seed${count === 1 ? '' : 's'} from ${formatSeed(base)}, ${nodes ?? '3 or 5'} nodes, safety ${safetyMs} ms + liveness (virtual)\n`);

  const bar = process.stderr.isTTY && count > 1 ? new cliProgress.SingleBar({ format: 'sim [{bar}] {value}/{total} seeds | {rate} seeds/s | {failed} failed', hideCursor: true }, cliProgress.Presets.shades_classic) : null;
  bar?.start(count, 0, { rate: '-', failed: 0 });
  const total = emptyStats();
  const failures: string[] = [];
  const t0 = Date.now();
  let done = 0;
  let lastLineMs = t0;
  for (const seed of seeds) {
    const o = ensembleSwarmOptions(seed, { ...pinned });
    if (single !== null) out.write(`fault plan: ${planFaults(o).length} actions\n`);
    try {
      const { stats } = await runEnsembleSwarm(o, { pinned });
      addStats(total, stats);
      if (single !== null) out.write(`${JSON.stringify(stats)}\n`);
    } catch (e) {
      const msg = e instanceof EnsembleSwarmViolation ? e.message : `seed=${formatSeed(seed)} the run threw: ${(e as Error).stack}\n  replay: ${replayCommand(seed, pinned)}`;
      failures.push(msg);
      bar?.stop();
      out.write(`\nFAILED ${msg}\n`);
      if (!opts.keepGoing || failures.length >= failuresMax) break;
      bar?.start(count, done, { rate: '-', failed: failures.length });
    }
    done++;
    const rate = (done * 1000) / Math.max(1, Date.now() - t0);
    bar?.update(done, { rate: rate.toFixed(1), failed: failures.length });
    if (bar === null && count > 1 && Date.now() - lastLineMs > 5_000) {
      lastLineMs = Date.now();
      out.write(`  ${done}/${count} seeds, ${rate.toFixed(1)} seeds/s, ${failures.length} failed\n`);
    }
  }
  bar?.stop();
  const ms = Date.now() - t0;
  out.write(
    `\n${done} seeds in ${(ms / 1000).toFixed(1)} s (${((done * 1000) / Math.max(1, ms)).toFixed(2)} seeds/s), ${(total.virtualMs / 1000).toFixed(0)} s of virtual time, ${total.steps} steps\n` +
      `  faults injected: ${total.faultsInjected} ${JSON.stringify(total.faultsByKind)}; ${total.crashes} crashes (${total.crashesLosingWrites} lost unsynced writes, ${total.crashesTearing} tore a tail), ${total.recoveries} recoveries\n` +
      `  elections: ${total.elections} started, ${total.leaders} leaders established, ${total.followerAheadAbandons} abandoned for a follower ahead; sync ${JSON.stringify(total.syncModes)}\n` +
      `  writes: ${total.writesIssued} issued, ${total.writesAcked} acknowledged, ${total.writesFailed} failed (outcome unknown), ${total.committed} txns committed; reads: ${total.readsIssued} issued, ${total.readsDone} answered; ${total.watchesFired} watches fired; redis: ${total.redisIssued} commands issued, ${total.redisAnswered} answered\n` +
      `  sessions moved between nodes: ${total.sessionMoves}; writes through the node left refused SESSIONMOVED: ${total.staleWritesRefused}\n` +
      `  longest liveness phase: ${total.livenessMs.toFixed(0)} ms (virtual)\n`,
  );
  if (failures.length > 0) {
    out.write(`${failures.length} FAILED:\n`);
    for (const f of failures) out.write(`  ${f.split('\n').slice(0, 2).join('\n  ')}\n`);
    return 1;
  }
  out.write('all seeds passed\n');
  return 0;
}
