/**
 * A pure simulation swarm for the consensus machines: N nodes, each running the FLE and ZAB machines of src/core
 * with an in-memory storage (log with group-commit fsync, epochs, snapshot, commit point) standing in for the
 * storage actor; a seeded scheduler (virtual time), a network with loss, duplication, delay/reordering and
 * partitions; crashes that lose everything not yet fsynced, restarts that recover from the durable part; and a
 * client write workload. Invariants are checked as the run goes (after every step that could break them):
 *  - at most one established leader per epoch;
 *  - every node's applied (committed) history is a prefix of one common history;
 *  - no acknowledged write is lost (an acknowledged write stays in the common history, which every node must
 *    reach after the faults stop);
 * then, in the liveness phase (faults off, all nodes up, FIFO links), all nodes must converge to the same
 * history, with everything the leader logged committed, and new writes must commit, within a bound.
 *
 * The faults are data (`SwarmFaults`); the node logic (`SwarmNode`) is separate from the scheduler so the runtime
 * sim driver can reuse it. One seed reproduces a run exactly.
 */
import { Rng } from '../../core/rng.js';
import { MinHeap } from '../../core/heap.js';
import type { BootInfo, DurableEpochs, LogEntry, SnapshotData, StorageCommand, StorageReply, ZabPeerMsg } from '../../protocol/broadcast.js';
import type { Notification } from '../../protocol/election.js';
import { zxidHex, type Zxid } from '../../protocol/zxid.js';
import { fleDefaults, fleInit, fleStep, type FleInput, type FleState, type FleTimerKey } from '../../core/fle/index.js';
import { isNextZxid, zabDefaults, zabInit, zabStep, zabPhase, type ZabConfig, type ZabInput, type ZabState, type ZabTestFaults } from '../../core/zab/index.js';

/** The client txn the swarm writes: who issued it, so the origin can acknowledge it when it applies it. */
export interface SwarmTxn {
  readonly origin: number;
  readonly reqId: number;
}

export interface SwarmFaults {
  /** Probability that a message between nodes is lost (safety phase). */
  readonly lossP: number;
  readonly dupP: number;
  /** Probability that a message takes a long detour (reordering). */
  readonly reorderP: number;
  readonly crashEveryMs: number;
  readonly partitionEveryMs: number;
  /**
   * Probability that a node crashes right after a durability step of its storage (PersistEpochs, TruncateLog,
   * InstallSnapshot), before its next group-commit flush: what is durable out of order shows.
   */
  readonly crashAfterPersistP: number;
}

export interface SwarmOptions {
  readonly seed: number;
  /** Voters: server ids 1..nodes. */
  readonly nodes: number;
  /** Observers after them: server ids nodes+1..nodes+observers (they follow, never vote). */
  readonly observers: number;
  readonly safetyMs: number;
  /** The bound: after faults stop, convergence must happen within this. */
  readonly livenessMs: number;
  readonly tickMs: number;
  readonly netDelayMinMs: number;
  readonly netDelayMaxMs: number;
  readonly fsyncDelayMaxMs: number;
  readonly writeEveryMs: number;
  readonly logWindowMax: number;
  readonly faults: SwarmFaults;
  /** Bound on scheduler events per run. */
  readonly eventsMax: number;
  /** A deliberately broken ZAB (docs/swarm-mutations.md). */
  readonly testFaults?: ZabTestFaults;
}

export function swarmDefaults(seed: number): SwarmOptions {
  const r = new Rng(seed ^ 0x5eed);
  return {
    seed,
    nodes: r.chance(0.5) ? 3 : 5,
    safetyMs: 3_000,
    livenessMs: 4_000,
    tickMs: zabDefaults.tickMs,
    netDelayMinMs: 0.2,
    netDelayMaxMs: 3,
    fsyncDelayMaxMs: 3,
    writeEveryMs: 4,
    logWindowMax: 16 + r.int(0, 48),
    faults: {
      lossP: r.pick([0, 0.01, 0.05]),
      dupP: r.pick([0, 0.01, 0.05]),
      reorderP: r.pick([0, 0.01, 0.05]),
      crashEveryMs: r.pick([200, 400, 800]),
      partitionEveryMs: r.pick([300, 600, 1_200]),
      crashAfterPersistP: r.pick([0, 0.05, 0.2]),
    },
    eventsMax: 2_000_000,
    observers: new Rng(seed ^ 0x0b5e).pick([0, 0, 1, 2]),
  };
}

