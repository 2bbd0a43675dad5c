/**
 * The simulation swarm over the REAL actors: one run = one seed = a 3- or 5-node ensemble (storage with its WAL,
 * snapshots and recovery on a SimDisk; election; broadcast; the ZooKeeper service) built by the same node specs as
 * `createCluster`, on the deterministic simulator, with
 *
 *  - a concurrent client workload: several ZkClients on different nodes issuing creates, setData, deletes and
 *    multis with known values; every ACKNOWLEDGED write is recorded with its zxid and result;
 *  - a seeded fault plan (data: `planFaults`): crashes (the SimDisk loses unsynced writes, sometimes tears the
 *    last record) and restarts, in-place bounces, symmetric partitions, one-way cuts, clogged and slow nodes, and
 *    windows of loss, duplication and reordering;
 *
 * and two phases. SAFETY (faults on): the invariants are checked at the step that could break them (the storage
 * actor emits `TxnApplied{zxid, digest, resultHash}` per applied txn and `StorageLoaded` on recovery and SNAP when
 * `appliedEvents` is on; a violation is recorded by the event and thrown from the simulator's `onStep` hook):
 *  - at most one leader per epoch (`LeaderElected`);
 *  - every node's applied history is a prefix of one common history: the i-th txn a node applies (counted from
 *    the state it loaded) has the common history's zxid, tree digest after it and result hash; a state loaded by
 *    recovery or SNAP equals the common history's state at its zxid;
 *  - an acknowledged write is in the common history at its zxid with the result the client was told;
 *  - no actor throws (a throw is a bug; DESIGN.md §3).
 * LIVENESS (faults off, every node restarted, the network healed): within `livenessMs` of virtual time a leader
 * with a quorum serves, a new write commits, and every node converges to the end of the common history (same
 * zxid, same tree digest) — so nothing any node ever applied, and no acknowledged write, was lost.
 *
 * A failure is an `EnsembleSwarmViolation` whose message starts with `seed=0x...` and names the replay command.
 */
import { Cluster, ZkClient, ZkUnavailableError, actorKindsUrl, ensembleNodes } from '../../cluster.js';
import { DataTree } from '../../core/tree/tree.js';
import { followerAheadReason, type ZabState, type ZabTestFaults } from '../../core/zab/index.js';
import { Rng } from '../../core/rng.js';
import type { ClusterEvent } from '../../protocol/events.js';
import type { OpResult, ReadRequest, WriteOpRequest, WriteRequest, WriteResult, Zxid } from '../../protocol/txn.js';
import { Err, OPEN_ACL_UNSAFE } from '../../protocol/txn.js';
import type { ZkReply } from '../../protocol/zookeeper.js';
import { zxidHex } from '../../protocol/zxid.js';
import { resultHash, stateDigest, type Storage, type StorageTestFaults } from '../../storage/storage.js';
import { Keyspace } from '../../core/keyspace/index.js';
import type { NodeSpec } from '../../runtime/driver.js';
import type { RedisAnswer } from '../../protocol/keyspace.js';
import { SwarmRedisWorkload } from './redis-workload.js';
import { HistoryRecorder, defaultWorkload, redisKeyOf, runWorkload } from '../workload.js';
import type { RedisOp } from '../history.js';
import { checkHistory } from '../check/index.js';
import type { ZkOp } from '../history.js';
import { checkWatches, checkZk, type WatchFired, type WatchSet } from '../check/zk.js';
import { createSimRuntime, formatSeed, type SimNetOptions, type SimRuntime } from '../../runtime/sim/sim.js';

// ---------------------------------------------------------------------------------------------------------------
// Options and the fault plan (data)
// ---------------------------------------------------------------------------------------------------------------

export type FaultActionKind = 'crash' | 'crashInWindow' | 'bounce' | 'partition' | 'cut' | 'clog' | 'slow' | 'net' | 'client';

/**
 * The moments a `crashInWindow` waits for: `unsynced` — a node has log appends not yet fsynced (or a background
 * fsync in flight); `syncing` — a follower in ZAB's sync phase (its new epoch persisted, the entries of the same
 * sync not yet durable) with unsynced appends. A crash at a random time lands in these windows only by luck.
 */
export type CrashWindow = 'unsynced' | 'syncing';

/** A node named by its index (0-based) or "whoever leads when the fault fires". */
export type FaultTarget = number | 'leader';

export type SwarmFaultAction =
  /**
   * Kill the node (unsynced writes lost, maybe a torn tail) `afterSteps` simulator steps into the slice (so it can
   * land between an append and its fsync, or inside any exchange); restart it `downMs` later.
   */
  | { readonly kind: 'crash'; readonly target: FaultTarget; readonly downMs: number; readonly afterSteps: number }
  /**
   * Wait up to `withinMs` for the first node (any member) inside `window`, then kill it at that step (its
   * unsynced appends lost or torn); restart it `downMs` later. Nothing happens if no node enters the window.
   */
  | { readonly kind: 'crashInWindow'; readonly window: CrashWindow; readonly downMs: number; readonly withinMs: number }
  /** Crash and restart at once (a process restart). */
  | { readonly kind: 'bounce'; readonly target: FaultTarget }
  /** Split the nodes into groups (`side[i]` = node i's group), or cut the leader off; heal after `forMs`. */
  | { readonly kind: 'partition'; readonly side: readonly number[] | 'isolate-leader'; readonly forMs: number }
  /** Messages from `from` to `to` are lost (the other way still flows); heal after `forMs`. */
  | { readonly kind: 'cut'; readonly from: FaultTarget; readonly to: number; readonly forMs: number }
  /** Hold every message into or out of the node for `forMs`. */
  | { readonly kind: 'clog'; readonly target: FaultTarget; readonly forMs: number }
  /** Delay every message into the node by `delayMs` for `forMs`. */
  | { readonly kind: 'slow'; readonly target: FaultTarget; readonly delayMs: number; readonly forMs: number }
  /** A window of a worse network. */
  | { readonly kind: 'net'; readonly lossRatio: number; readonly duplicateRatio: number; readonly reorder: boolean; readonly forMs: number }
  /**
   * A window of worse client links: requests and answers lost or delivered twice (a write may then apply twice, as
   * after a ZooKeeper client's retry), and the clients cut off from node `cut` (null: none) — they time out and
   * reconnect elsewhere.
   */
  | { readonly kind: 'client'; readonly lossRatio: number; readonly duplicateRatio: number; readonly cut: number | null; readonly forMs: number };

export interface PlannedFault {
  readonly atMs: number;
  readonly action: SwarmFaultAction;
}

export interface EnsembleSwarmFaultMix {
  /** Mean virtual time between two fault actions of the safety phase. */
  readonly faultEveryMs: number;
  /** Relative weight of each fault action. */
  readonly weights: Readonly<Record<FaultActionKind, number>>;
  /** The safety phase's base network (the `net` action makes it worse for a while). */
  readonly lossRatio: number;
  readonly duplicateRatio: number;
  readonly reorder: boolean;
  /** Probability that a crash keeps a random prefix of the unsynced writes (a torn last record). */
  readonly tornWriteRatio: number;
  readonly latencyMaxMs: number;
  /** At most this many nodes down at once (a crash beyond it is skipped). */
  readonly downMax: number;
  /** Longest a crashed node stays down. */
  readonly downMaxMs: number;
  /** Longest a partition, cut, clog or slow window lasts. */
  readonly windowMaxMs: number;
}

