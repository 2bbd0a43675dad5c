/**
 * `conclave bench redis`: Debian's `redis-benchmark` (7.0.15) against a 3-member conclave ensemble (`conclave node
 * zoo.cfg` processes with `redisPort=`) and against one `redis-server` with its default persistence (RDB snapshots,
 * no AOF) and with `appendonly yes, appendfsync always`, one system after the other in the same run: SET, GET,
 * INCR, MSET (10 keys) at `-c 50` and at `-c 50 -P 16`; ops/s, p50 and p99 per test, the median of `--rounds` runs,
 * and conclave's ratio to each redis-server (>1 = conclave better: ops/s conclave/Redis, latencies Redis/conclave).
 *
 * conclave acknowledges a write once a quorum has fsynced it; reads are linearizable (a sync marker through the
 * leader per batch). The benchmark connects to one member (`--node follower`, the default: writes are forwarded
 * to the leader, as for two connections in three; or `--node leader`).
 *
 * Options: --system conclave|redis|both (both), --requests N per test and run (30,000), --rounds N (3),
 * --node follower|leader. Every redis-benchmark run is killed after `runTimeoutMs`. Skips with a note when
 * redis-benchmark (redis-tools) is missing; measures conclave alone when redis-server is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ensemble } from './zk-ensembles.js';
import { sleep } from './zk-wire.js';
import { fmt, printTable, progress, saveResult } from './report.js';
import { freePorts } from '../src/runtime/tcp/ports.js';

export const redisBenchmarkPath = '/usr/bin/redis-benchmark';
export const redisServerPath = '/usr/bin/redis-server';
/** The tests, as redis-benchmark names them in its CSV. */
export const redisTests = ['SET', 'GET', 'INCR', 'MSET (10 keys)', 'ZADD'] as const;
const testFlag = 'set,get,incr,mset,zadd';
const clients = 50;
const pipeline = 16;
const requestsMax = 1_000_000;
const requestsDefault = 30_000;
const roundsMax = 9;
const roundsDefault = 3;
/** One redis-benchmark run (all its tests) at most; past it the run is killed and counted as failed. */
export const runTimeoutMs = 240_000;
/** redis-server answering PING after its start, at most. */
const redisStartWaitMs = 10_000;
const redisStopGraceMs = 10_000;

export type Target = 'conclave' | 'redis-default' | 'redis-fsync-always';
export type Mode = 'c50' | 'c50-P16';
export interface TestFigures {
  readonly opsPerSec: number;
  readonly p50ms: number;
  readonly p99ms: number;
}
/** target → mode → test → median figures over the rounds. */
export type Results = Partial<Record<Target, Record<Mode, Record<string, TestFigures>>>>;

const modes: readonly { readonly mode: Mode; readonly args: readonly string[] }[] = [
  { mode: 'c50', args: ['-c', String(clients)] },
  { mode: 'c50-P16', args: ['-c', String(clients), '-P', String(pipeline)] },
];

/** Parse redis-benchmark's `--csv` output: test → figures. */
export function parseCsv(text: string): Map<string, TestFigures> {
  const out = new Map<string, TestFigures>();
  for (const line of text.split('\n')) {
    const cells = line.trim().match(/"([^"]*)"/g)?.map((c) => c.slice(1, -1));
    if (cells === undefined || cells.length < 8 || cells[0] === 'test') continue;
    out.set(cells[0]!, { opsPerSec: Number(cells[1]), p50ms: Number(cells[4]), p99ms: Number(cells[6]) });
  }
  return out;
}

function runBenchmark(port: number, requests: number, args: readonly string[]): Promise<Map<string, TestFigures>> {
  return new Promise((resolve, reject) => {
    const p = spawn(redisBenchmarkPath, ['-h', '127.0.0.1', '-p', String(port), '--csv', '-n', String(requests), '-t', testFlag, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (err += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), runTimeoutMs);
    p.on('error', (e) => (clearTimeout(timer), reject(e)));
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(parseCsv(out));
      else reject(new Error(`redis-benchmark ${signal === 'SIGKILL' ? `killed after ${runTimeoutMs} ms` : `exited ${code ?? signal}`}: ${err.trim().slice(0, 300)}`));
    });
  });
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)]!;
};

