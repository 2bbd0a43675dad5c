/**
 * The failure lab's dashboard, wired up: `conclave lab` (a cluster, a workload, the dashboard), `conclave start
 * --lab` (the dashboard beside the usual cluster) and `conclave lab view <run>` (a recorded run).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createCluster, type Cluster } from '../cluster.js';
import { LabStream, streamBatchMs, streamRingItemsMax } from '../servers/lab/stream.js';
import { startLabServer, type LabServer } from '../servers/lab/server.js';
import type { Fault } from '../protocol/faults.js';
import type { SimRuntime } from '../runtime/sim/sim.js';
import { injectFault, undoOf } from './faults.js';
import type { HistoryOp } from './history.js';
import { startLiveFeed } from './live.js';
import { loadRun } from './recorded.js';
import { loadScenario } from './scenario.js';
import { HistoryRecorder, defaultWorkload, prepareWorkload, runWorkload, workloadOpsMax } from './workload.js';
import { processLogger } from '../log.js';

/** The default dashboard port. */
export const labPortDefault = 8090;

const scenariosDir = fileURLToPath(new URL('../../../scenarios/', import.meta.url));

/** The scenario files shipped under scenarios/ (names without .yaml). */
export function shippedScenarios(): string[] {
  try {
    return readdirSync(scenariosDir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
}

export interface LiveDashboard {
  readonly server: LabServer;
  readonly stream: LabStream;
  /** Records a client operation into the stream (the workload's sink). */
  readonly record: (op: HistoryOp) => void;
  readonly t0: number;
  close(): Promise<void>;
}

/** Serves the dashboard for a running cluster: its events, inspections and faults (the caller owns the cluster). */
export async function startDashboard(cluster: Cluster, opts: { port?: number; host?: string } = {}): Promise<LiveDashboard> {
  const stream = new LabStream();
  const feed = startLiveFeed(cluster, (it) => stream.push(it));
  const startedAt = Date.now();
  const server = await startLabServer({
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    port: opts.port ?? labPortDefault,
    stream,
    meta: () => ({ mode: 'live', runtime: cluster.runtime.kind, nodes: cluster.nodes, startedAt, title: `live ${cluster.runtime.kind} cluster`, faults: true, scenarios: shippedScenarios() }),
    fault: async (spec) => void (await injectFault(cluster, spec)),
    scenario: (name) => scenarios.play(name),
  });
  const scenarios = scenarioPlayer(cluster);
  return {
    server,
    stream,
    record: (op) => feed.op(op),
    t0: feed.t0,
    async close() {
      scenarios.stop();
      feed.stop();
      await server.close();
    },
  };
}

/**
 * Plays a shipped scenario's faults on the live cluster, from now: each at its `atMs`, undone after its `forMs`
 * (the same FaultSpecs the buttons post). One scenario at a time; a second request while one plays is refused.
 */
function scenarioPlayer(cluster: Cluster): { play(name: string): Promise<void>; stop(): void } {
  const timers = new Set<NodeJS.Timeout>();
  let playingUntil = 0;
  const at = (ms: number, fn: () => Promise<unknown>) => {
    const t = setTimeout(() => {
      timers.delete(t);
      void fn().catch(() => undefined);
    }, ms);
    timers.add(t);
  };
  return {
    async play(name) {
      if (!shippedScenarios().includes(name)) throw new Error(`no scenario '${name}' (${shippedScenarios().join(', ')})`);
      if (Date.now() < playingUntil) throw new Error('a scenario is playing; wait for it to end');
      const s = loadScenario(`${scenariosDir}${name}.yaml`);
      playingUntil = Date.now() + s.durationMs;
      for (const f of s.faults) {
        const { atMs, forMs, ...spec } = f;
        at(atMs, async () => {
          const injected: Fault[] = await injectFault(cluster, spec);
          if (forMs !== undefined) at(forMs, async () => Promise.all(injected.map(undoOf).filter((u): u is Fault => u !== null).map((u) => cluster.inject(u))));
        });
      }
    },
    stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

/** A HistoryRecorder that also hands every operation to `sink` when it settles. */
class StreamingRecorder extends HistoryRecorder {
  constructor(
    now: () => number,
    private readonly sink: (op: HistoryOp) => void,
  ) {
    super(now);
  }

  override begin<T extends HistoryOp>(op: Omit<T, 'id' | 'callMs' | 'returnMs' | 'outcome'>): (outcome: HistoryOp['outcome'], result?: Partial<T>) => void {
    const done = super.begin<T>(op);
    const i = this.ops.length - 1;
    return (outcome, result) => {
      done(outcome, result);
      this.sink(this.ops[i]!);
    };
  }
}

/** How often the simulator is advanced when it runs live (virtual time kept close to wall time). */
export const simPaceMs = 10;

export interface LabRunOptions {
  readonly runtime: 'threads' | 'tcp' | 'sim';
  readonly nodes: number;
  readonly port: number;
  readonly clients: number;
  /** tcp: each node in its own network namespace (src/runtime/tcp/netns.ts). */
  readonly netns?: boolean;
}

/** `conclave lab`: a cluster, a workload and the dashboard, until SIGINT/SIGTERM. */
export async function runLab(o: LabRunOptions): Promise<void> {
  const cluster = await createCluster({ nodes: o.nodes, runtime: o.runtime, redisBasePort: 'off', logger: processLogger(), ...(o.netns === true ? { netns: true } : {}) });
  const rt = cluster.runtime;
  const sim = rt.kind === 'sim' ? (rt as SimRuntime) : null;
  let dash: LiveDashboard | null = null;
  let stopped = false;
  let work: Promise<void> = Promise.resolve();
  // The simulator runs live: advanced by simPaceMs of virtual time every simPaceMs of wall time.
  let pace: NodeJS.Timeout | null = null;
  let pacing = false;
  if (sim !== null) {
    sim.askDrivesClock = false;
    pace = setInterval(() => {
      if (pacing) return;
      pacing = true;
      void sim.runFor(simPaceMs).finally(() => (pacing = false));
    }, simPaceMs);
  }
  try {
    dash = await startDashboard(cluster, { port: o.port });
    if (sim !== null) sim.onMessage = (m) => dash!.stream.push({ k: 'msg', t: m.sentMs - dash!.t0, m });
    await cluster.waitForLeader(30_000);
    const spec = { ...defaultWorkload, zkClients: o.clients, redisClients: o.clients, opsMax: workloadOpsMax };
    const t0 = dash.t0;
    const rec = new StreamingRecorder(() => rt.now() - t0, dash.record);
    await prepareWorkload(cluster, spec, rec);
    const clock = { now: () => rt.now() - t0, wait: (ms: number) => (sim !== null ? sim.delay(ms) : rt.sleep(ms)) };
    work = runWorkload(cluster, spec, rec, clock, 1, () => stopped);
    processLogger().info({ actor: 'lab', url: dash.server.url }, `conclave lab: ${o.nodes} nodes on ${o.runtime}, ${o.clients} ZooKeeper and ${o.clients} Redis clients (${workloadOpsMax} operations at most); dashboard at ${dash.server.url}; Ctrl-C stops it.`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  } finally {
    stopped = true;
    await Promise.race([work, new Promise((r) => setTimeout(r, workStopWaitMs))]);
    if (pace !== null) clearInterval(pace);
    await dash?.close();
    await cluster.close();
  }
}

/** How long stopping waits for the workload's last operations. */
const workStopWaitMs = 2_000;

/** `conclave lab view <run>`: serves a recorded run until SIGINT/SIGTERM. */
export async function runLabView(runDir: string, port: number): Promise<void> {
  const run = loadRun(runDir);
  const stream = new LabStream(streamBatchMs, Math.max(streamRingItemsMax, run.items.length));
  for (const it of run.items) stream.push(it);
  const server = await startLabServer({ port, stream, meta: () => run.meta });
  const log = processLogger().child({ actor: 'lab' });
  for (const n of run.notes) log.warn(`conclave lab view: ${n}`);
  log.info({ url: server.url }, `conclave lab view: ${run.items.length} items of ${runDir} at ${server.url}; Ctrl-C stops it.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}