export interface EnsembleSwarmOptions {
  readonly seed: number;
  /** Voters. */
  readonly nodes: number;
  /** Observers besides them (the last members): they serve clients and follow, never vote. */
  readonly observers: number;
  /** Virtual duration of the safety phase (faults on). */
  readonly safetyMs: number;
  /** The bound: after the faults stop, a leader, a new write and convergence within this virtual time. */
  readonly livenessMs: number;
  readonly clients: number;
  /** A client waits up to this long between requests. */
  readonly clientThinkMaxMs: number;
  /** A client request not answered within this fails (outcome unknown). */
  readonly requestTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  /** Distinct keys the workload writes (small: conflicts, deletes of existing nodes, version checks). */
  readonly keysMax: number;
  /** The share of client turns that send a Redis command of some type (./redis-workload.ts) instead of a ZooKeeper request. */
  readonly redisRatio: number;
  /** The lab's Redis clients (src/lab/workload.ts: registers, counters, lists, queues, MULTI; checked by src/lab/check). */
  readonly redisClients: number;
  /** The driver starts client requests and faults at this granularity of virtual time. */
  readonly sliceMs: number;
  readonly tickMs: number;
  readonly snapshotEveryTxns: number;
  /** ZAB's in-memory log window (small: followers further behind get a SNAP) and storage's recent window. */
  readonly logWindowMax: number;
  readonly segmentBytesMax: number;
  /** Storage's group commit window (fsync latency): crashes inside it lose (or tear) the unsynced appends. */
  readonly flushDelayMs: number;
  /** Background fsyncs taking this long (the real file system's path: appends go on while it syncs); unset: synchronous. */
  readonly backgroundFsyncMs?: number;
  readonly faults: EnsembleSwarmFaultMix;
  /** A deliberately broken storage (tests that show the swarm catches bugs): on `node`, or on every node. */
  readonly broken?: { readonly node?: string; readonly faults: StorageTestFaults };
  /** A deliberately broken ZAB on every node (docs/swarm-mutations.md). */
  readonly brokenZab?: ZabTestFaults;
  readonly traceMessages?: boolean;
}

/** A planned crash fires up to this many simulator steps after its slice starts. */
const crashAfterStepsMax = 60;

/** Longest a `crashInWindow` waits for its window. */
const crashWindowWaitMaxMs = 400;

const defaultWeights: Record<FaultActionKind, number> = { crash: 3, crashInWindow: 4, bounce: 1, partition: 3, cut: 2, clog: 2, slow: 1, net: 2, client: 2 };

/** The seed's choice of ensemble size, network, fault mix and storage tuning; `over` pins any of them. */
export function ensembleSwarmOptions(seed: number, over: Partial<EnsembleSwarmOptions> = {}): EnsembleSwarmOptions {
  const r = new Rng((seed ^ 0x51e7e) >>> 0);
  const nodes = over.nodes ?? (r.chance(0.25) ? 5 : 3);
  const faults: EnsembleSwarmFaultMix = {
    faultEveryMs: r.pick([60, 120, 250]),
    weights: defaultWeights,
    lossRatio: r.pick([0, 0, 0.01, 0.05]),
    duplicateRatio: r.pick([0, 0.01, 0.05]),
    reorder: r.chance(0.5),
    tornWriteRatio: r.pick([0, 0.5, 1]),
    latencyMaxMs: r.pick([1, 3, 8]),
    downMax: r.chance(0.2) ? nodes : Math.floor(nodes / 2) + (r.chance(0.3) ? 1 : 0),
    downMaxMs: r.pick([150, 400, 800]),
    windowMaxMs: r.pick([100, 300, 600]),
  };
  return {
    seed: seed >>> 0,
    nodes,
    safetyMs: 2_500,
    livenessMs: 6_000,
    clients: nodes + r.int(0, 3),
    clientThinkMaxMs: r.pick([2, 6, 15]),
    requestTimeoutMs: 1_500,
    sessionTimeoutMs: r.pick([1_000, 4_000, 30_000]),
    keysMax: r.pick([4, 12, 40]),
    sliceMs: 2,
    tickMs: 50,
    snapshotEveryTxns: r.pick([25, 60, 100_000]),
    logWindowMax: r.pick([8, 30, 500]),
    segmentBytesMax: r.pick([2_048, 16_384, 64 << 20]),
    flushDelayMs: r.pick([0.3, 1, 3]),
    ...(r.chance(0.5) ? { backgroundFsyncMs: r.pick([0.2, 1, 4]) } : {}),
    faults,
    observers: new Rng((seed ^ 0x0b5e) >>> 0).pick([0, 0, 1]),
    ...redisMix(seed),
    ...over,
  };
}

/** The seed's Redis load (its own draws, so that the rest of the options stay what they were). */
function redisMix(seed: number): { redisRatio: number; redisClients: number } {
  const r = new Rng((seed ^ 0x4ed15) >>> 0);
  return { redisRatio: r.pick([0, 0.1, 0.25]), redisClients: r.pick([0, 1, 2, 3]) };
}

/** The lab workload the swarm runs for its `redisClients`: a few shared keys, each client's ops bounded. */
const labRedisKeys = 3;
const labRedisOpsMax = 4_000;

/** Every member: the voters and the observers. */
function membersOf(o: EnsembleSwarmOptions): number {
  return o.nodes + o.observers;
}

