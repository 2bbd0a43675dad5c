/**
 * The failure lab's live feed: turns a running cluster into stream items for the dashboard. Every item has `k`
 * (kind) and `t` (ms since the session began):
 * - `ev`: a cluster event (`e`);
 * - `op`: a client operation of the history (`op`, src/lab/history.ts);
 * - `st`: the inspectable state changed (StateTracker: node strips from events and inspections, each actor's
 *   mailbox depth and `inspect` summary): immer patches `p` and their inverse `ip`, so the page holds live state
 *   and steps back with the inverse patches;
 * - `links`: per-link message rates (`r`: `"n1>n2"` → messages/s), from counters each worker thread keeps (actor
 *   traffic itself never passes the main thread);
 * - `msg`: one message between nodes with its send and delivery time (simulated and recorded runs only).
 */
import { enablePatches, produceWithPatches } from 'immer';
import type { Subscription } from 'rxjs';
import type { Cluster } from '../cluster.js';
import type { ActorInspect } from '../runtime/driver.js';
import type { ClusterEvent } from '../protocol/events.js';
import { zxidHex } from '../protocol/zxid.js';
import type { HistoryOp } from './history.js';
import type { StreamItem } from '../servers/lab/stream.js';

enablePatches();

/** How often the actors are inspected (mailboxes, state, link counters). */
export const inspectPollMs = 250;
/** Event types left out of the stream (per-message noise). */
const quietEvents: ReadonlySet<string> = new Set(['TxnApplied', 'DemoCounted']);

type Scalar = string | number | boolean | null;
/** The state the node strips show: per node (from events and inspections) and per actor (inspections). */
export interface LabState {
  readonly nodes: Readonly<Record<string, Readonly<Record<string, Scalar>>>>;
  readonly actors: Readonly<Record<string, Readonly<Record<string, Scalar>>>>;
}
type Draft = { nodes: Record<string, Record<string, Scalar>>; actors: Record<string, Record<string, Scalar>> };

/** Changes to the state are gathered and sent as one patch item at most this often. */
export const stateFlushMs = 50;


/**
 * The dashboard's inspectable state, kept with immer: each change (an event, an inspection) is applied to a draft;
 * `flush` turns what changed since the last flush into one `st` item with its patches and inverse patches.
 */
export class StateTracker {
  private state: LabState;
  private pending: ((d: Draft) => void)[] = [];
  private lastFlushT = Number.NEGATIVE_INFINITY;

  constructor(nodes: readonly string[], private readonly push: (item: StreamItem) => void) {
    // The page starts from this empty state too: everything after arrives as patches.
    this.state = { nodes: {}, actors: {} };
    this.pending.push((d) => {
      for (const n of nodes) d.nodes[n] ??= { role: 'starting', epoch: null, proposed: null, committed: null, applied: null, incarnation: 0 };
    });
  }

  get current(): LabState {
    return this.state;
  }

  /** A cluster event's effect on the node strips. */
  event(e: ClusterEvent): void {
    const set = (fields: Record<string, Scalar>): void => {
      this.pending.push((d) => {
        const n = (d.nodes[e.node] ??= {});
        for (const [k, v] of Object.entries(fields)) if (n[k] !== v) n[k] = v;
      });
    };
    switch (e.type) {
      case 'LeaderElected':
        return set({ role: 'leading', epoch: e.epoch });
      case 'FollowingLeader':
        return set({ role: 'following', epoch: e.epoch });
      case 'ElectionStarted':
      case 'LeaderLost':
      case 'LeaderSteppedDown':
        return set({ role: 'looking' });
      case 'Proposed':
        return set({ proposed: zxidHex(e.zxid) });
      case 'Committed':
        return set({ committed: zxidHex(e.zxid) });
      case 'TxnApplied':
        return set({ applied: zxidHex(e.zxid) });
      case 'NodeCrashed':
        return set({ role: 'down' });
      case 'NodeStarted':
        this.pending.push((d) => {
          const n = (d.nodes[e.node] ??= {});
          n.role = 'starting';
          n.incarnation = e.incarnation > 0 ? e.incarnation : Number(n.incarnation ?? 0) + 1;
        });
        return;
      case 'FaultInjected':
        if (e.fault.kind === 'kill') {
          const node = e.fault.node;
          this.pending.push((d) => {
            const n = (d.nodes[node] ??= {});
            n.role = 'down';
          });
        }
        return;
      default:
        return;
    }
  }

