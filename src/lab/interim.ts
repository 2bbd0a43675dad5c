/**
 * Stand-ins the dashboard uses until the lab's own fault injector (`injectFault` in src/lab/faults.ts) and
 * workload generators land: a FaultSpec resolved against the cluster's current view and handed to the driver,
 * and a small ZooKeeper workload of unique writes and reads that records its history.
 */
import type { Cluster, ZkClient } from '../cluster.js';
import { ZkError } from '../cluster.js';
import { zxidHex } from '../protocol/zxid.js';
import type { FaultSpec, Target } from './faults.js';
import type { HistoryOp, Outcome, ZkOp } from './history.js';

/** The nodes a target names now (an unknown name: an Error). */
export function resolveTarget(cluster: Cluster, t: Target): string[] {
  const up = cluster.nodes.filter((n) => cluster.runtime.isUp(n));
  const leader = cluster.leader();
  const half = Math.floor(cluster.nodes.length / 2);
  const followers = up.filter((n) => n !== leader);
  switch (t) {
    case 'leader':
      return leader === null ? [] : [leader];
    case 'follower':
      return followers.slice(0, 1);
    case 'all':
      return [...cluster.nodes];
    case 'minority':
      return followers.slice(0, half);
    case 'majority':
      return [...(leader !== null ? [leader] : []), ...followers].slice(0, half + 1);
    case 'minority-with-leader':
      return [...(leader !== null ? [leader] : []), ...followers].slice(0, half);
    default:
      if (!cluster.nodes.includes(t)) throw new Error(`unknown node '${t}' (nodes: ${cluster.nodes.join(', ')})`);
      return [t];
  }
}

const one = (cluster: Cluster, t: Target): string => {
  const n = resolveTarget(cluster, t)[0];
  if (n === undefined) throw new Error(`no node is ${t} now`);
  return n;
};

/** Carries out one FaultSpec on the cluster's driver. What the driver cannot do is an Error saying so. */
export async function injectFault(cluster: Cluster, spec: FaultSpec): Promise<void> {
  switch (spec.fault) {
    case 'kill':
      for (const n of resolveTarget(cluster, spec.target)) await cluster.kill(n);
      return;
    case 'restart':
      for (const n of resolveTarget(cluster, spec.target)) await cluster.restart(n);
      return;
    case 'partition': {
      if (spec.groups !== undefined) return cluster.partition(spec.groups.map((g) => g.flatMap((t) => resolveTarget(cluster, t))));
      const shape = spec.shape ?? 'leader-isolated';
      const alone = shape === 'leader-isolated' ? resolveTarget(cluster, 'leader') : resolveTarget(cluster, 'minority');
      return cluster.partition([alone, cluster.nodes.filter((n) => !alone.includes(n))]);
    }
    case 'cut':
      return cluster.cut(one(cluster, spec.from), one(cluster, spec.to));
    case 'heal':
      await cluster.heal();
      for (const n of cluster.nodes) if (!cluster.runtime.isUp(n)) await cluster.restart(n);
      return;
    case 'slow':
      for (const n of resolveTarget(cluster, spec.target)) await cluster.slow(n, spec.delayMs);
      return;
    case 'drop':
    case 'duplicate':
    case 'reorder':
      return cluster.runtime.inject({ kind: spec.fault, ratio: spec.ratio });
    case 'pause':
    case 'resume':
    case 'corrupt':
      for (const node of resolveTarget(cluster, spec.target)) await cluster.runtime.inject({ kind: spec.fault, node });
      return;
    case 'clock':
      for (const node of resolveTarget(cluster, spec.target)) await cluster.runtime.inject({ kind: 'clock', node, offsetMs: spec.offsetMs, driftPpm: spec.driftPpm ?? 0 });
      return;
    case 'diskStall':
      for (const node of resolveTarget(cluster, spec.target)) await cluster.runtime.inject({ kind: 'diskStall', node, durationMs: spec.durationMs });
      return;
    case 'diskSlow':
      for (const node of resolveTarget(cluster, spec.target)) await cluster.runtime.inject({ kind: 'diskSlow', node, delayMs: spec.delayMs });
      return;
  }
}

/** Keys the workload writes and reads. */
export const workloadKeys = 4;
/** Pause between one client's operations. */
export const workloadPauseMs = 20;
/** How long one operation may wait for its answer before it counts as unknown. */
export const workloadOpTimeoutMs = 1_000;

/**
 * `clients` ZooKeeper clients, client i starting on node i mod N, each doing setData of a unique value or
 * getData on one of `workloadKeys` znodes until stopped. A client whose node fails moves to the next node that is
 * up (a new session).
 */
export function startWorkload(cluster: Cluster, clients: number, record: (op: HistoryOp) => void, t0: number): { stop(): Promise<void> } {
  let stopped = false;
  let nextId = 1;
  const rt = cluster.runtime;
  const loops: Promise<void>[] = [];
  const ready = (async () => {
    const zk = await cluster.client({ node: cluster.leader() ?? cluster.nodes[0]! });
    for (const p of ['/lab', ...Array.from({ length: workloadKeys }, (_, k) => `/lab/k${k}`)]) {
      await zk.create(p, '').catch((e: unknown) => {
        if (!(e instanceof ZkError)) throw e;
      });
    }
    await zk.close().catch(() => undefined);
  })();
  for (let c = 0; c < clients; c++) {
    loops.push(
      (async () => {
        await ready;
        const name = `c${c + 1}`;
        let nodeIx = c % cluster.nodes.length;
        let zk: ZkClient | null = null;
        let seq = 0;
        while (!stopped) {
          if (zk === null) {
            const node = cluster.nodes[nodeIx]!;
            zk = await cluster.client({ node, connectTimeoutMs: workloadOpTimeoutMs }).catch(() => null);
            if (zk === null) {
              nodeIx = (nodeIx + 1) % cluster.nodes.length;
              await rt.sleep(workloadPauseMs * 5);
              continue;
            }
          }
          const path = `/lab/k${seq % workloadKeys}`;
          const write = seq % 2 === 0;
          const value = `${name}-${seq}`;
          seq++;
          const id = nextId++;
          const callMs = rt.now() - t0;
          const base = { id, client: name, node: zk.node, kind: 'zk' as const, path, session: zk.sessionId.toString(16), callMs };
          let op: ZkOp;
          try {
            if (write) {
              const st = await withDeadline(zk.setData(path, value), workloadOpTimeoutMs);
              op = { ...base, op: 'setData', value, zxid: zxidHex(st.mzxid), version: st.version, returnMs: rt.now() - t0, outcome: 'ok' };
            } else {
              const r = await withDeadline(zk.getData(path), workloadOpTimeoutMs);
              op = { ...base, op: 'getData', value: new TextDecoder().decode(r.data), zxid: zxidHex(r.stat.mzxid), version: r.stat.version, returnMs: rt.now() - t0, outcome: 'ok' };
            }
          } catch (e) {
            const known = e instanceof ZkError;
            const outcome: Outcome = known || !write ? 'fail' : 'unknown';
            op = { ...base, op: write ? 'setData' : 'getData', ...(write ? { value } : {}), returnMs: outcome === 'unknown' ? null : rt.now() - t0, outcome, error: (e as Error).message };
            if (!known) {
              zk = null;
              nodeIx = (nodeIx + 1) % cluster.nodes.length;
            }
          }
          record(op);
          await rt.sleep(workloadPauseMs);
        }
        await zk?.close().catch(() => undefined);
      })(),
    );
  }
  return {
    async stop() {
      stopped = true;
      await Promise.allSettled([ready, ...loops]);
    },
  };
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}