/** The fault plan of a safety phase, drawn from the seed: plain data, printed with a failure. */
export function planFaults(o: EnsembleSwarmOptions): PlannedFault[] {
  const r = new Rng((o.seed ^ 0xfa017) >>> 0);
  const f = o.faults;
  const kinds = Object.keys(f.weights) as FaultActionKind[];
  const total = kinds.reduce((a, k) => a + f.weights[k], 0);
  const node = () => r.int(0, membersOf(o) - 1);
  const target = (): FaultTarget => (r.chance(0.4) ? 'leader' : node());
  const window = () => r.int(20, f.windowMaxMs);
  const out: PlannedFault[] = [];
  let t = r.int(20, 200);
  while (t < o.safetyMs && total > 0) {
    let roll = r.next() * total;
    let kind = kinds[0]!;
    for (const k of kinds) {
      roll -= f.weights[k];
      if (roll < 0) {
        kind = k;
        break;
      }
    }
    let action: SwarmFaultAction;
    switch (kind) {
      case 'crash':
        action = { kind, target: target(), downMs: r.int(10, f.downMaxMs), afterSteps: r.int(0, crashAfterStepsMax) };
        break;
      case 'crashInWindow':
        action = { kind, window: r.chance(0.6) ? 'syncing' : 'unsynced', downMs: r.int(10, f.downMaxMs), withinMs: r.int(20, crashWindowWaitMaxMs) };
        break;
      case 'bounce':
        action = { kind, target: target() };
        break;
      case 'partition':
        action = { kind, side: r.chance(0.4) ? 'isolate-leader' : Array.from({ length: membersOf(o) }, () => r.int(0, 1)), forMs: window() };
        break;
      case 'cut': {
        const from = target();
        let to = node();
        if (to === from) to = (to + 1) % membersOf(o);
        action = { kind, from, to, forMs: window() };
        break;
      }
      case 'clog':
        action = { kind, target: target(), forMs: r.int(10, Math.min(300, f.windowMaxMs)) };
        break;
      case 'slow':
        action = { kind, target: target(), delayMs: r.pick([2, 10, 40]), forMs: window() };
        break;
      case 'net':
        action = { kind, lossRatio: r.pick([0.05, 0.2]), duplicateRatio: r.pick([0, 0.1]), reorder: true, forMs: window() };
        break;
      case 'client':
        action = { kind, lossRatio: r.pick([0, 0.05, 0.2]), duplicateRatio: r.pick([0, 0.05, 0.2]), cut: r.chance(0.5) ? node() : null, forMs: window() };
        break;
    }
    out.push({ atMs: t, action });
    t += 1 + Math.floor(-Math.log(1 - r.next()) * f.faultEveryMs);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Results and failures
// ---------------------------------------------------------------------------------------------------------------

export interface EnsembleSwarmStats {
  seed: number;
  nodes: number;
  observers: number;
  /** Sessions moved to another node (acknowledged), and writes through the node left behind refused SESSIONMOVED. */
  sessionMoves: number;
  staleWritesRefused: number;
  virtualMs: number;
  steps: number;
  faultsInjected: number;
  faultsByKind: Record<string, number>;
  crashes: number;
  /** Crashes that lost unsynced appends, and those that left a torn tail. */
  crashesLosingWrites: number;
  crashesTearing: number;
  elections: number;
  /** Leaders that abandoned discovery because a follower of their quorum was more up to date. */
  followerAheadAbandons: number;
  leaders: number;
  writesIssued: number;
  writesAcked: number;
  writesFailed: number;
  /** Reads (plain, sync-then-read, watch-setting) issued and answered; watch notifications. */
  readsIssued: number;
  readsDone: number;
  /** Redis commands issued and answered (./redis-workload.ts). */
  redisIssued: number;
  redisAnswered: number;
  watchesFired: number;
  committed: number;
  recoveries: number;
  snapshotsInstalled: number;
  syncModes: Record<string, number>;
  livenessMs: number;
  traceHash: string;
}

export function emptyStats(): EnsembleSwarmStats {
  return {
    seed: 0,
    nodes: 0,
    observers: 0,
    sessionMoves: 0,
    staleWritesRefused: 0,
    virtualMs: 0,
    steps: 0,
    faultsInjected: 0,
    faultsByKind: {},
    crashes: 0,
    crashesLosingWrites: 0,
    crashesTearing: 0,
    elections: 0,
    followerAheadAbandons: 0,
    leaders: 0,
    writesIssued: 0,
    writesAcked: 0,
    writesFailed: 0,
    readsIssued: 0,
    readsDone: 0,
    redisIssued: 0,
    redisAnswered: 0,
    watchesFired: 0,
    committed: 0,
    recoveries: 0,
    snapshotsInstalled: 0,
    syncModes: {},
    livenessMs: 0,
    traceHash: '',
  };
}

/** Add `s` into `total` (the counters; seed, nodes and trace hash are left alone). */
export function addStats(total: EnsembleSwarmStats, s: EnsembleSwarmStats): void {
  for (const k of ['sessionMoves', 'staleWritesRefused', 'virtualMs', 'steps', 'faultsInjected', 'crashes', 'crashesLosingWrites', 'crashesTearing', 'elections', 'followerAheadAbandons', 'leaders', 'writesIssued', 'writesAcked', 'writesFailed', 'readsIssued', 'readsDone', 'redisIssued', 'redisAnswered', 'watchesFired', 'committed', 'recoveries', 'snapshotsInstalled'] as const) {
    total[k] += s[k];
  }
  total.livenessMs = Math.max(total.livenessMs, s.livenessMs);
  for (const [k, v] of Object.entries(s.faultsByKind)) total.faultsByKind[k] = (total.faultsByKind[k] ?? 0) + v;
  for (const [k, v] of Object.entries(s.syncModes)) total.syncModes[k] = (total.syncModes[k] ?? 0) + v;
}

/** Options a run pinned instead of taking the seed's choice (the replay command must repeat them). */
export interface PinnedOptions {
  readonly nodes?: number;
  readonly safetyMs?: number;
}

/** How to replay one seed (the test and the CLI). */
export function replayCommand(seed: number, pinned: PinnedOptions = {}): string {
  const s = formatSeed(seed);
  const flags = `${pinned.nodes !== undefined ? ` --nodes ${pinned.nodes}` : ''}${pinned.safetyMs !== undefined ? ` --safety-ms ${pinned.safetyMs}` : ''}`;
  const cli = `npx conclave sim --seed ${s}${flags}`;
  return flags === '' ? `SEED=${s} npm test -- cluster/swarm   or   ${cli}` : cli;
}

export class EnsembleSwarmViolation extends Error {
  constructor(
    readonly seed: number,
    readonly what: string,
    readonly detail: string,
    pinned: PinnedOptions = {},
  ) {
    super(`seed=${formatSeed(seed)} ${what}\n  replay: ${replayCommand(seed, pinned)}${detail ? `\n${detail}` : ''}`);
    this.name = 'EnsembleSwarmViolation';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------------------------

interface HistoryEntry {
  readonly zxid: Zxid;
  readonly digest: number;
  readonly resultHash: number;
  /** Node that applied it first (for messages). */
  readonly node: string;
}

interface Ack {
  readonly client: number;
  readonly zxid: Zxid;
  readonly resultHash: number;
  readonly what: string;
}

interface SwarmClient {
  readonly id: number;
  /** The node its session is on (a session move changes it). */
  node: string;
  zk: ZkClient | null;
  /** After an acknowledged session move: the session's client on the node it left, for one probe write. */
  stale: ZkClient | null;
  busy: boolean;
  nextAtMs: number;
  seq: number;
}

type Agenda = { atMs: number; seq: number; what: string; run: () => Promise<void> | void };

const freshDigest = stateDigest(DataTree.fresh(), new Keyspace());
/** The share of a client's turns that move its session to another node. */
const sessionMoveRatio = 0.03;
/** The share of a client's requests that read (the rest write); of those, the share that sync first, and of the plain reads the share that set a watch. */
const readRatio = 0.35;
const syncReadShare = 0.4;
const watchRatio = 0.4;
/** After a failed request, the chance that the client reconnects its session to another node (a real client does on connection loss). */
const reconnectAfterFailureRatio = 0.3;
/** A client whose request failed waits up to this long more before the next one. */
const clientRetryBackoffMaxMs = 30;
/** Recent swarm log lines kept for a failure report. */
const logLinesMax = 40;

class EnsembleSwarm {
  readonly rt: SimRuntime;
  readonly cluster: Cluster;
  readonly names: readonly string[];
  readonly rng: Rng;
  readonly stats = emptyStats();
  readonly history: HistoryEntry[] = [];
  readonly indexOf = new Map<Zxid, number>();
  /** Per node: how many common-history entries its current state holds (null while down or loading). */
  readonly cursor = new Map<string, number | null>();
  readonly leaderOfEpoch = new Map<number, number>();
  readonly acks: Ack[] = [];
  readonly clients: SwarmClient[] = [];
  /** What the clients saw (answered reads and writes, watches set and fired): checked at the end (src/lab/check/zk.ts). */
  readonly ops: ZkOp[] = [];
  readonly watchSets: WatchSet[] = [];
  readonly watchesFired: WatchFired[] = [];
  readonly redis: SwarmRedisWorkload;
  /** What the lab's Redis clients did (checked at the end by src/lab/check). */
  readonly labHistory: HistoryRecorder;
  readonly incarnation = new Map<string, number>();
  readonly log: string[] = [];
  violation: EnsembleSwarmViolation | null = null;
  agenda: Agenda[] = [];
  agendaSeq = 0;
  /**
   * Faults waiting for their step (crashes land between any two steps, not only at slice boundaries): each is
   * asked after every step and answers true once it fired or gave up.
   */
  armed: (() => boolean)[] = [];
  workloadOn = true;
  faultsOn = true;

  constructor(
    readonly o: EnsembleSwarmOptions,
    rt: SimRuntime,
    readonly pinned: PinnedOptions = {},
  ) {
    this.rt = rt;
    this.cluster = new Cluster(rt, null);
    this.names = rt.nodes;
    this.rng = new Rng((o.seed ^ 0xc11e7) >>> 0);
    this.redis = new SwarmRedisWorkload(new Rng((o.seed ^ 0x4ed1) >>> 0));
    this.labHistory = new HistoryRecorder(() => rt.now());
    this.stats.seed = o.seed;
    this.stats.nodes = o.nodes;
    this.stats.observers = o.observers;
    for (const n of this.names) this.cursor.set(n, null);
    // The nodes started (and their storage loaded its state) when the runtime was created: catch up first.
    for (const e of rt.recentEvents()) this.onEvent(e);
    rt.events$.subscribe((e) => this.onEvent(e));
    rt.onStep = () => {
      if (this.armed.length > 0) this.fireArmed();
      if (this.violation !== null) throw this.violation;
    };
    for (let i = 0; i < o.clients; i++) {
      this.clients.push({ id: i + 1, node: this.names[i % this.names.length]!, zk: null, stale: null, busy: false, nextAtMs: this.rng.int(0, 20), seq: 0 });
    }
  }

  note(line: string): void {
    this.log.push(`t=${this.rt.now().toFixed(1)} ${line}`);
    if (this.log.length > 2 * logLinesMax) this.log.splice(0, this.log.length - logLinesMax);
  }

  fail(what: string): void {
    if (this.violation !== null) return;
    this.violation = new EnsembleSwarmViolation(this.o.seed, `t=${this.rt.now().toFixed(1)}ms ${what}`, this.describe(), this.pinned);
  }

  describe(): string {
    const lines: string[] = [];
    for (const n of this.names) {
      const st = this.storageOf(n);
      const zk = this.zkStateOf(n);
      lines.push(
        `  ${n}${this.rt.isUp(n) ? '' : ' (down)'}: ${zk ? `${zk.role} epoch ${zk.epoch}` : '-'}; applied ${st ? zxidHex(st.appliedZxid) : '-'} digest ${st ? st.digest() : '-'} logged ${st ? zxidHex(st.lastZxid) : '-'}; history cursor ${this.cursor.get(n) ?? '-'}/${this.history.length}`,
      );
    }
    lines.push(`  options: ${JSON.stringify({ ...this.o, faults: { ...this.o.faults, weights: undefined } })}`);
    lines.push('  recent swarm log:');
    for (const l of this.log.slice(-logLinesMax)) lines.push(`    ${l}`);
    return lines.join('\n');
  }

  storageOf(node: string): Storage | null {
    const st = this.rt.host(node)?.stateOf('storage') as { storage: Storage } | undefined;
    return st?.storage ?? null;
  }

  zkStateOf(node: string): { role: string; epoch: number; appliedZxid: number } | null {
    return (this.rt.host(node)?.stateOf('zookeeper') as { role: string; epoch: number; appliedZxid: number } | undefined) ?? null;
  }

  // --- the invariants, at the event that could break them ------------------------------------------------------

  onEvent(e: ClusterEvent): void {
    switch (e.type) {
      case 'TxnApplied': {
        const at = this.cursor.get(e.node);
        if (at === null || at === undefined) return this.fail(`${e.node} applied ${zxidHex(e.zxid)} before loading a state`);
        const h = this.history[at];
        if (h === undefined) {
          this.history.push({ zxid: e.zxid, digest: e.digest, resultHash: e.resultHash, node: e.node });
          this.indexOf.set(e.zxid, at);
        } else if (h.zxid !== e.zxid || h.digest !== e.digest || h.resultHash !== e.resultHash) {
          return this.fail(
            `${e.node} diverges from the common history at index ${at}: applied ${zxidHex(e.zxid)} (digest ${e.digest}, result ${e.resultHash}) where ${h.node} applied ${zxidHex(h.zxid)} (digest ${h.digest}, result ${h.resultHash})`,
          );
        }
        this.cursor.set(e.node, at + 1);
        return;
      }
      case 'StorageLoaded': {
        if (e.source === 'recovery') this.stats.recoveries++;
        else this.stats.snapshotsInstalled++;
        if (e.zxid === 0) {
          if (e.digest !== freshDigest) return this.fail(`${e.node} loaded an empty state with digest ${e.digest}`);
          this.cursor.set(e.node, 0);
          return;
        }
        const i = this.indexOf.get(e.zxid);
        if (i === undefined) return this.fail(`${e.node} loaded (${e.source}) a state at ${zxidHex(e.zxid)}, which is not in the common history`);
        if (this.history[i]!.digest !== e.digest) {
          return this.fail(`${e.node} loaded (${e.source}) a state at ${zxidHex(e.zxid)} with digest ${e.digest}; the common history has ${this.history[i]!.digest}`);
        }
        this.cursor.set(e.node, i + 1);
        this.note(`${e.node} loaded ${e.source} at ${zxidHex(e.zxid)}`);
        return;
      }
      case 'NodeStarted':
        this.incarnation.set(e.node, e.incarnation);
        return;
      case 'NodeCrashed':
        this.cursor.set(e.node, null);
        this.note(`${e.node} crashed (${e.reason})`);
        return;
      case 'LeaderElected': {
        this.stats.leaders++;
        const prev = this.leaderOfEpoch.get(e.epoch);
        if (prev !== undefined && prev !== e.leader) return this.fail(`two leaders in epoch ${e.epoch}: n${prev} and n${e.leader}`);
        this.leaderOfEpoch.set(e.epoch, e.leader);
        this.note(`${e.node} leads epoch ${e.epoch} from ${zxidHex(e.zxid)}`);
        return;
      }
      case 'ElectionStarted':
        this.stats.elections++;
        if (e.reason === followerAheadReason) this.stats.followerAheadAbandons++;
        return;
      case 'SyncStarted':
        this.stats.syncModes[e.mode] = (this.stats.syncModes[e.mode] ?? 0) + 1;
        return;
      case 'WatchTriggered':
        this.stats.watchesFired++;
        this.watchesFired.push({ session: `${e.sessionId.toString(16)}@${e.node}#${this.incarnation.get(e.node) ?? 0}`, path: e.path, zxid: e.zxid, atMs: e.time });
        return;
      case 'ActorRestarted':
        return this.fail(`actor ${e.actor} threw (${e.directive}): ${e.error}`);
      case 'FaultInjected':
        if (!this.faultsOn) return; // the liveness phase's clean-up
        this.stats.faultsInjected++;
        this.stats.faultsByKind[e.fault.kind] = (this.stats.faultsByKind[e.fault.kind] ?? 0) + 1;
        return;
      default:
        return;
    }
  }

  onAck(c: SwarmClient, what: string, zxid: Zxid, result: WriteResult): void {
    const rh = resultHash(result);
    this.acks.push({ client: c.id, zxid, resultHash: rh, what });
    this.stats.writesAcked++;
    const i = this.indexOf.get(zxid);
    if (i === undefined) return this.fail(`client ${c.id} on ${c.node} was acknowledged ${what} at ${zxidHex(zxid)}, which no node applied`);
    if (this.history[i]!.resultHash !== rh) return this.fail(`client ${c.id} was acknowledged ${what} at ${zxidHex(zxid)} with result ${JSON.stringify(result)}, not the committed one`);
  }

  // --- the workload --------------------------------------------------------------------------------------------

  startClientOps(): void {
    const now = this.rt.now();
    for (const c of this.clients) {
      if (c.busy || c.nextAtMs > now) continue;
      c.busy = true;
      const done = () => {
        c.busy = false;
        c.nextAtMs = this.rt.now() + this.rng.int(0, this.o.clientThinkMaxMs);
      };
      if (c.zk === null) {
        this.connect(c.node, this.o.sessionTimeoutMs).then(
          (zk) => {
            c.zk = zk;
            done();
          },
          () => {
            done();
            c.nextAtMs += 20;
          },
        );
        continue;
      }
      if (c.stale !== null) {
        this.probeStale(c, c.stale, done);
        continue;
      }
      if (this.o.redisRatio > 0 && this.rng.chance(this.o.redisRatio)) {
        this.redisOp(c, done);
        continue;
      }
      if (this.names.length > 1 && this.rng.chance(sessionMoveRatio)) {
        this.moveSession(c, c.zk, done);
        continue;
      }
      const roll = this.rng.next();
      if (roll < readRatio) this.read(c, c.zk, roll < readRatio * syncReadShare, done);
      else this.write(c, c.zk, done);
    }
  }

  /**
   * The session key of the history checks: a session on one incarnation of one node (one connection: its answers
   * are sequential). A restarted node breaks the connection, and this API has no connect-time check of the zxid the
   * client saw last (ZooKeeper's lastZxidSeen), so the checks start over there. A request that ran across a restart
   * (invoked at `inc0`) may have been answered by either incarnation: no key (global checks only).
   */
  sessionKey(zk: ZkClient, inc0: number, incarnation = this.incarnation.get(zk.node) ?? 0): string | null {
    return inc0 === incarnation ? `${zk.sessionId.toString(16)}@${zk.node}#${incarnation}` : null;
  }

  /** A failed request (outcome unknown): back off; sometimes reconnect elsewhere, as a client after a lost connection. */
  failed(c: SwarmClient, zk: ZkClient, what: string, e: unknown, done: () => void): void {
    if (!(e instanceof ZkUnavailableError)) this.fail(`client ${c.id}: ${(e as Error).stack}`);
    this.note(`client ${c.id} on ${c.node}: ${what} failed: ${(e as Error).message}`);
    if (this.names.length > 1 && c.zk === zk && this.rng.chance(reconnectAfterFailureRatio)) {
      this.moveSession(c, zk, done);
      return;
    }
    done();
    c.nextAtMs += this.rng.int(5, clientRetryBackoffMaxMs);
  }

  write(c: SwarmClient, zk: ZkClient, done: () => void): void {
    const { request, what } = this.nextRequest(c);
    this.stats.writesIssued++;
    const t0 = this.rt.now();
    const inc0 = this.incarnation.get(zk.node) ?? 0;
    zk.write(request).then(
      ({ zxid, result }) => {
        this.onAck(c, what, zxid, result);
        const op = request.type === 'Create' ? 'create' : request.type === 'SetData' ? 'setData' : request.type === 'Delete' ? 'delete' : 'multi';
        const path = 'path' in request ? request.path : request.type === 'Multi' ? (request.ops[0]?.path ?? '') : '';
        const outcome = result.type === 'Error' ? 'fail' : 'ok';
        this.ops.push({ kind: 'zk', id: this.ops.length, client: `client ${c.id}`, node: zk.node, session: this.sessionKey(zk, inc0), op, path, callMs: t0, returnMs: this.rt.now(), outcome, zxid: zxidHex(zxid) });
        if (result.type === 'Error' && (result.err === Err.SESSIONEXPIRED || result.err === Err.SESSIONMOVED)) c.zk = null;
        done();
      },
      (e: unknown) => {
        this.stats.writesFailed++;
        this.failed(c, zk, what, e, done);
      },
    );
  }

  /** One Redis command through the client's node (./redis-workload.ts checks what it is told). */
  redisOp(c: SwarmClient, done: () => void): void {
    const op = this.redis.next(c.id);
    this.stats.redisIssued++;
    this.rt.ask<RedisAnswer>(`${c.node}/redis`, op.request, this.o.requestTimeoutMs).then(
      (a) => {
        this.stats.redisAnswered++;
        if (a.type === 'RedisAnswer') op.answered(a.reply);
        else this.fail(`client ${c.id}: ${op.what} answered ${JSON.stringify(a)}`);
        done();
      },
      (e: unknown) => {
        this.note(`client ${c.id} on ${c.node}: ${op.what} failed: ${(e as Error).message}`);
        done();
        c.nextAtMs += this.rng.int(5, clientRetryBackoffMaxMs);
      },
    );
  }

  /** A plain read, a sync-then-read, or a read that sets a watch (`watchRatio`). */
  read(c: SwarmClient, zk: ZkClient, synced: boolean, done: () => void): void {
    const r = this.rng;
    const path = `/k${r.int(0, this.o.keysMax - 1)}`;
    const kind = r.pick(['data', 'exists', 'children'] as const);
    const request: ReadRequest = kind === 'data' ? { type: 'GetData', path } : kind === 'exists' ? { type: 'Exists', path } : { type: 'GetChildren', path };
    const watch = !synced && r.chance(watchRatio) ? kind : undefined;
    const what = `${synced ? 'sync+' : ''}${request.type} ${path}${watch ? ' (watch)' : ''}`;
    const inc0 = this.incarnation.get(zk.node) ?? 0;
    // The watch may be set (counted from the start: the answer may never come) on any incarnation of the node
    // between the one at the start and the one at the answer.
    if (watch !== undefined) this.watchSets.push({ session: this.sessionKey(zk, inc0)!, path });
    const setWatch = () => {
      if (watch === undefined) return;
      for (let i = inc0 + 1; i <= (this.incarnation.get(zk.node) ?? 0); i++) this.watchSets.push({ session: this.sessionKey(zk, i, i)!, path });
    };
    this.stats.readsIssued++;
    const t0 = this.rt.now();
    (synced ? zk.sync().then(() => zk.read(request, watch)) : zk.read(request, watch)).then(
      ({ zxid, result }) => {
        this.stats.readsDone++;
        const session = this.sessionKey(zk, inc0);
        setWatch();
        // Across a restart of its node the connection broke: a real client's read fails then; tell nothing.
        const op = kind === 'data' ? (synced ? 'syncGetData' : 'getData') : kind === 'exists' ? 'exists' : 'getChildren';
        if (session !== null) this.ops.push({ kind: 'zk', id: this.ops.length, client: `client ${c.id}`, node: zk.node, session, op, path, synced, callMs: t0, returnMs: this.rt.now(), outcome: 'ok', stateZxid: zxidHex(zxid) });
        if (result.type === 'Error' && (result.err === Err.SESSIONEXPIRED || result.err === Err.SESSIONMOVED)) c.zk = null;
        done();
      },
      (e: unknown) => {
        setWatch();
        this.failed(c, zk, what, e, done);
      },
    );
  }

  /**
   * The client reconnects its session to another node, as a ZooKeeper client does: MoveSession through the new
   * node. Acknowledged, the node it left is stale for the session.
   */
  moveSession(c: SwarmClient, zk: ZkClient, done: () => void): void {
    const others = this.names.filter((n) => n !== c.node);
    const to = others[this.rng.int(0, others.length - 1)]!;
    const moved = new ZkClient(this.cluster.gateway, to, zk.sessionId, zk.timeoutMs, this.o.requestTimeoutMs);
    const what = `MoveSession ${zk.sessionId} ${c.node} -> ${to}`;
    moved.write({ type: 'MoveSession' }).then(
      ({ zxid, result }) => {
        this.onAck(c, what, zxid, result);
        if (result.type === 'MoveSession') {
          this.stats.sessionMoves++;
          c.stale = zk;
          c.zk = moved;
          c.node = to;
        } else c.zk = null; // expired
        done();
      },
      (e: unknown) => {
        if (!(e instanceof ZkUnavailableError)) this.fail(`client ${c.id}: ${(e as Error).stack}`);
        this.note(`client ${c.id}: ${what} failed: ${(e as Error).message}`);
        done(); // outcome unknown: writes through the old node may fail SESSIONMOVED (then a new session)
      },
    );
  }

  /** One write through the node the session left after an acknowledged move: it must fail SESSIONMOVED. */
  probeStale(c: SwarmClient, stale: ZkClient, done: () => void): void {
    c.stale = null;
    const { request, what } = this.nextRequest(c);
    stale.write(request).then(
      ({ zxid, result }) => {
        this.onAck(c, `${what} via ${stale.node} after the session moved`, zxid, result);
        const err = result.type === 'Error' ? result.err : null;
        if (err !== Err.SESSIONMOVED && err !== Err.SESSIONEXPIRED) {
          this.fail(`client ${c.id}: ${what} through ${stale.node} after its session moved to ${c.node} gave ${JSON.stringify(result)}, not SESSIONMOVED`);
        }
        if (err === Err.SESSIONMOVED) this.stats.staleWritesRefused++;
        done();
      },
      (e: unknown) => {
        if (!(e instanceof ZkUnavailableError)) this.fail(`client ${c.id}: ${(e as Error).stack}`);
        done();
      },
    );
  }

  async connect(node: string, sessionTimeoutMs: number): Promise<ZkClient> {
    const r = await this.rt.ask<ZkReply>(`${node}/zookeeper`, { type: 'ZkConnect', timeoutMs: sessionTimeoutMs }, this.o.requestTimeoutMs);
    if (r.type !== 'ZkConnected') throw new ZkUnavailableError(r.type === 'ZkFailed' ? r.reason : r.type);
    return new ZkClient(this.cluster.gateway, node, r.sessionId, r.timeoutMs, this.o.requestTimeoutMs);
  }

  nextRequest(c: SwarmClient): { request: WriteRequest; what: string } {
    const r = this.rng;
    c.seq++;
    const value = `c${c.id}-${c.seq}`;
    const data = new TextEncoder().encode(value);
    const key = () => `/k${r.int(0, this.o.keysMax - 1)}`;
    const version = () => (r.chance(0.7) ? -1 : r.int(0, 3));
    const op = (): WriteOpRequest => {
      const roll = r.next();
      if (roll < 0.35) return { type: 'Create', path: key(), data, acl: OPEN_ACL_UNSAFE, mode: r.chance(0.15) ? 1 : 0 };
      if (roll < 0.75) return { type: 'SetData', path: key(), data, version: version() };
      if (roll < 0.85) return { type: 'Check', path: key(), version: version() };
      return { type: 'Delete', path: key(), version: version() };
    };
    const roll = r.next();
    let request: WriteRequest;
    if (roll < 0.1) request = { type: 'Create', path: '/q-', data, acl: OPEN_ACL_UNSAFE, mode: r.chance(0.5) ? 2 : 3 };
    else if (roll < 0.25) request = { type: 'Multi', ops: Array.from({ length: r.int(1, 3) }, op) };
    else request = op();
    const path = 'path' in request ? request.path : `[${(request as { ops: readonly OpResult[] }).ops.length} ops]`;
    return { request, what: `${request.type} ${path} ${value}` };
  }

  // --- faults --------------------------------------------------------------------------------------------------

  schedule(atMs: number, what: string, run: () => Promise<void> | void): void {
    this.agenda.push({ atMs, seq: ++this.agendaSeq, what, run });
    this.agenda.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
  }

  leaderIndex(): number | null {
    let best: number | null = null;
    let bestEpoch = -1;
    this.names.forEach((n, i) => {
      const z = this.zkStateOf(n);
      if (z !== null && z.role === 'leading' && z.epoch > bestEpoch) {
        best = i;
        bestEpoch = z.epoch;
      }
    });
    return best;
  }

  resolve(t: FaultTarget): string | null {
    if (t === 'leader') {
      const i = this.leaderIndex();
      return i === null ? null : this.names[i]!;
    }
    return this.names[t]!;
  }

  async inject(p: PlannedFault): Promise<void> {
    const a = p.action;
    const rt = this.rt;
    switch (a.kind) {
      case 'crash': {
        const n = this.resolve(a.target);
        if (n === null) return;
        // Armed: fires `afterSteps` steps from now, between two simulator steps.
        let steps = a.afterSteps;
        this.armed.push(() => {
          if (--steps >= 0) return false;
          this.crash(n, a.downMs, 'crash');
          return true;
        });
        return;
      }
      case 'crashInWindow': {
        const deadlineMs = rt.now() + a.withinMs;
        this.armed.push(() => {
          if (rt.now() > deadlineMs) return true;
          const n = this.names.find((x) => this.inWindow(x, a.window));
          if (n === undefined) return false;
          this.crash(n, a.downMs, `crash in the ${a.window} window`);
          return true;
        });
        return;
      }
      case 'bounce': {
        const n = this.resolve(a.target);
        if (n === null || !rt.isUp(n)) return;
        this.stats.crashes++;
        this.note(`bounce ${n}`);
        await rt.restart(n);
        return;
      }
      case 'partition': {
        let groups: string[][];
        if (a.side === 'isolate-leader') {
          const l = this.resolve('leader');
          if (l === null) return;
          groups = [[l], this.names.filter((x) => x !== l)];
        } else {
          const side = a.side;
          groups = [0, 1].map((g) => this.names.filter((_, i) => side[i] === g)).filter((g) => g.length > 0);
        }
        this.note(`partition ${JSON.stringify(groups)} for ${a.forMs} ms`);
        await rt.partition(groups);
        this.schedule(rt.now() + a.forMs, 'heal', () => rt.heal());
        return;
      }
      case 'cut': {
        const from = this.resolve(a.from);
        const to = this.names[a.to]!;
        if (from === null || from === to) return;
        this.note(`cut ${from}>${to} for ${a.forMs} ms`);
        await rt.cut(from, to);
        this.schedule(rt.now() + a.forMs, 'heal', () => rt.heal());
        return;
      }
      case 'clog': {
        const n = this.resolve(a.target);
        if (n === null) return;
        this.note(`clog ${n} for ${a.forMs} ms`);
        this.stats.faultsInjected++;
        this.stats.faultsByKind.clog = (this.stats.faultsByKind.clog ?? 0) + 1;
        rt.clog(n, a.forMs);
        return;
      }
      case 'slow': {
        const n = this.resolve(a.target);
        if (n === null) return;
        this.note(`slow ${n} by ${a.delayMs} ms for ${a.forMs} ms`);
        await rt.slow(n, a.delayMs);
        this.schedule(rt.now() + a.forMs, `unslow ${n}`, () => rt.slow(n, 0));
        return;
      }
      case 'net': {
        this.note(`net loss ${a.lossRatio} dup ${a.duplicateRatio} reorder for ${a.forMs} ms`);
        this.stats.faultsInjected++;
        this.stats.faultsByKind.net = (this.stats.faultsByKind.net ?? 0) + 1;
        rt.setNet({ lossRatio: a.lossRatio, duplicateRatio: a.duplicateRatio, reorder: a.reorder });
        this.schedule(rt.now() + a.forMs, 'net back to base', () => {
          if (this.faultsOn) rt.setNet(this.baseNet());
        });
        return;
      }
      case 'client': {
        const cut = a.cut === null ? [] : [this.names[a.cut]!];
        this.note(`client links: loss ${a.lossRatio} dup ${a.duplicateRatio}${cut.length > 0 ? `, clients cut off from ${cut[0]}` : ''} for ${a.forMs} ms`);
        this.stats.faultsInjected++;
        this.stats.faultsByKind.client = (this.stats.faultsByKind.client ?? 0) + 1;
        rt.setNet({ clientLossRatio: a.lossRatio, clientDuplicateRatio: a.duplicateRatio, clientCut: cut });
        this.schedule(rt.now() + a.forMs, 'client links healed', () => rt.setNet(this.clientNetOff()));
        return;
      }
    }
  }

  clientNetOff(): Partial<SimNetOptions> {
    return { clientLossRatio: 0, clientDuplicateRatio: 0, clientCut: [] };
  }

  fireArmed(): void {
    this.armed = this.armed.filter((tryFire) => !tryFire());
  }

  /** Kill `n` now (unless it is down or too many are) and restart it `downMs` later. */
  crash(n: string, downMs: number, what: string): void {
    const rt = this.rt;
    const down = this.names.filter((x) => !rt.isUp(x)).length;
    if (!rt.isUp(n) || down >= this.o.faults.downMax) return;
    this.stats.crashes++;
    const st = this.storageOf(n);
    this.note(`${what}: ${n} for ${downMs} ms${st !== null && st.lastZxid > st.durableZxid ? ` (logged to ${zxidHex(st.lastZxid)}, durable to ${zxidHex(st.durableZxid)})` : ''}`);
    void rt.kill(n); // synchronous in the simulator
    this.schedule(rt.now() + downMs, `restart ${n}`, () => (rt.isUp(n) ? undefined : rt.restart(n)));
  }

  /** Is node `n` inside a crash window now? */
  inWindow(n: string, w: CrashWindow): boolean {
    const st = this.storageOf(n);
    if (st === null || st.lastZxid <= st.durableZxid) return false;
    if (w === 'unsynced') return true;
    const b = this.rt.host(n)?.stateOf('broadcast') as { zab: ZabState<unknown> } | undefined;
    const role = b?.zab.role;
    return role !== undefined && role.kind === 'following' && (role.phase === 'sync' || role.phase === 'synced');
  }

  baseNet(): Partial<SimNetOptions> {
    const f = this.o.faults;
    return { lossRatio: f.lossRatio, duplicateRatio: f.duplicateRatio, reorder: f.reorder, tornWriteRatio: f.tornWriteRatio };
  }

  async runAgenda(): Promise<void> {
    const now = this.rt.now();
    while (this.agenda.length > 0 && this.agenda[0]!.atMs <= now) {
      const a = this.agenda.shift()!;
      await a.run();
    }
  }

  async step(): Promise<void> {
    await this.runAgenda();
    if (this.workloadOn) this.startClientOps();
    await this.rt.runFor(this.o.sliceMs);
    if (this.violation !== null) throw this.violation;
  }

  // --- phases --------------------------------------------------------------------------------------------------

  async safety(plan: readonly PlannedFault[]): Promise<void> {
    this.rt.setNet(this.baseNet());
    if (this.o.redisClients > 0) {
      const redisMix = { ...defaultWorkload.redisMix, qpush: 2, lpop: 1, blpop: 1, cas: 1 };
      const spec = { ...defaultWorkload, redisMix, zkClients: 0, eurekaClients: 0, redisClients: this.o.redisClients, keys: labRedisKeys, opsMax: labRedisOpsMax, thinkMs: this.o.clientThinkMaxMs, requestTimeoutMs: this.o.requestTimeoutMs };
      const clock = { now: () => this.rt.now(), wait: (ms: number) => this.rt.delay(ms) };
      // settles when the workload stops (the liveness phase); an op still in flight at the end stays unknown
      void runWorkload(this.cluster, spec, this.labHistory, clock, (this.o.seed ^ 0x1ab) >>> 0, () => !this.workloadOn);
    }
    for (const p of plan) this.schedule(p.atMs, `fault ${p.action.kind}`, () => this.inject(p));
    while (this.rt.now() < this.o.safetyMs) await this.step();
  }

  async stopFaults(): Promise<void> {
    const rt = this.rt;
    this.faultsOn = false;
    this.agenda = [];
    this.armed = [];
    rt.setNet({ lossRatio: 0, duplicateRatio: 0, reorder: false, tornWriteRatio: 0, ...this.clientNetOff() });
    await rt.heal();
    await rt.drop(0);
    for (const n of this.names) {
      await rt.slow(n, 0);
      rt.clog(n, 0);
      if (!rt.isUp(n)) await rt.restart(n);
    }
    this.note('faults off, all nodes up');
  }

  /** Every node up, one leader with every other node following its epoch, all at the same zxid and digest. */
  converged(minZxid: Zxid): boolean {
    let zxid = -1;
    let digest = -1;
    let epoch = -1;
    let leaders = 0;
    for (const n of this.names) {
      const st = this.storageOf(n);
      const zk = this.zkStateOf(n);
      if (st === null || zk === null || zk.role === 'looking') return false;
      if (zk.role === 'leading') leaders++;
      if (epoch === -1) epoch = zk.epoch;
      else if (zk.epoch !== epoch) return false;
      if (zxid === -1) {
        zxid = st.appliedZxid;
        digest = st.digest();
      } else if (st.appliedZxid !== zxid || st.digest() !== digest) return false;
      if (this.cursor.get(n) !== this.history.length) return false;
    }
    return leaders === 1 && zxid >= minZxid;
  }

  async liveness(): Promise<void> {
    const rt = this.rt;
    await this.stopFaults();
    this.workloadOn = false;
    const t0 = rt.now();
    const deadline = t0 + this.o.livenessMs;
    // A probe client: connect to some node and write, retrying until it is acknowledged.
    let probeZxid: Zxid | null = null;
    let probeBusy = false;
    let attempt = 0;
    const probe = { id: 0, node: '', zk: null, stale: null, busy: false, nextAtMs: 0, seq: 0 } as SwarmClient;
    while (rt.now() < deadline) {
      if (probeZxid === null && !probeBusy) {
        probeBusy = true;
        const node = this.names[attempt++ % this.names.length]!;
        const value = `liveness-${attempt}`;
        this.connect(node, 30_000)
          .then((zk) => zk.write({ type: 'Create', path: `/liveness-${attempt}`, data: new TextEncoder().encode(value), acl: OPEN_ACL_UNSAFE, mode: 0 }))
          .then(
            ({ zxid, result }) => {
              this.onAck({ ...probe, node }, `liveness probe ${value}`, zxid, result);
              probeZxid = zxid;
            },
            () => undefined,
          )
          .finally(() => (probeBusy = false));
      }
      await this.step();
      if (probeZxid !== null && this.converged(probeZxid)) {
        this.stats.livenessMs = rt.now() - t0;
        return;
      }
    }
    this.fail(
      probeZxid === null
        ? `no write committed within ${this.o.livenessMs} ms after the faults stopped`
        : `not converged ${this.o.livenessMs} ms after the faults stopped (the probe committed at ${zxidHex(probeZxid)})`,
    );
    throw this.violation!;
  }

  /** The end: every acknowledged write is in the history every node converged to; what the clients saw is consistent. */
  finalCheck(): void {
    const seen = [...checkZk(this.ops).map((f) => f.text), ...checkWatches(this.watchSets, this.watchesFired)];
    if (this.o.redisClients > 0) {
      // the queues' end state, read from the converged leader's keyspace, as the lab's final sweep would
      const leader = this.names.find((n) => this.zkStateOf(n)?.role === 'leading');
      const ks = leader !== undefined ? this.storageOf(leader)?.keyspace : undefined;
      if (leader === undefined || ks === undefined) seen.push('no leader to read the final keyspace from');
      else {
        for (let k = 0; k < labRedisKeys; k++) {
          const key = redisKeyOf.queue(k);
          const reply = ks.read(0, ['LRANGE', key, '0', '-1'].map((x) => new TextEncoder().encode(x)), this.rt.now());
          const list = reply.kind === 'Array' ? reply.items.map((x) => (x.kind === 'Bulk' ? new TextDecoder().decode(x.bytes) : '?')) : [];
          this.labHistory.begin<RedisOp>({ kind: 'redis', client: '$final', node: leader, op: 'lrange', key, final: true })('ok', { list });
        }
      }
    }
    seen.push(...this.redis.failures);
    const lab = checkHistory(this.labHistory.ops);
    if (lab.verdict === 'violation') seen.push(...lab.findings);
    if (seen.length > 0) this.fail(`the clients' history is not consistent:\n    ${seen.join('\n    ')}`);
    const end = this.history.length;
    for (const a of this.acks) {
      const i = this.indexOf.get(a.zxid);
      if (i === undefined || i >= end || this.history[i]!.resultHash !== a.resultHash) this.fail(`acknowledged write lost: client ${a.client} ${a.what} at ${zxidHex(a.zxid)}`);
    }
    if (this.violation !== null) throw this.violation;
  }
}

/** Build the ensemble's node specs for the swarm: the createCluster actors (no registry), tuned and observed. */
export function swarmNodeSpecs(o: EnsembleSwarmOptions): NodeSpec[] {
  return ensembleNodes(membersOf(o), { tickMs: o.tickMs, snapshotEveryTxns: o.snapshotEveryTxns }, o.observers).map((spec) => ({
    node: spec.node,
    actors: spec.actors
      .filter((a) => a.kind !== 'registry')
      .map((a) => {
        const args = (a.args ?? {}) as Record<string, unknown>;
        if (a.kind === 'storage') {
          const broken = o.broken !== undefined && (o.broken.node === undefined || o.broken.node === spec.node) ? { testFaults: o.broken.faults } : {};
          return { ...a, args: { ...args, appliedEvents: true, logWindowMax: o.logWindowMax, segmentBytesMax: o.segmentBytesMax, flushDelayMs: o.flushDelayMs, ...broken } };
        }
        if (a.kind === 'broadcast') return { ...a, args: { ...args, zab: { logWindowMax: o.logWindowMax, ...(o.brokenZab !== undefined ? { testFaults: o.brokenZab } : {}) } } };
        return a;
      }),
  }));
}

export interface EnsembleSwarmRun {
  readonly stats: EnsembleSwarmStats;
  readonly plan: readonly PlannedFault[];
}

/** One seed: the safety phase, then the liveness phase. Throws EnsembleSwarmViolation on a failure. */
export async function runEnsembleSwarm(o: EnsembleSwarmOptions, opts: { pinned?: PinnedOptions } = {}): Promise<EnsembleSwarmRun> {
  const rt = await createSimRuntime({
    seed: o.seed,
    nodes: swarmNodeSpecs(o),
    kindsModule: actorKindsUrl,
    net: { latencyMinMs: 0.1, clientOnceTypes: ['RedisWrite', 'RedisWrites', 'RedisRequests'], latencyMaxMs: o.faults.latencyMaxMs, ...(o.backgroundFsyncMs !== undefined ? { backgroundFsyncMs: o.backgroundFsyncMs } : {}) },
    askDrivesClock: false,
    traceMessages: o.traceMessages ?? false,
  });
  const swarm = new EnsembleSwarm(o, rt, opts.pinned);
  const plan = planFaults(o);
  try {
    await swarm.safety(plan);
    await swarm.liveness();
    swarm.finalCheck();
  } catch (e) {
    if (e instanceof EnsembleSwarmViolation) throw e;
    throw new EnsembleSwarmViolation(o.seed, `the run threw: ${(e as Error).stack}`, swarm.describe(), opts.pinned);
  } finally {
    swarm.stats.virtualMs = rt.now();
    swarm.stats.steps = rt.steps;
    swarm.stats.committed = swarm.history.length;
    swarm.stats.redisIssued += swarm.labHistory.ops.length;
    swarm.stats.redisAnswered += swarm.labHistory.ops.filter((op) => op.returnMs !== null).length;
    for (const n of rt.nodes) {
      swarm.stats.crashesLosingWrites += rt.disk(n).crashesLosingWrites;
      swarm.stats.crashesTearing += rt.disk(n).crashesTearing;
    }
    swarm.stats.traceHash = rt.traceHash();
    await rt.close();
  }
  return { stats: swarm.stats, plan };
}
