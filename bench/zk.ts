/**
 * `conclave bench zk`: one load generator (our jute codec over TCP, in its own process) against a 3-member
 * conclave ensemble (`conclave node zoo.cfg` processes) and, when Debian's `zookeeper` is installed, a 3-member
 * Apache ZooKeeper ensemble started from the same zoo.cfg text, one system after the other in the same run.
 *
 * Per system: writes/s and reads/s with p50/p99 (peers.md's reference workload: 8 sessions spread over the three
 * servers, 32 outstanding each, 100-byte znodes, setData / getData), then `rounds` leader failovers: synchronous
 * writes from one session on each follower, SIGKILL of the leader (found with `srvr`), the longest gap between
 * successive acknowledged writes, kill → a new leader answering `srvr`, whether a session expired; the killed
 * member is restarted and must rejoin before the next round. Finally a table with both systems and, per figure,
 * conclave's advantage factor (>1 = conclave better; ops/s: conclave/ZooKeeper, latencies and gaps:
 * ZooKeeper/conclave).
 *
 * Options: --system conclave|zookeeper|both (default both), --seconds N (6), --clients N (8), --window N (32),
 * --rounds N (3), --busy-loops N (0: CPU-bound processes running beside both systems the whole time, to compare
 * them under load). Results: `zk.json`; `zk-<system>.json` for one system, `-busy-<N>` added under load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Ensemble, zookeeperInstalled, type System } from './zk-ensembles.js';
import { LoadChild, type FailoverSummary, type LoadSpec, type ModeResult } from './zk-load.js';
import { sleep, wallNowMs } from './zk-wire.js';
import { fmt, percentile, printTable, progress, saveResult } from './report.js';

const secondsMax = 120;
const clientsMax = 64;
const windowMax = 1_024;
export const roundsMax = 20;
/** --busy-loops at most. */
export const busyLoopsMax = 64;
const valueBytes = 100;
/** Failover round phases. */
const steadyBeforeKillMs = 1_500;
const steadyAfterResumeMs = 1_000;
/** A round fails when no new leader answers `srvr`, or writes do not resume, within this. */
const failoverWaitMaxMs = 30_000;
const rejoinWaitMaxMs = 60_000;
const resumePollMs = 10;
/** Pause after a member rejoined, before the next round (lets it settle as a follower). */
const settleAfterRejoinMs = 1_000;

export interface FailoverRound {
  readonly round: number;
  readonly killed: number;
  readonly newLeader: number;
  /** SIGKILL → a surviving member answers `srvr` with `Mode: leader`. */
  readonly electedMs: number;
  readonly longestGapMs: number;
  readonly gapStartsAfterKillMs: number;
  readonly rejoinMs: number;
  readonly acks: number;
  readonly reconnects: number;
  readonly sessionsExpired: number;
}

export interface SystemResult {
  readonly system: System;
  readonly coldStartMs: number;
  readonly write: ModeResult;
  readonly read: ModeResult;
  readonly errorNames: readonly string[];
  /** New zxid epochs seen across the throughput runs (leader changes nobody caused). */
  readonly throughputLeaderChanges: number;
  readonly rounds: readonly FailoverRound[];
  readonly failoverGapMs: Summary;
  readonly electedMs: Summary;
  readonly sessionsExpired: number;
}

export interface Summary {
  readonly median: number;
  readonly worst: number;
}

const r1 = (x: number): number => Number(x.toFixed(1));

export function summarize(xs: readonly number[]): Summary {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return { median: r1(percentile(s, 50)), worst: r1(s[s.length - 1] ?? Number.NaN) };
}

async function failoverRound(ens: Ensemble, gen: LoadChild, round: number): Promise<FailoverRound> {
  const { leader: old } = await ens.waitLeader([0, 1, 2], failoverWaitMaxMs);
  const followers = [0, 1, 2].filter((i) => i !== old);
  await gen.failoverStart({ servers: ens.servers, size: valueBytes, parent: '/bench-zk-failover' }, followers, round);
  let summary: FailoverSummary;
  let electedMs = Number.NaN;
  let newLeader = -1;
  let killWallMs = Number.NaN;
  try {
    await sleep(steadyBeforeKillMs);
    killWallMs = wallNowMs();
    const killPerf = performance.now();
    await ens.kill(old);
    const l = await ens.waitLeader(followers, failoverWaitMaxMs);
    newLeader = l.leader;
    electedMs = performance.now() - killPerf;
    // Writes resumed: every writer has an acknowledgement after the kill.
    for (;;) {
      const p = await gen.failoverProgress();
      if (p.lastAckWallMs.every((t) => t > killWallMs)) break;
      if (performance.now() - killPerf > failoverWaitMaxMs) throw new Error(`${ens.system} round ${round}: writes did not resume within ${failoverWaitMaxMs} ms`);
      await sleep(resumePollMs);
    }
    await sleep(steadyAfterResumeMs);
  } finally {
    summary = await gen.failoverStop();
  }
  if (summary.failures.length > 0) throw new Error(`${ens.system} round ${round}: ${summary.failures.join('; ')}`);
  const rejoinMs = await ens.restart(old, rejoinWaitMaxMs);
  await sleep(settleAfterRejoinMs);
  return {
    round,
    killed: old + 1,
    newLeader: newLeader + 1,
    electedMs: r1(electedMs),
    longestGapMs: r1(summary.longestGapMs),
    gapStartsAfterKillMs: r1(summary.gapStartWallMs - killWallMs),
    rejoinMs: r1(rejoinMs),
    acks: summary.acks,
    reconnects: summary.reconnects,
    sessionsExpired: summary.sessionsExpired,
  };
}

