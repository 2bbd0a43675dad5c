/**
 * `conclave bench throughput`: ZooKeeper-style writes/s and reads/s with many outstanding requests, p50/p99
 * latency, on the embedded cluster (worker threads, one process) and on a 3-node ensemble of separate processes
 * (tcp runtime), measured in the same run.
 *
 * Workload (as the ZooKeeper reference in shared/spec/peers.md): `clients` sessions spread over the three nodes,
 * each keeping `window` requests outstanding, 100-byte values on one znode per client under one parent; `setData`
 * for the write mode, `getData` for the read mode, `seconds` per mode, after a short warm-up.
 * Options: --runtime threads|tcp|both (default both), --seconds N (default 6), --clients N (8), --window N (32).
 */
import { createCluster, ZkError, ZkUnavailableError, type Cluster, type ZkClient } from '../src/cluster.js';
import { fmt, percentile, printTable, progress, saveResult } from './report.js';

/** Bounds of one mode: operations at most (besides the time bound), and latency samples kept. */
export const opsPerModeMax = 2_000_000;
const latencySamplesMax = 1_000_000;
const warmupMs = 1_000;
const secondsMax = 120;
const clientsMax = 64;
const windowMax = 1024;
const leaderWaitMs = 20_000;

export interface ModeResult {
  readonly mode: 'write' | 'read';
  readonly ops: number;
  readonly errors: number;
  readonly seconds: number;
  readonly opsPerSec: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly maxms: number;
}

interface Load {
  readonly clients: number;
  readonly window: number;
  readonly size: number;
  readonly seconds: number;
}

/**
 * Run one mode: every client keeps `window` requests in flight until `durationMs` has passed or `opsPerModeMax`
 * operations have completed. Latencies are recorded only when `record` is set (not during warm-up).
 */
async function drive(clients: readonly ZkClient[], load: Load, mode: 'write' | 'read', durationMs: number, record: boolean): Promise<ModeResult> {
  const payload = new Uint8Array(load.size).fill(0x62);
  const lat: number[] = [];
  let ops = 0;
  let errors = 0;
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  const lane = async (c: ZkClient, path: string): Promise<void> => {
    while (performance.now() < deadline && ops + errors < opsPerModeMax) {
      const s = performance.now();
      try {
        if (mode === 'write') await c.setData(path, payload);
        else await c.getData(path);
        ops++;
        if (record && lat.length < latencySamplesMax) lat.push(performance.now() - s);
      } catch (e) {
        if (!(e instanceof ZkUnavailableError) && !(e instanceof ZkError)) throw e;
        errors++;
      }
    }
  };
  const lanes: Promise<void>[] = [];
  clients.forEach((c, i) => {
    for (let w = 0; w < load.window; w++) lanes.push(lane(c, `/tp/c${i}`));
  });
  await Promise.all(lanes);
  const seconds = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return {
    mode,
    ops,
    errors,
    seconds: Number(seconds.toFixed(2)),
    opsPerSec: Math.round(ops / seconds),
    p50ms: Number(percentile(lat, 50).toFixed(2)),
    p99ms: Number(percentile(lat, 99).toFixed(2)),
    maxms: Number((lat[lat.length - 1] ?? Number.NaN).toFixed(2)),
  };
}

/** Start a 3-node cluster on `runtime`, measure writes then reads, close it. */
export async function measureRuntime(runtime: 'threads' | 'tcp', load: Load): Promise<{ write: ModeResult; read: ModeResult; leader: string }> {
  progress(`${runtime}: starting a 3-node cluster`);
  const cluster: Cluster = await createCluster({ nodes: 3, runtime });
  try {
    const leader = await cluster.waitForLeader(leaderWaitMs);
    const clients: ZkClient[] = [];
    for (let i = 0; i < load.clients; i++) clients.push(await cluster.client({ node: cluster.nodes[i % cluster.nodes.length]! }));
    const payload = new Uint8Array(load.size).fill(0x61);
    await clients[0]!.create('/tp');
    for (let i = 0; i < load.clients; i++) await clients[0]!.create(`/tp/c${i}`, payload);
    for (const c of clients) await c.sync();
    const out: Partial<Record<'write' | 'read', ModeResult>> = {};
    for (const mode of ['write', 'read'] as const) {
      progress(`${runtime}: ${mode} warm-up ${warmupMs} ms`);
      await drive(clients, load, mode, warmupMs, false);
      progress(`${runtime}: ${mode} ${load.clients} clients x ${load.window} outstanding for ${load.seconds} s`);
      const r = await drive(clients, load, mode, load.seconds * 1000, true);
      progress(`${runtime}: ${mode} ${r.opsPerSec} ops/s, p50 ${r.p50ms} ms, p99 ${r.p99ms} ms, ${r.errors} errors`);
      out[mode] = r;
    }
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    return { write: out.write!, read: out.read!, leader };
  } finally {
    await cluster.close();
  }
}

const bounded = (v: unknown, dflt: number, max: number): number => {
  const n = Number(v ?? dflt);
  return Number.isFinite(n) && n > 0 ? Math.min(max, n) : dflt;
};

export async function runThroughputBench(opts: Record<string, unknown> = {}): Promise<void> {
  const load: Load = {
    clients: bounded(opts.clients, 8, clientsMax),
    window: bounded(opts.window, 32, windowMax),
    size: 100,
    seconds: bounded(opts.seconds, 6, secondsMax),
  };
  const which = String(opts.runtime ?? 'both');
  const runtimes: ('threads' | 'tcp')[] = which === 'both' ? ['threads', 'tcp'] : which === 'tcp' ? ['tcp'] : ['threads'];
  const results: Record<string, { write: ModeResult; read: ModeResult }> = {};
  for (const rt of runtimes) {
    const r = await measureRuntime(rt, load);
    results[rt] = { write: r.write, read: r.read };
  }
  const rows: (string | number)[][] = [];
  for (const [rt, r] of Object.entries(results)) {
    for (const m of [r.write, r.read]) rows.push([`${rt} ${m.mode}`, m.opsPerSec, m.p50ms, m.p99ms, m.maxms, m.ops, String(m.errors)]);
  }
  rows.push(['zookeeper 3.8 write (peers.md)', '3.1–3.8k', '62–71', '331', '501', '', '']);
  rows.push(['zookeeper 3.8 read (peers.md)', '7.3–9.2k', '33', '76', '109', '', '']);
  printTable(`throughput: 3 nodes, ${load.clients} clients x ${load.window} outstanding, ${load.size}-byte values, ${load.seconds} s per mode`, ['cluster / mode', 'ops/s', 'p50 ms', 'p99 ms', 'max ms', 'ops', 'errors'], rows);
  if (results.threads && results.tcp) {
    process.stdout.write(
      `\ntcp / threads (same run): writes ${fmt(results.tcp.write.opsPerSec / results.threads.write.opsPerSec)}x, reads ${fmt(results.tcp.read.opsPerSec / results.threads.read.opsPerSec)}x\n`,
    );
  }
  saveResult('throughput', { ...load, results });
}