/** A harsher mix: up to 7 nodes, 30 % loss, heavy reordering, crashes every 60 ms, tiny log windows, slow disks. */
export function swarmHarsh(seed: number): SwarmOptions {
  const r = new Rng(seed ^ 0xabc);
  const d = swarmDefaults(seed);
  return {
    ...d,
    nodes: r.pick([3, 5, 7]),
    logWindowMax: r.int(4, 40),
    fsyncDelayMaxMs: r.pick([1, 3, 10]),
    netDelayMaxMs: r.pick([1, 3, 10]),
    faults: {
      lossP: r.pick([0.05, 0.15, 0.3]),
      dupP: r.pick([0, 0.1]),
      reorderP: r.pick([0, 0.05, 0.2]),
      crashEveryMs: r.pick([60, 150, 400]),
      partitionEveryMs: r.pick([100, 300]),
      crashAfterPersistP: r.pick([0.05, 0.2]),
    },
    livenessMs: 6_000,
  };
}

export class SwarmViolation extends Error {
  constructor(readonly seed: number, msg: string) {
    super(`seed=0x${seed.toString(16)} ${msg} (replay: SEED=0x${seed.toString(16)})`);
    this.name = 'SwarmViolation';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// In-memory storage: what survives a crash is `durable`. It makes things durable when and in the order the real
// Storage does (src/storage/storage.ts): appends at the group-commit flush; PersistEpochs makes every appended entry
// durable first, then the epochs, and answers at once; TruncateLog and InstallSnapshot are durable when executed.

interface Durable {
  epochs: DurableEpochs;
  snapshot: SnapshotData & { readonly data: readonly LogEntry<SwarmTxn>[] };
  /** The log array and how much of it is durable (arrays are only ever appended to or replaced). */
  log: LogEntry<SwarmTxn>[];
  logLen: number;
  commitMark: Zxid;
}

export class MemStorage {
  durable: Durable;
  epochs: DurableEpochs;
  snapshot: Durable['snapshot'];
  log: LogEntry<SwarmTxn>[];
  gen = 0;
  /** The state machine: every applied entry, in order (the node's committed history). */
  applied: LogEntry<SwarmTxn>[] = [];
  flushPending = false;

  constructor() {
    this.durable = {
      epochs: { acceptedEpoch: 0, acceptedLeader: -1, currentEpoch: 0 },
      snapshot: { zxid: 0, data: [] },
      log: [],
      logLen: 0,
      commitMark: 0,
    };
    this.epochs = this.durable.epochs;
    this.snapshot = this.durable.snapshot;
    this.log = [];
  }

  lastZxid(): Zxid {
    return this.log.length > 0 ? this.log[this.log.length - 1]!.zxid : this.snapshot.zxid;
  }
  appliedZxid(): Zxid {
    return this.applied.length > 0 ? this.applied[this.applied.length - 1]!.zxid : 0;
  }

  /** Crash: lose everything not fsynced; recover and build the Boot info. */
  recover(windowMax: number): BootInfo<SwarmTxn> {
    const d = this.durable;
    this.epochs = d.epochs;
    this.snapshot = d.snapshot;
    this.log = d.log.slice(0, d.logLen);
    this.flushPending = false;
    this.gen = 0; // the machine restarts its log generations at 0
    this.applied = [...this.snapshot.data];
    for (const e of this.log) if (e.zxid <= d.commitMark && e.zxid > this.appliedZxid()) this.applied.push(e);
    const tail = this.log.slice(-windowMax);
    const before = this.log.length - tail.length - 1;
    return {
      epochs: this.epochs,
      lastZxid: this.lastZxid(),
      committedZxid: this.appliedZxid(),
      logTail: tail,
      logTailBase: before >= 0 ? this.log[before]!.zxid : this.snapshot.zxid,
    };
  }

  flush(): StorageReply[] {
    this.flushPending = false;
    this.durable = {
      epochs: this.epochs,
      snapshot: this.snapshot,
      log: this.log,
      logLen: this.log.length,
      commitMark: this.appliedZxid(),
    };
    return [{ type: 'Logged', gen: this.gen, zxid: this.lastZxid() }];
  }

  /** Executes one command; returns what it applied (for the checker), whether a flush is needed and a reply to send now. */
  exec(cmd: StorageCommand<SwarmTxn>): { applied: LogEntry<SwarmTxn>[]; needsFlush: boolean; reply: StorageReply | null; installed: boolean } {
    switch (cmd.type) {
      case 'PersistEpochs':
        this.epochs = { acceptedEpoch: cmd.acceptedEpoch, acceptedLeader: cmd.acceptedLeader, currentEpoch: cmd.currentEpoch };
        // never ahead of the log they vouch for: the log first, then the epochs
        this.durable = { ...this.durable, log: this.log, logLen: this.log.length, epochs: this.epochs };
        return { applied: [], needsFlush: false, reply: { type: 'EpochsPersisted', token: cmd.token }, installed: false };
      case 'AppendLog': {
        this.gen = cmd.gen;
        for (const e of cmd.entries) {
          if (!isNextZxid(this.lastZxid(), e.zxid)) throw new Error(`append not contiguous: ${zxidHex(e.zxid)} after ${zxidHex(this.lastZxid())}`);
          this.log.push(e);
        }
        return { applied: [], needsFlush: true, reply: null, installed: false };
      }
      case 'TruncateLog': {
        if (cmd.toZxid < this.appliedZxid()) throw new Error(`truncate to ${zxidHex(cmd.toZxid)} below applied ${zxidHex(this.appliedZxid())}`);
        this.gen = cmd.gen;
        this.log = this.log.filter((e) => e.zxid <= cmd.toZxid);
        this.durable = { ...this.durable, log: this.log, logLen: this.log.length };
        return { applied: [], needsFlush: true, reply: null, installed: false };
      }
      case 'InstallSnapshot': {
        this.gen = cmd.gen;
        const data = cmd.snapshot.data as readonly LogEntry<SwarmTxn>[];
        this.snapshot = { zxid: cmd.snapshot.zxid, data };
        this.log = [];
        this.applied = [...data];
        this.durable = { ...this.durable, snapshot: this.snapshot, log: this.log, logLen: 0, commitMark: this.snapshot.zxid };
        return { applied: [], needsFlush: true, reply: null, installed: true };
      }
      case 'CommitTo': {
        const applied: LogEntry<SwarmTxn>[] = [];
        let i = this.log.length - 1;
        while (i >= 0 && this.log[i]!.zxid > this.appliedZxid()) i--;
        for (i = i + 1; i < this.log.length && this.log[i]!.zxid <= cmd.zxid; i++) {
          this.applied.push(this.log[i]!);
          applied.push(this.log[i]!);
        }
        return { applied, needsFlush: false, reply: null, installed: false };
      }
      case 'TakeSnapshot':
        return {
          applied: [],
          needsFlush: false,
          reply: { type: 'SnapshotTaken', token: cmd.token, snapshot: { zxid: this.appliedZxid(), data: [...this.applied] } },
          installed: false,
        };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------

type Ev =
  | { kind: 'fle'; node: number; inc: number; msg: Notification }
  | { kind: 'zab'; node: number; inc: number; msg: ZabPeerMsg<SwarmTxn> }
  | { kind: 'timer'; node: number; inc: number; key: FleTimerKey; token: number }
  | { kind: 'tick'; node: number; inc: number }
  | { kind: 'flush'; node: number; inc: number }
  | { kind: 'storageReply'; node: number; inc: number; reply: StorageReply }
  | { kind: 'restart'; node: number }
  | { kind: 'crash'; node: number; inc: number }
  /** Node `node` sees the connection of crashed node `from` (incarnation `fromInc`, down) close. */
  | { kind: 'gone'; node: number; inc: number; from: number; fromInc: number }
  | { kind: 'fault' }
  | { kind: 'write' };

interface QItem {
  t: number;
  seq: number;
  ev: Ev;
}

function less(a: QItem, b: QItem): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}

export interface SwarmNode {
  id: number;
  up: boolean;
  inc: number;
  fle: FleState;
  zab: ZabState<SwarmTxn>;
  storage: MemStorage;
  timers: Partial<Record<FleTimerKey, number>>;
  reqSeq: number;
}

export interface SwarmStats {
  events: number;
  writes: number;
  syncs: number;
  acked: number;
  /** Of those, writes issued on an observer (forwarded to the leader, acknowledged when the observer applied them). */
  ackedOnObservers: number;
  committed: number;
  elections: number;
  leaders: number;
  syncModes: Record<string, number>;
  crashes: number;
  partitions: number;
  virtualMs: number;
}

export class Swarm {
  readonly rng: Rng;
  readonly q = new MinHeap<QItem>(less);
  now = 0;
  seq = 0;
  readonly nodes: SwarmNode[] = [];
  /** Every member: the voters, then the observers. */
  readonly ids: number[];
  readonly voters: number[];
  readonly observers: number[];
  readonly zabCfg: (id: number) => ZabConfig;
  /** The one common history every node's applied history must be a prefix of. */
  readonly history: LogEntry<SwarmTxn>[] = [];
  readonly leaderOfEpoch = new Map<number, number>();
  readonly acked = new Map<string, Zxid>();
  group: number[] = [];
  faultsOn = true;
  writesOn = true;
  lastLinkT = new Map<string, number>();
  lastCommitAt = 0;
  readonly stats: SwarmStats = {
    events: 0,
    writes: 0,
    syncs: 0,
    acked: 0,
    ackedOnObservers: 0,
    committed: 0,
    elections: 0,
    leaders: 0,
    syncModes: {},
    crashes: 0,
    partitions: 0,
    virtualMs: 0,
  };

  constructor(readonly o: SwarmOptions) {
    this.rng = new Rng(o.seed);
    this.voters = Array.from({ length: o.nodes }, (_, i) => i + 1);
    this.observers = Array.from({ length: o.observers }, (_, i) => o.nodes + i + 1);
    this.ids = [...this.voters, ...this.observers];
    this.group = this.ids.map(() => 0);
    this.zabCfg = (id) => ({
      myId: id,
      voters: this.voters,
      observers: this.observers,
      syncLimitTicks: zabDefaults.syncLimitTicks,
      initLimitTicks: zabDefaults.initLimitTicks,
      handshakeRetryTicks: zabDefaults.handshakeRetryTicks,
      reconnectsMax: zabDefaults.reconnectsMax,
      logWindowMax: o.logWindowMax,
      pipelineMax: Math.min(zabDefaults.pipelineMax, Math.max(1, o.logWindowMax >> 1)),
      pendingRequestsMax: 200,
      pendingSyncsMax: zabDefaults.pendingSyncsMax,
      ...(o.testFaults !== undefined ? { testFaults: o.testFaults } : {}),
    });
    for (const id of this.ids) {
      this.nodes.push({
        id,
        up: false,
        inc: 0,
        fle: fleInit(this.fleCfg(id)),
        zab: zabInit(this.zabCfg(id)),
        storage: new MemStorage(),
        timers: {},
        reqSeq: 0,
      });
    }
  }

  fleCfg(id: number) {
    return {
      myId: id,
      voters: this.voters,
      peers: this.ids.filter((p) => p !== id),
      finalizeWaitMs: fleDefaults.finalizeWaitMs,
      notifyIntervalMinMs: fleDefaults.notifyIntervalMinMs,
      notifyIntervalMaxMs: fleDefaults.notifyIntervalMaxMs,
    };
  }

  fail(msg: string): never {
    throw new SwarmViolation(this.o.seed, `t=${this.now.toFixed(1)}ms ${msg}`);
  }

  at(delayMs: number, ev: Ev): void {
    this.q.push({ t: this.now + delayMs, seq: this.seq++, ev });
  }

  node(id: number): SwarmNode {
    return this.nodes[id - 1]!;
  }

  // --- network -------------------------------------------------------------------------------------------------

  linkOk(a: number, b: number): boolean {
    return this.group[a - 1] === this.group[b - 1];
  }

  sendNet(from: number, to: number, ev: Ev): void {
    if (!this.linkOk(from, to)) return;
    const f = this.o.faults;
    if (this.faultsOn && this.rng.chance(f.lossP)) return;
    const copies = this.faultsOn && this.rng.chance(f.dupP) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      let d = this.o.netDelayMinMs + this.rng.next() * (this.o.netDelayMaxMs - this.o.netDelayMinMs);
      const key = `${from}>${to}`;
      if (this.faultsOn && this.rng.chance(f.reorderP)) d += this.rng.next() * 30;
      else {
        // FIFO per link unless this message is picked to be reordered.
        const last = this.lastLinkT.get(key) ?? 0;
        if (this.now + d < last) d = last - this.now;
        this.lastLinkT.set(key, this.now + d);
      }
      this.at(d, ev);
    }
  }

  // --- node lifecycle ------------------------------------------------------------------------------------------

  start(id: number): void {
    const n = this.node(id);
    n.up = true;
    n.inc += 1;
    n.timers = {};
    n.fle = fleInit(this.fleCfg(id));
    n.zab = zabInit(this.zabCfg(id));
    const boot = n.storage.recover(this.o.logWindowMax);
    this.checkPrefix(n, 'after recovery');
    this.at(this.rng.next() * this.o.tickMs, { kind: 'tick', node: id, inc: n.inc });
    this.zabInput(n, { type: 'Boot', boot });
  }

  crash(id: number): void {
    const n = this.node(id);
    n.up = false;
    n.inc += 1;
    this.stats.crashes++;
    // Its peers see its connections close (the kernel closes a dead process's sockets), after what it sent before
    // on that link (FIFO); a partitioned peer does not. It draws no randomness.
    for (const other of this.ids) {
      const p = this.node(other);
      if (other === id || !p.up || !this.linkOk(id, other)) continue;
      const d = Math.max(this.o.netDelayMinMs, (this.lastLinkT.get(`${id}>${other}`) ?? 0) - this.now);
      this.at(d, { kind: 'gone', node: other, inc: p.inc, from: id, fromInc: n.inc });
    }
  }

  // --- machine plumbing ----------------------------------------------------------------------------------------

  fleInput(n: SwarmNode, input: FleInput): void {
    const { state, out } = fleStep(n.fle, input);
    n.fle = state;
    for (const o of out) {
      switch (o.type) {
        case 'Send':
          this.sendNet(n.id, o.to, { kind: 'fle', node: o.to, inc: this.node(o.to).inc, msg: o.msg });
          break;
        case 'SetTimer': {
          const token = this.seq;
          n.timers[o.key] = token;
          this.at(o.delayMs, { kind: 'timer', node: n.id, inc: n.inc, key: o.key, token });
          break;
        }
        case 'CancelTimer':
          delete n.timers[o.key];
          break;
        case 'ElectionStarted':
          this.stats.elections++;
          break;
        case 'Decided':
          this.zabInput(n, { type: 'Elected', role: o.role, leader: o.leader });
          break;
      }
    }
  }

  zabInput(n: SwarmNode, input: ZabInput<SwarmTxn>): void {
    const { state, out } = zabStep(n.zab, input);
    n.zab = state;
    for (const o of out) {
      switch (o.type) {
        case 'Send':
          this.sendNet(n.id, o.to, { kind: 'zab', node: o.to, inc: this.node(o.to).inc, msg: o.msg });
          break;
        case 'Storage':
          this.storageCmd(n, o.cmd);
          break;
        case 'LookForLeader':
          this.fleInput(n, { type: 'Start', lastZxid: o.lastZxid, currentEpoch: o.currentEpoch });
          break;
        case 'LeaderEstablished': {
          if (this.observers.includes(n.id)) this.fail(`observer n${n.id} leads epoch ${o.epoch}`);
          const prev = this.leaderOfEpoch.get(o.epoch);
          if (prev !== undefined && prev !== n.id) this.fail(`two leaders established in epoch ${o.epoch}: n${prev} and n${n.id}`);
          this.leaderOfEpoch.set(o.epoch, n.id);
          this.stats.leaders++;
          break;
        }
        case 'SyncStarted':
          this.stats.syncModes[o.mode] = (this.stats.syncModes[o.mode] ?? 0) + 1;
          break;
        case 'SyncDone':
          // A sync marker completes only once this node applied everything the leader had proposed before it.
          if (n.storage.appliedZxid() < o.zxid) this.fail(`n${n.id} sync ${o.reqId} done at ${zxidHex(o.zxid)} but applied only ${zxidHex(n.storage.appliedZxid())}`);
          this.stats.syncs++;
          break;
        case 'WriteFailed':
        case 'SyncFailed':
        case 'FollowingLeader':
        case 'Proposed':
        case 'Committed':
          break;
      }
    }
  }

  storageCmd(n: SwarmNode, cmd: StorageCommand<SwarmTxn>): void {
    let r: ReturnType<MemStorage['exec']>;
    try {
      r = n.storage.exec(cmd);
    } catch (e) {
      this.fail(`n${n.id} storage: ${(e as Error).message}`);
    }
    if (r.installed) this.checkPrefix(n, 'after snapshot install');
    const base = n.storage.applied.length - r.applied.length;
    r.applied.forEach((e, k) => this.onApplied(n, e, base + k));
    if (r.needsFlush && !n.storage.flushPending) {
      n.storage.flushPending = true;
      this.at(0.05 + this.rng.next() * this.o.fsyncDelayMaxMs, { kind: 'flush', node: n.id, inc: n.inc });
    }
    if (this.faultsOn && (cmd.type === 'PersistEpochs' || cmd.type === 'TruncateLog' || cmd.type === 'InstallSnapshot') && this.rng.chance(this.o.faults.crashAfterPersistP)) {
      this.at(0.01, { kind: 'crash', node: n.id, inc: n.inc });
    }
    if (r.reply) this.at(0.5 + this.rng.next() * 2, { kind: 'storageReply', node: n.id, inc: n.inc, reply: r.reply });
  }

  // --- invariants ----------------------------------------------------------------------------------------------

  onApplied(n: SwarmNode, e: LogEntry<SwarmTxn>, i: number): void {
    const h = this.history[i];
    if (h === undefined) {
      if (i !== this.history.length) this.fail(`n${n.id} applied beyond the common history`);
      this.history.push(e);
      this.stats.committed++;
      this.lastCommitAt = this.now;
    } else if (h.zxid !== e.zxid || h.txn.origin !== e.txn.origin || h.txn.reqId !== e.txn.reqId) {
      this.fail(`n${n.id} applied ${zxidHex(e.zxid)} (${e.txn.origin}:${e.txn.reqId}) at index ${i}; common history has ${zxidHex(h.zxid)} (${h.txn.origin}:${h.txn.reqId})`);
    }
    if (e.txn.origin === n.id && e.txn.reqId > 0) {
      const key = `${e.txn.origin}:${e.txn.reqId}`;
      if (!this.acked.has(key)) {
        this.acked.set(key, e.zxid);
        this.stats.acked++;
        if (this.observers.includes(n.id)) this.stats.ackedOnObservers++;
      }
    }
  }

  checkPrefix(n: SwarmNode, when: string): void {
    const a = n.storage.applied;
    for (let i = 0; i < a.length; i++) {
      const h = this.history[i];
      if (h === undefined) {
        this.history.push(a[i]!);
        continue;
      }
      if (h.zxid !== a[i]!.zxid || h.txn.origin !== a[i]!.txn.origin || h.txn.reqId !== a[i]!.txn.reqId) {
        this.fail(`n${n.id} ${when}: applied history diverges at index ${i}: ${zxidHex(a[i]!.zxid)} vs ${zxidHex(h.zxid)}`);
      }
    }
  }

  // --- faults and workload -------------------------------------------------------------------------------------

  fault(): void {
    const f = this.o.faults;
    const r = this.rng;
    const upIds = this.ids.filter((id) => this.node(id).up);
    const roll = r.next();
    const crashP = 40 / f.crashEveryMs;
    const partP = 40 / f.partitionEveryMs;
    if (roll < crashP && upIds.length > 0) {
      // Prefer the leader sometimes: failover is the interesting case.
      const leader = upIds.find((id) => this.node(id).zab.role.kind === 'leading');
      const victim = leader !== undefined && r.chance(0.5) ? leader : r.pick(upIds);
      this.crash(victim);
      this.at(20 + r.next() * 400, { kind: 'restart', node: victim });
    } else if (roll < crashP + partP) {
      if (r.chance(0.5)) this.group = this.ids.map(() => 0);
      else {
        this.group = this.ids.map(() => r.int(0, 1));
        this.stats.partitions++;
      }
    }
    if (this.faultsOn) this.at(40, { kind: 'fault' });
  }

  write(): void {
    if (!this.writesOn) return;
    const up = this.ids.filter((id) => this.node(id).up);
    if (up.length > 0) {
      const n = this.node(this.rng.pick(up));
      n.reqSeq += 1;
      // reqIds are unique per node across incarnations: incarnation in the high part
      const reqId = n.inc * 1_000_000 + n.reqSeq;
      if (this.rng.chance(0.1)) this.zabInput(n, { type: 'Sync', reqId });
      else {
        this.stats.writes++;
        this.zabInput(n, { type: 'Write', reqId, txn: { origin: n.id, reqId } });
      }
    }
    this.at(this.rng.next() * 2 * this.o.writeEveryMs, { kind: 'write' });
  }

  // --- the run -------------------------------------------------------------------------------------------------

  dispatch(ev: Ev): void {
    switch (ev.kind) {
      case 'fle': {
        const n = this.node(ev.node);
        if (n.up && n.inc === ev.inc) this.fleInput(n, { type: 'Receive', msg: ev.msg });
        return;
      }
      case 'zab': {
        const n = this.node(ev.node);
        if (n.up && n.inc === ev.inc) this.zabInput(n, { type: 'Receive', msg: ev.msg });
        return;
      }
      case 'timer': {
        const n = this.node(ev.node);
        if (n.up && n.inc === ev.inc && n.timers[ev.key] === ev.token) {
          delete n.timers[ev.key];
          this.fleInput(n, { type: 'TimerFired', key: ev.key });
        }
        return;
      }
      case 'tick': {
        const n = this.node(ev.node);
        if (!n.up || n.inc !== ev.inc) return;
        this.zabInput(n, { type: 'Tick' });
        this.at(this.o.tickMs, ev);
        return;
      }
      case 'flush': {
        const n = this.node(ev.node);
        if (!n.up || n.inc !== ev.inc) return;
        for (const reply of n.storage.flush()) this.zabInput(n, { type: 'Storage', reply });
        return;
      }
      case 'storageReply': {
        const n = this.node(ev.node);
        if (n.up && n.inc === ev.inc) this.zabInput(n, { type: 'Storage', reply: ev.reply });
        return;
      }
      case 'gone': {
        const n = this.node(ev.node);
        if (n.up && n.inc === ev.inc && this.node(ev.from).inc === ev.fromInc) this.zabInput(n, { type: 'PeerGone', from: ev.from });
        return;
      }
      case 'restart':
        if (!this.node(ev.node).up) this.start(ev.node);
        return;
      case 'crash': {
        const n = this.node(ev.node);
        if (!n.up || n.inc !== ev.inc) return;
        this.crash(n.id);
        this.at(20 + this.rng.next() * 400, { kind: 'restart', node: n.id });
        return;
      }
      case 'fault':
        if (this.faultsOn) this.fault();
        return;
      case 'write':
        this.write();
        return;
    }
  }

  runUntil(tEnd: number, stop?: () => boolean): void {
    for (;;) {
      const it = this.q.pop();
      if (!it) return;
      if (it.t > tEnd) {
        this.q.push(it);
        this.now = tEnd;
        return;
      }
      this.now = it.t;
      this.stats.events++;
      if (this.stats.events > this.o.eventsMax) this.fail(`more than ${this.o.eventsMax} events`);
      this.dispatch(it.ev);
      if (stop && stop()) return;
    }
  }

  converged(): boolean {
    const leaders = this.nodes.filter((n) => n.up && n.zab.role.kind === 'leading' && zabPhase(n.zab) === 'leading:broadcast');
    if (leaders.length !== 1) return false;
    const l = leaders[0]!;
    if (l.zab.committed !== l.zab.lastAppended) return false;
    const target = l.storage.appliedZxid();
    if (target !== l.zab.lastAppended) return false;
    return this.nodes.every(
      (n) => n.up && n.storage.appliedZxid() === target && n.storage.applied.length === l.storage.applied.length && zabPhase(n.zab) !== 'looking',
    );
  }

  describe(): string {
    return this.nodes
      .map((n) => `n${n.id}${n.up ? '' : '(down)'} ${zabPhase(n.zab)} fle=${n.fle.state}/${n.fle.logicalclock} ae=${n.zab.acceptedEpoch} ce=${n.zab.currentEpoch} last=${zxidHex(n.zab.lastAppended)} logged=${zxidHex(n.zab.lastLogged)} committed=${zxidHex(n.zab.committed)} applied=${n.storage.applied.length}`)
      .join('\n  ');
  }

  run(): SwarmStats {
    for (const id of this.ids) this.at(this.rng.next() * 5, { kind: 'restart', node: id });
    this.at(50, { kind: 'fault' });
    this.at(1, { kind: 'write' });
    this.runUntil(this.o.safetyMs);
    // Liveness: faults off, heal, restart everyone, FIFO links; writes go on for a while, then stop.
    this.faultsOn = false;
    this.group = this.ids.map(() => 0);
    for (const id of this.ids) if (!this.node(id).up) this.start(id);
    const t0 = this.now;
    const committedAtHeal = this.history.length;
    this.runUntil(t0 + this.o.livenessMs / 2);
    this.writesOn = false;
    if (this.history.length <= committedAtHeal) {
      this.fail(`no write committed within ${this.o.livenessMs / 2} ms after faults stopped\n  ${this.describe()}`);
    }
    this.runUntil(t0 + this.o.livenessMs, () => this.converged());
    if (!this.converged()) this.fail(`not converged ${this.o.livenessMs} ms after faults stopped\n  ${this.describe()}`);
    // Every acknowledged write is in the converged history at its zxid.
    const final = this.nodes[0]!.storage.applied;
    if (final.length < this.history.length) this.fail(`converged history (${final.length}) shorter than the common history (${this.history.length})`);
    const byZxid = new Map(final.map((e) => [e.zxid, e.txn] as const));
    for (const [key, z] of this.acked) {
      const t = byZxid.get(z);
      if (!t || `${t.origin}:${t.reqId}` !== key) this.fail(`acknowledged write ${key} at ${zxidHex(z)} lost`);
    }
    this.stats.virtualMs = this.now;
    return this.stats;
  }
}

export function runSwarm(o: SwarmOptions): SwarmStats {
  return new Swarm(o).run();
}