/** Start one system's ensemble, run the throughput modes and the failover rounds, stop it. */
export async function measureSystem(system: System, load: Omit<LoadSpec, 'servers' | 'parent'>, rounds: number): Promise<SystemResult> {
  progress(`${system}: starting a 3-member ensemble`);
  const ens = new Ensemble(system);
  const gen = new LoadChild((text) => progress(`${system}: ${text}`));
  let ok = false;
  try {
    const coldStartMs = await ens.start((why) => progress(`${system}: start failed (${why}); again on fresh ports`));
    progress(`${system}: serving after ${Math.round(coldStartMs)} ms (members ${ens.servers.map((s) => s.port).join(', ')})`);
    const epochBefore = await ens.epoch();
    const tp = await gen.throughput({ ...load, servers: ens.servers, parent: '/bench-zk' });
    // A leader change under load (no fault injected) shows as a newer zxid epoch; it costs connection losses.
    const throughputLeaderChanges = Math.max(0, (await ens.epoch()) - epochBefore);
    if (throughputLeaderChanges > 0) progress(`${system}: the leader changed ${throughputLeaderChanges} time(s) during the throughput runs`);
    const perRound: FailoverRound[] = [];
    for (let r = 1; r <= rounds; r++) {
      const res = await failoverRound(ens, gen, r);
      perRound.push(res);
      progress(
        `${system}: round ${r}/${rounds}: killed member ${res.killed} → ${res.newLeader} answers srvr as leader after ${res.electedMs.toFixed(0)} ms, ` +
          `longest write gap ${res.longestGapMs.toFixed(0)} ms (from +${res.gapStartsAfterKillMs.toFixed(0)} ms), rejoined in ${res.rejoinMs.toFixed(0)} ms, ` +
          `${res.sessionsExpired} sessions expired`,
      );
    }
    ok = true;
    return {
      system,
      coldStartMs: r1(coldStartMs),
      write: tp.write,
      read: tp.read,
      errorNames: tp.errorNames,
      throughputLeaderChanges,
      rounds: perRound,
      failoverGapMs: summarize(perRound.map((r) => r.longestGapMs)),
      electedMs: summarize(perRound.map((r) => r.electedMs)),
      sessionsExpired: perRound.reduce((a, r) => a + r.sessionsExpired, 0),
    };
  } finally {
    await gen.close();
    await ens.stop(!ok);
    if (!ok) progress(`${system}: failed; member logs kept in ${ens.base}`);
  }
}

/** conclave's advantage: >1 = conclave better. `higher`: the figure is better when higher (ops/s). */
export function advantage(conclave: number, zookeeper: number, higher: boolean): number {
  if (!Number.isFinite(conclave) || !Number.isFinite(zookeeper) || conclave <= 0 || zookeeper <= 0) return Number.NaN;
  return Number((higher ? conclave / zookeeper : zookeeper / conclave).toFixed(2));
}

interface Figure {
  readonly name: string;
  readonly higherIsBetter: boolean;
  readonly of: (r: SystemResult) => number;
}

export const figures: readonly Figure[] = [
  { name: 'writes/s', higherIsBetter: true, of: (r) => r.write.opsPerSec },
  { name: 'write p50 ms', higherIsBetter: false, of: (r) => r.write.p50ms },
  { name: 'write p99 ms', higherIsBetter: false, of: (r) => r.write.p99ms },
  { name: 'reads/s', higherIsBetter: true, of: (r) => r.read.opsPerSec },
  { name: 'read p50 ms', higherIsBetter: false, of: (r) => r.read.p50ms },
  { name: 'read p99 ms', higherIsBetter: false, of: (r) => r.read.p99ms },
  { name: 'failover: longest write gap, median ms', higherIsBetter: false, of: (r) => r.failoverGapMs.median },
  { name: 'failover: longest write gap, worst ms', higherIsBetter: false, of: (r) => r.failoverGapMs.worst },
  { name: 'failover: kill → new leader answers srvr, median ms', higherIsBetter: false, of: (r) => r.electedMs.median },
  { name: 'failover: kill → new leader answers srvr, worst ms', higherIsBetter: false, of: (r) => r.electedMs.worst },
  { name: 'cold start → all members serve, ms', higherIsBetter: false, of: (r) => r.coldStartMs },
];

const bounded = (v: unknown, dflt: number, max: number): number => {
  const n = Math.floor(Number(v ?? dflt));
  return Number.isFinite(n) && n > 0 ? Math.min(max, n) : dflt;
};

