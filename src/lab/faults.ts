/**
 * A fault as a scenario file and the dashboard's buttons name it (the dashboard POSTs exactly this JSON to
 * `/lab/api/fault`; a scenario's `faults:` entries are these plus `atMs`). Targets name nodes by role as well as
 * by name; the lab resolves them against the cluster's current view into the drivers' `Fault`s
 * (src/protocol/faults.ts) when the fault is injected.
 */
import type { Fault } from '../protocol/faults.js';

/** A node by name (`n1`) or by role at injection time. */
export type Target = string | 'leader' | 'follower' | 'minority' | 'majority' | 'minority-with-leader' | 'all';

export type FaultSpec =
  | { readonly fault: 'kill' | 'restart' | 'pause' | 'resume' | 'corrupt'; readonly target: Target }
  /** Split the nodes: explicit groups, or a named shape (the leader alone, a minority, a ring of majorities). */
  | { readonly fault: 'partition'; readonly groups?: readonly (readonly Target[])[]; readonly shape?: 'leader-isolated' | 'minority' | 'majority' | 'ring' }
  /** One-way: messages from `from` to `to` are lost. */
  | { readonly fault: 'cut'; readonly from: Target; readonly to: Target }
  | { readonly fault: 'heal' }
  | { readonly fault: 'slow'; readonly target: Target; readonly delayMs: number }
  | { readonly fault: 'drop' | 'duplicate' | 'reorder'; readonly ratio: number }
  | { readonly fault: 'clock'; readonly target: Target; readonly offsetMs: number; readonly driftPpm?: number }
  | { readonly fault: 'diskStall'; readonly target: Target; readonly durationMs: number }
  | { readonly fault: 'diskSlow'; readonly target: Target; readonly delayMs: number };

/** A scenario's fault entry: the spec, when (ms after the workload starts), and for how long (then undone). */
export type ScheduledFault = FaultSpec & { readonly atMs: number; readonly forMs?: number };

// ---- resolution: roles and shapes into the drivers' faults ----

/** What resolution needs of a cluster: its nodes, which are up, and the leader as last announced. */
export interface ClusterView {
  readonly nodes: readonly string[];
  leader(): string | null;
  isUp(node: string): boolean;
}

/** Anything faults can be injected into: a view plus the drivers' `inject` (a `Cluster` is one). */
export interface FaultTarget extends ClusterView {
  inject(fault: Fault): Promise<void>;
}

/** A fault spec that cannot be resolved right now (no leader to target, an unknown node). */
export class FaultResolveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultResolveError';
  }
}

const majorityOf = (n: number): number => Math.floor(n / 2) + 1;

/** The nodes a target names now: the leader first where it belongs to the set, then the others in name order. */
export function resolveTarget(view: ClusterView, target: Target): string[] {
  const leader = view.leader();
  const followers = view.nodes.filter((n) => n !== leader);
  const needLeader = (): string => {
    if (leader === null) throw new FaultResolveError(`'${target}': no leader now`);
    return leader;
  };
  const minority = view.nodes.length - majorityOf(view.nodes.length);
  switch (target) {
    case 'all':
      return [...view.nodes];
    case 'leader':
      return [needLeader()];
    case 'follower': {
      const up = followers.filter((n) => view.isUp(n));
      const f = up[0] ?? followers[0];
      if (f === undefined) throw new FaultResolveError(`'follower': a cluster of one node has none`);
      return [f];
    }
    case 'minority':
      return followers.slice(0, minority);
    case 'minority-with-leader':
      return minority === 0 ? [] : [needLeader(), ...followers.slice(0, minority - 1)];
    case 'majority':
      return [...followers, ...(leader === null ? [] : [leader])].slice(0, majorityOf(view.nodes.length));
    default:
      if (!view.nodes.includes(target)) throw new FaultResolveError(`no node '${target}' (nodes: ${view.nodes.join(', ')})`);
      return [target];
  }
}