  /** An inspection of every running actor: mailboxes and inspected state; nodes with no running actor are down. */
  inspect(actors: readonly ActorInspect[]): void {
    this.pending.push((d) => {
      const seen = new Set<string>();
      for (const a of actors) {
        seen.add(a.addr);
        const v: Record<string, Scalar> = { mailbox: a.mailbox, restarts: a.restarts, ...(a.state ?? {}) };
        const cur = (d.actors[a.addr] ??= {});
        for (const k of Object.keys(cur)) if (!(k in v)) delete cur[k];
        for (const [k, x] of Object.entries(v)) if (cur[k] !== x) cur[k] = x;
        const n = (d.nodes[a.node] ??= {});
        if (n.incarnation !== a.incarnation && a.incarnation > 0) n.incarnation = a.incarnation;
        const s = a.state ?? {};
        if (a.addr.endsWith('/broadcast')) {
          const role = s.role === 'leading' || s.role === 'following' || s.role === 'looking' ? s.role : null;
          // Events say when a role changes; an inspection (which may have been on its way during the change) only
          // fills in a role no event told yet (a dashboard attached to a running cluster).
          if (role !== null && (n.role === 'starting' || n.role === undefined)) n.role = role;
          for (const k of ['epoch', 'proposed', 'committed'] as const) if (s[k] !== undefined && n[k] !== s[k]) n[k] = s[k]!;
        }
        if (a.addr.endsWith('/storage') && s.applied !== undefined && n.applied !== s.applied) n.applied = s.applied;
      }
      for (const addr of Object.keys(d.actors)) if (!seen.has(addr)) delete d.actors[addr];
    });
  }

  /** Sends what changed as one `st` item, if `stateFlushMs` passed since the last one (or `force`). */
  flush(t: number, force = false): void {
    if (this.pending.length === 0 || (!force && t - this.lastFlushT < stateFlushMs)) return;
    const fns = this.pending;
    this.pending = [];
    const [state, p, ip] = produceWithPatches(this.state, (d: Draft) => {
      for (const f of fns) f(d);
    });
    this.lastFlushT = t;
    this.state = state;
    if (p.length > 0) this.push({ k: 'st', t, p, ip });
  }
}

/** Per-link rates (messages/s) between two inspections' counters; a counter that went back (a restart) counts from 0. */
export function linkRates(prev: ReadonlyMap<string, number>, actors: readonly ActorInspect[], dtMs: number): { rates: Record<string, number>; counters: Map<string, number> } {
  const counters = new Map<string, number>();
  const rates: Record<string, number> = {};
  for (const a of actors) {
    for (const [to, n] of Object.entries(a.sentTo)) {
      const key = `${a.addr}>${to}`;
      counters.set(key, n);
      const before = prev.get(key) ?? 0;
      const d = n >= before ? n - before : n;
      if (d === 0 || to.startsWith('$')) continue;
      const link = `${a.node}>${to}`;
      rates[link] = (rates[link] ?? 0) + (d * 1000) / Math.max(1, dtMs);
    }
  }
  for (const k of Object.keys(rates)) rates[k] = Math.round(rates[k]!);
  return { rates, counters };
}

export interface LiveFeed {
  readonly t0: number;
  /** Records a client operation (the workload calls it). */
  op(op: HistoryOp): void;
  stop(): void;
}

/** Feeds `push` from the cluster until stopped: events as they come, inspections every `inspectPollMs`. */
export function startLiveFeed(cluster: Cluster, push: (item: StreamItem) => void, t0 = cluster.runtime.now()): LiveFeed {
  const rt = cluster.runtime;
  const tracker = new StateTracker(cluster.nodes, push);
  const sub: Subscription = cluster.events$.subscribe((e) => {
    if (quietEvents.has(e.type)) return;
    push({ k: 'ev', t: e.time - t0, e });
    tracker.event(e);
    // a leader change goes out with the next stream batch, not up to stateFlushMs later
    if (e.type === 'LeaderElected' || e.type === 'NodeCrashed' || (e.type === 'FaultInjected' && e.fault.kind === 'kill')) tracker.flush(e.time - t0, true);
  });
  let counters = new Map<string, number>();
  let lastPoll = rt.now();
  let polling = false;
  let stopped = false;
  const poll = async () => {
    if (polling || stopped) return;
    polling = true;
    try {
      const actors = await rt.inspect();
      if (stopped) return;
      const now = rt.now();
      tracker.inspect(actors);
      const l = linkRates(counters, actors, now - lastPoll);
      counters = l.counters;
      lastPoll = now;
      push({ k: 'links', t: now - t0, r: l.rates });
    } finally {
      polling = false;
    }
  };
  const pollTimer = setInterval(() => void poll(), inspectPollMs);
  const flushTimer = setInterval(() => tracker.flush(rt.now() - t0), stateFlushMs);
  void poll();
  return {
    t0,
    op: (op) => push({ k: 'op', t: op.returnMs ?? op.callMs, op }),
    stop() {
      stopped = true;
      clearInterval(pollTimer);
      clearInterval(flushTimer);
      sub.unsubscribe();
    },
  };
}