/** Every mode, `rounds` times (rounds interleaved with the modes), medians per test. */
async function measure(target: Target, port: number, requests: number, rounds: number): Promise<Record<Mode, Record<string, TestFigures>>> {
  const runs: Record<Mode, Map<string, TestFigures>[]> = { c50: [], 'c50-P16': [] };
  for (let r = 1; r <= rounds; r++) {
    for (const m of modes) {
      const t0 = performance.now();
      const res = await runBenchmark(port, requests, m.args);
      runs[m.mode].push(res);
      progress(`${target}: round ${r}/${rounds} ${m.mode}: ${redisTests.map((t) => `${t.split(' ')[0]} ${fmt(res.get(t)?.opsPerSec ?? Number.NaN)}/s`).join(', ')} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
  }
  const out = {} as Record<Mode, Record<string, TestFigures>>;
  for (const m of modes) {
    out[m.mode] = {};
    for (const t of redisTests) {
      const xs = runs[m.mode].map((x) => x.get(t)).filter((x): x is TestFigures => x !== undefined);
      out[m.mode][t] = { opsPerSec: median(xs.map((x) => x.opsPerSec)), p50ms: median(xs.map((x) => x.p50ms)), p99ms: median(xs.map((x) => x.p99ms)) };
    }
  }
  return out;
}

async function measureConclave(requests: number, rounds: number, node: 'leader' | 'follower'): Promise<{ figures: Record<Mode, Record<string, TestFigures>>; role: string }> {
  progress('conclave: starting a 3-member ensemble (conclave node processes, redisPort=)');
  const ens = new Ensemble('conclave', [], true);
  let ok = false;
  try {
    const ms = await ens.start((why) => progress(`conclave: start failed (${why}); again on fresh ports`));
    const leader = await ens.leader();
    const i = node === 'leader' ? leader : [0, 1, 2].find((x) => x !== leader)!;
    progress(`conclave: serving after ${Math.round(ms)} ms; redis-benchmark → member ${i + 1} (${node}), port ${ens.redisPorts[i]}`);
    const figures = await measure('conclave', ens.redisPorts[i]!, requests, rounds);
    ok = true;
    return { figures, role: node };
  } finally {
    await ens.stop(!ok);
    if (!ok) progress(`conclave: failed; member logs kept in ${ens.base}`);
  }
}

async function measureRedis(target: Exclude<Target, 'conclave'>, requests: number, rounds: number): Promise<Record<Mode, Record<string, TestFigures>>> {
  const dir = mkdtempSync(join(tmpdir(), 'conclave-bench-redis-'));
  const [port] = await freePorts(1);
  // no --save: redis-server's default snapshots (3600 1 300 100 60 10000), as a server started without a config
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no', ...(target === 'redis-fsync-always' ? ['--appendonly', 'yes', '--appendfsync', 'always'] : [])];
  progress(`${target}: redis-server ${args.slice(8).join(' ') || '(default persistence)'} on port ${port}`);
  const proc = spawn(redisServerPath, args, { stdio: 'ignore' });
  const killOnExit = (): void => void proc.kill('SIGKILL');
  process.once('exit', killOnExit);
  try {
    const t0 = performance.now();
    while (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() !== 'PONG') {
      if (performance.now() - t0 > redisStartWaitMs || proc.exitCode !== null) throw new Error(`${target}: redis-server did not answer PING within ${redisStartWaitMs} ms`);
      await sleep(50);
    }
    return await measure(target, port!, requests, rounds);
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), redisStopGraceMs);
      await exited;
      clearTimeout(t);
    }
    process.removeListener('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** conclave / Redis for ops/s, Redis / conclave for latencies: > 1 = conclave better. */
export function ratio(conclave: number, redis: number, higher: boolean): number {
  if (!(conclave > 0) || !(redis > 0)) return Number.NaN;
  return Number((higher ? conclave / redis : redis / conclave).toFixed(3));
}

const bounded = (v: unknown, dflt: number, max: number): number => {
  const n = Math.floor(Number(v ?? dflt));
  return Number.isFinite(n) && n > 0 ? Math.min(max, n) : dflt;
};

export async function runRedisBench(opts: Record<string, unknown> = {}): Promise<void> {
  const requests = bounded(opts.requests, requestsDefault, requestsMax);
  const rounds = bounded(opts.rounds, roundsDefault, roundsMax);
  const which = String(opts.system ?? 'both');
  const node = String(opts.node ?? 'follower');
  if (!['conclave', 'redis', 'both'].includes(which) || !['leader', 'follower'].includes(node)) {
    process.stderr.write(`--system: conclave | redis | both, not '${which}'; --node: leader | follower, not '${node}'\n`);
    process.exitCode = 2;
    return;
  }
  if (spawnSync(redisBenchmarkPath, ['--version']).status !== 0) {
    progress(`redis-benchmark not found (${redisBenchmarkPath}; apt-get install redis-tools): bench redis skipped`);
    return;
  }
  const targets: Target[] = [];
  if (which !== 'redis') targets.push('conclave');
  if (which !== 'conclave') {
    if (spawnSync(redisServerPath, ['--version']).status === 0) targets.push('redis-default', 'redis-fsync-always');
    else progress(`redis-server not found (${redisServerPath}; apt-get install redis-server): measuring conclave alone`);
  }
  const results: Results = {};
  let role = '';
  for (const t of targets) {
    if (t === 'conclave') {
      const r = await measureConclave(requests, rounds, node as 'leader' | 'follower');
      results.conclave = r.figures;
      role = r.role;
    } else results[t] = await measureRedis(t, requests, rounds);
  }

  const c = results.conclave;
  const ratios: Record<string, Record<string, Record<string, TestFigures>>> = {};
  for (const mode of modes.map((m) => m.mode)) {
    const rows: (string | number)[][] = [];
    for (const test of redisTests) {
      const row: (string | number)[] = [test];
      for (const t of targets) {
        const f = results[t]![mode][test]!;
        row.push(f.opsPerSec, f.p50ms, f.p99ms);
      }
      if (c !== undefined) {
        for (const base of ['redis-default', 'redis-fsync-always'] as const) {
          const b = results[base];
          if (b === undefined) continue;
          const x = c[mode][test]!;
          const y = b[mode][test]!;
          const r = { opsPerSec: ratio(x.opsPerSec, y.opsPerSec, true), p50ms: ratio(x.p50ms, y.p50ms, false), p99ms: ratio(x.p99ms, y.p99ms, false) };
          ((ratios[base] ??= {})[mode] ??= {})[test] = r;
          row.push(`${fmt(r.opsPerSec)}x`);
        }
      }
      rows.push(row);
    }
    const header = ['test', ...targets.flatMap((t) => [`${t} ops/s`, 'p50 ms', 'p99 ms']), ...(c !== undefined ? targets.filter((t) => t !== 'conclave').map((t) => `ops vs ${t}`) : [])];
    printTable(`redis-benchmark ${mode === 'c50' ? `-c ${clients}` : `-c ${clients} -P ${pipeline}`} -n ${requests}, median of ${rounds}${c !== undefined ? `; conclave: 3 members, benchmark on the ${role}` : ''}`, header, rows);
  }
  if (c !== undefined && Object.keys(ratios).length > 0) process.stdout.write('\nratios: ops/s conclave/Redis, latencies Redis/conclave (> 1 = conclave better)\n');
  saveResult(which === 'both' ? 'redis' : `redis-${which}`, { requests, rounds, clients, pipeline, conclaveNode: role || undefined, targets, results, ...(Object.keys(ratios).length > 0 ? { conclaveRatio: ratios } : {}) });
}