/** Both directions of every link that is cut in a ring of majorities: each node sees a majority, no two the same one. */
function ringCuts(nodes: readonly string[]): Fault[] {
  const n = nodes.length;
  const reach = Math.ceil(Math.floor(n / 2) / 2); // neighbours on each side a node still sees
  const out: Fault[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const d = Math.min((i - j + n) % n, (j - i + n) % n);
      if (d > reach) out.push({ kind: 'cut', from: nodes[i]!, to: nodes[j]! });
    }
  }
  return out;
}

/** The drivers' faults a spec stands for, against the cluster's current view. */
export function resolveFault(view: ClusterView, spec: FaultSpec): Fault[] {
  const each = (target: Target, f: (node: string) => Fault): Fault[] => resolveTarget(view, target).map(f);
  switch (spec.fault) {
    case 'kill':
    case 'restart':
    case 'pause':
    case 'resume':
    case 'corrupt': {
      const kind = spec.fault;
      return each(spec.target, (node) => ({ kind, node }));
    }
    case 'partition': {
      if (spec.groups !== undefined) {
        const seen = new Set<string>();
        const groups = spec.groups.map((g) => g.flatMap((t) => resolveTarget(view, t)).filter((n) => !seen.has(n) && (seen.add(n), true)));
        const rest = view.nodes.filter((n) => !seen.has(n));
        return [{ kind: 'partition', groups: rest.length > 0 ? [...groups, rest] : groups }];
      }
      const shape = spec.shape ?? 'minority';
      if (shape === 'ring') return ringCuts(view.nodes);
      const side = resolveTarget(view, shape === 'leader-isolated' ? 'leader' : shape === 'minority' ? 'minority' : 'minority-with-leader');
      return [{ kind: 'partition', groups: [side, view.nodes.filter((n) => !side.includes(n))] }];
    }
    case 'cut': {
      const from = resolveTarget(view, spec.from);
      const to = resolveTarget(view, spec.to);
      return from.flatMap((a) => to.filter((b) => b !== a).map((b): Fault => ({ kind: 'cut', from: a, to: b })));
    }
    case 'heal':
      return [{ kind: 'heal' }];
    case 'slow':
      return each(spec.target, (node) => ({ kind: 'slow', node, delayMs: spec.delayMs }));
    case 'drop':
    case 'duplicate':
    case 'reorder':
      return [{ kind: spec.fault, ratio: spec.ratio }];
    case 'clock':
      return each(spec.target, (node) => ({ kind: 'clock', node, offsetMs: spec.offsetMs, driftPpm: spec.driftPpm ?? 0 }));
    case 'diskStall':
      return each(spec.target, (node) => ({ kind: 'diskStall', node, durationMs: spec.durationMs }));
    case 'diskSlow':
      return each(spec.target, (node) => ({ kind: 'diskSlow', node, delayMs: spec.delayMs }));
  }
}

/** What ends a fault after a scheduled fault's `forMs` (null: nothing to undo, or it ends by itself). */
export function undoOf(f: Fault): Fault | null {
  switch (f.kind) {
    case 'kill':
      return { kind: 'restart', node: f.node };
    case 'pause':
      return { kind: 'resume', node: f.node };
    case 'partition':
    case 'cut':
      return { kind: 'heal' };
    case 'slow':
    case 'diskSlow':
      return { ...f, delayMs: 0 };
    case 'drop':
    case 'duplicate':
    case 'reorder':
      return { kind: f.kind, ratio: 0 };
    case 'clock':
      return { kind: 'clock', node: f.node, offsetMs: 0, driftPpm: 0 };
    case 'restart':
    case 'resume':
    case 'heal':
    case 'diskStall':
    case 'corrupt':
      return null;
  }
}

/**
 * Resolve a spec against the cluster's view now and inject every fault it stands for (the dashboard's buttons and
 * the scenario runner both call this). Resolves with the faults injected, so that they can be undone later on the
 * same nodes (`undoOf`). FaultResolveError when the spec names no node now.
 */
export async function injectFault(cluster: FaultTarget, spec: FaultSpec): Promise<Fault[]> {
  const faults = resolveFault(cluster, spec);
  for (const f of faults) await cluster.inject(f);
  return faults;
}