/** CPU-bound child processes (each a `for (;;)` loop) for the length of a run; `stop()` kills them. */
class BusyLoops {
  private readonly procs: ChildProcess[] = [];
  private readonly onExit = (): void => this.stop();
  constructor(count: number) {
    for (let i = 0; i < count; i++) this.procs.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    process.once('exit', this.onExit);
  }
  stop(): void {
    for (const p of this.procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    process.removeListener('exit', this.onExit);
  }
}

export async function runZkBench(opts: Record<string, unknown> = {}): Promise<void> {
  const load = {
    clients: bounded(opts.clients, 8, clientsMax),
    window: bounded(opts.window, 32, windowMax),
    size: valueBytes,
    seconds: bounded(opts.seconds, 6, secondsMax),
  };
  const rounds = bounded(opts.rounds, 3, roundsMax);
  const which = String(opts.system ?? 'both');
  if (!['conclave', 'zookeeper', 'both'].includes(which)) {
    process.stderr.write(`--system: conclave | zookeeper | both, not '${which}'\n`);
    process.exitCode = 2;
    return;
  }
  const busyLoops = opts.busyLoops === undefined ? 0 : Math.floor(Number(opts.busyLoops));
  if (!(Number.isInteger(busyLoops) && busyLoops >= 0 && busyLoops <= busyLoopsMax)) {
    process.stderr.write(`--busy-loops: 0 to ${busyLoopsMax}, not '${String(opts.busyLoops)}'\n`);
    process.exitCode = 2;
    return;
  }
  const loops = new BusyLoops(busyLoops);
  if (busyLoops > 0) progress(`${busyLoops} busy loops running beside the systems`);
  try {
    await runSystems(load, rounds, which, busyLoops);
  } finally {
    loops.stop();
  }
}

async function runSystems(load: Omit<LoadSpec, 'servers' | 'parent'>, rounds: number, which: string, busyLoops: number): Promise<void> {
  const systems: System[] = [];
  if (which !== 'zookeeper') systems.push('conclave');
  if (which !== 'conclave') {
    if (zookeeperInstalled()) systems.push('zookeeper');
    else progress(`zookeeper: not installed (no /usr/share/java/zookeeper.jar; apt-get install zookeeper), skipped`);
  }
  const results: Partial<Record<System, SystemResult>> = {};
  for (const s of systems) results[s] = await measureSystem(s, load, rounds);

  const c = results.conclave;
  const z = results.zookeeper;
  const header = ['figure', ...systems.map((s) => s), ...(c && z ? ['conclave advantage'] : [])];
  const rows = figures.map((f) => {
    const row: (string | number)[] = [`${f.name} (${f.higherIsBetter ? 'higher' : 'lower'} is better)`];
    for (const s of systems) row.push(f.of(results[s]!));
    if (c && z) row.push(`${fmt(advantage(f.of(c), f.of(z), f.higherIsBetter))}x`);
    return row;
  });
  rows.push(['sessions expired across failovers', ...systems.map((s) => String(results[s]!.sessionsExpired)), ...(c && z ? [''] : [])]);
  rows.push(['leader changes during the throughput runs', ...systems.map((s) => String(results[s]!.throughputLeaderChanges)), ...(c && z ? [''] : [])]);
  rows.push(['errors (write / read)', ...systems.map((s) => `${results[s]!.write.errors} / ${results[s]!.read.errors}`), ...(c && z ? [''] : [])]);
  for (const s of systems) {
    printTable(
      `${s}: failover rounds (synchronous writes from a session on each follower, leader SIGKILLed)`,
      ['round', 'killed', 'new leader', 'srvr leader ms', 'longest gap ms', 'gap from +ms', 'rejoin ms', 'writes', 'reconnects', 'expired'],
      results[s]!.rounds.map((r) => [String(r.round), String(r.killed), String(r.newLeader), r.electedMs, r.longestGapMs, r.gapStartsAfterKillMs, r.rejoinMs, String(r.acks), String(r.reconnects), String(r.sessionsExpired)]),
    );
  }
  printTable(
    `ZooKeeper wire protocol, 3 members on loopback, same generator: ${load.clients} sessions x ${load.window} outstanding, ${load.size}-byte znodes, ${load.seconds} s per mode, ${rounds} leader kills` +
      (busyLoops > 0 ? `, ${busyLoops} busy loops beside` : '') +
      (c && z ? '\nconclave advantage: >1 = conclave better (ops/s: conclave/ZooKeeper; ms: ZooKeeper/conclave)' : ''),
    header,
    rows,
  );
  const advantages = c && z ? Object.fromEntries(figures.map((f) => [f.name, advantage(f.of(c), f.of(z), f.higherIsBetter)])) : undefined;
  // a one-system run or a loaded run never overwrites the side-by-side figures of zk.json
  const resultName = `zk${which === 'both' ? '' : `-${which}`}${busyLoops > 0 ? `-busy-${busyLoops}` : ''}`;
  saveResult(resultName, { ...load, rounds, busyLoops, systems, results, ...(advantages ? { conclaveAdvantage: advantages } : {}) });
}
