/**
 * The failure lab's dashboard, wired up: `conclave lab` (a cluster, a workload, the dashboard), `conclave start
 * --lab` (the dashboard beside the usual cluster) and `conclave lab view <run>` (a recorded run).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createCluster, type Cluster } from '../cluster.js';
import { LabStream, streamBatchMs, streamRingItemsMax } from '../servers/lab/stream.js';
import { startLabServer, type LabServer } from '../servers/lab/server.js';
import { injectFault, startWorkload } from './interim.js';
import { startLiveFeed } from './live.js';
import { loadRun } from './recorded.js';

/** The default dashboard port. */
export const labPortDefault = 8090;
/** `conclave lab --clients` at most. */
export const labClientsMax = 64;

/** The scenario files shipped under scenarios/ (names without .yaml). */
export function shippedScenarios(): string[] {
  try {
    return readdirSync(fileURLToPath(new URL('../../../scenarios/', import.meta.url)))
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
  readonly record: (op: import('./history.js').HistoryOp) => void;
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
    fault: (spec) => injectFault(cluster, spec),
  });
  return {
    server,
    stream,
    record: (op) => feed.op(op),
    t0: feed.t0,
    async close() {
      feed.stop();
      await server.close();
    },
  };
}

export interface LabRunOptions {
  readonly runtime: 'threads' | 'tcp' | 'sim';
  readonly nodes: number;
  readonly port: number;
  readonly clients: number;
}

/** `conclave lab`: a cluster, a workload and the dashboard, until SIGINT/SIGTERM. */
export async function runLab(o: LabRunOptions): Promise<void> {
  const cluster = await createCluster({ nodes: o.nodes, runtime: o.runtime, redisBasePort: 'off' });
  let dash: LiveDashboard | null = null;
  let workload: { stop(): Promise<void> } | null = null;
  try {
    dash = await startDashboard(cluster, { port: o.port });
    await cluster.waitForLeader(30_000);
    workload = startWorkload(cluster, o.clients, dash.record, dash.t0);
    process.stdout.write(`conclave lab: ${o.nodes} nodes on ${o.runtime}, ${o.clients} clients; dashboard at ${dash.server.url}\nCtrl-C stops it.\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  } finally {
    await workload?.stop();
    await dash?.close();
    await cluster.close();
  }
}

/** `conclave lab view <run>`: serves a recorded run until SIGINT/SIGTERM. */
export async function runLabView(runDir: string, port: number): Promise<void> {
  const run = loadRun(runDir);
  const stream = new LabStream(streamBatchMs, Math.max(streamRingItemsMax, run.items.length));
  for (const it of run.items) stream.push(it);
  const server = await startLabServer({ port, stream, meta: () => run.meta });
  for (const n of run.notes) process.stderr.write(`conclave lab view: ${n}\n`);
  process.stdout.write(`conclave lab view: ${run.items.length} items of ${runDir} at ${server.url}\nCtrl-C stops it.\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}