// ---- parsing (scenario files, the dashboard's POSTs) ----

const targetRoles = ['leader', 'follower', 'minority', 'majority', 'minority-with-leader', 'all'];
/** The longest a fault may last or delay, in a scenario or a POST (one hour). */
export const faultDurationMaxMs = 3_600_000;
/** The largest clock drift accepted, in parts per million (±50%). */
export const clockDriftMaxPpm = 500_000;

/** Checks untrusted JSON (a scenario entry, a POST body) into a FaultSpec; throws a clear error otherwise. */
export function parseFaultSpec(x: unknown): FaultSpec {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new Error('a fault must be an object with a "fault" field');
  const o = x as Record<string, unknown>;
  const target = (k: string): Target => {
    const v = o[k];
    if (typeof v !== 'string' || v.length === 0 || v.length > 64) throw new Error(`${String(o.fault)}: "${k}" must be a node name or one of ${targetRoles.join(', ')}`);
    return v;
  };
  const num = (k: string, lo: number, hi: number, dflt?: number): number => {
    const v = o[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) throw new Error(`${String(o.fault)}: "${k}" must be a number in [${lo}, ${hi}]`);
    return v;
  };
  switch (o.fault) {
    case 'kill':
    case 'restart':
    case 'pause':
    case 'resume':
    case 'corrupt':
      return { fault: o.fault, target: target('target') };
    case 'partition': {
      if (o.groups !== undefined) {
        if (!Array.isArray(o.groups) || o.groups.some((g) => !Array.isArray(g) || g.some((t) => typeof t !== 'string'))) throw new Error('partition: "groups" must be a list of lists of targets');
        return { fault: 'partition', groups: o.groups as string[][] };
      }
      const shape = o.shape ?? 'minority';
      if (shape !== 'leader-isolated' && shape !== 'minority' && shape !== 'majority' && shape !== 'ring') throw new Error('partition: "shape" must be leader-isolated, minority, majority or ring');
      return { fault: 'partition', shape };
    }
    case 'cut':
      return { fault: 'cut', from: target('from'), to: target('to') };
    case 'heal':
      return { fault: 'heal' };
    case 'slow':
    case 'diskSlow':
      return { fault: o.fault, target: target('target'), delayMs: num('delayMs', 0, faultDurationMaxMs) };
    case 'drop':
    case 'duplicate':
    case 'reorder':
      return { fault: o.fault, ratio: num('ratio', 0, 1) };
    case 'clock':
      return { fault: 'clock', target: target('target'), offsetMs: num('offsetMs', -faultDurationMaxMs, faultDurationMaxMs), driftPpm: num('driftPpm', -clockDriftMaxPpm, clockDriftMaxPpm, 0) };
    case 'diskStall':
      return { fault: 'diskStall', target: target('target'), durationMs: num('durationMs', 0, faultDurationMaxMs) };
    default:
      throw new Error(`unknown fault ${JSON.stringify(o.fault)} (kill, restart, pause, resume, corrupt, partition, cut, heal, slow, drop, duplicate, reorder, clock, diskStall, diskSlow)`);
  }
}

/** A scenario's fault entry: the spec plus `atMs` and an optional `forMs`. */
export function parseScheduledFault(x: unknown): ScheduledFault {
  const spec = parseFaultSpec(x);
  const o = x as Record<string, unknown>;
  const at = o.atMs;
  if (typeof at !== 'number' || !Number.isFinite(at) || at < 0 || at > faultDurationMaxMs) throw new Error(`${spec.fault}: "atMs" must be a number in [0, ${faultDurationMaxMs}]`);
  const forMs = o.forMs;
  if (forMs !== undefined && (typeof forMs !== 'number' || !Number.isFinite(forMs) || forMs < 0 || forMs > faultDurationMaxMs)) throw new Error(`${spec.fault}: "forMs" must be a number in [0, ${faultDurationMaxMs}]`);
  return { ...spec, atMs: at, ...(forMs !== undefined ? { forMs } : {}) };
}
