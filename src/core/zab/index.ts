/**
 * ZAB (ZooKeeper Atomic Broadcast) as a pure machine: `zabStep(state, input) -> { state, out }`.
 *
 * Roles: looking (waiting for FLE), following, leading. Phases (spec §17):
 *  1. discovery: FollowerInfo(acceptedEpoch) → the leader picks newEpoch = max over a quorum + 1 and persists it as
 *     its acceptedEpoch → NewEpoch → the follower persists acceptedEpoch (only a strictly newer epoch, or the same
 *     epoch from the same leader on a reconnect) → AckEpoch(currentEpoch, lastZxid). The leader waits for a quorum
 *     of AckEpochs and abandons if any of them is more up to date than itself.
 *  2. synchronization: per follower DIFF / TRUNC+DIFF / SNAP (`chooseSync`), folded with NEWLEADER in one frame;
 *     the follower logs, persists currentEpoch = newEpoch, acks; on a quorum (the leader's own log write and
 *     currentEpoch included) the leader commits its initial history and sends UpToDate.
 *  3. broadcast: pipelined Proposal / cumulative Ack / cumulative Commit, strictly in zxid order.
 *
 * Output order is the contract with the shell: execute outputs in order; storage commands go to the node's
 * storage FIFO. Persist before send: messages that depend on durable state are only emitted after the storage
 * reply (EpochsPersisted, Logged) comes back as an input. Apply after commit: CommitTo is only emitted for zxids a
 * quorum logged.
 *
 * The network may lose, duplicate and reorder: every peer message carries the connection id (`conn`), proposals
 * must be contiguous (a gap makes the follower reconnect and resync), acks and commits are cumulative, pings carry
 * the commit point. Liveness needs eventually-FIFO delivery, as over TCP.
 */
import type {
  BootInfo,
  LogEntry,
  SnapshotData,
  StorageCommand,
  StorageReply,
  SyncMode,
  ZabPeerMsg,
} from '../../protocol/broadcast.js';
import { zxidCounter, zxidCounterMax, zxidEpoch, zxidOf, type Zxid } from '../../protocol/zxid.js';

export interface ZabConfig {
  readonly myId: number;
  /** Voting members (myId included unless this member observes). */
  readonly voters: readonly number[];
  /**
   * Non-voting members (ZooKeeper's observers): they follow the leader (sync, proposals, commits, forwarded
   * writes) but never count for a quorum, and their accepted epoch binds nobody (they accept any leader's epoch).
   */
  readonly observers?: readonly number[];
  /** A follower that has not heard its leader, or a leader without a quorum heard, for this many ticks gives up. */
  readonly syncLimitTicks: number;
  /** Discovery + sync must finish within this many ticks. */
  readonly initLimitTicks: number;
  /** A follower waiting on its leader in a handshake phase retries (new connection) after this many ticks. */
  readonly handshakeRetryTicks: number;
  /** Reconnects (after a gap or a handshake retry) before the follower goes back to election. */
  readonly reconnectsMax: number;
  /** Entries of the log kept in memory: the leader DIFFs from this window, anything older is SNAP. */
  readonly logWindowMax: number;
  /** Proposals in flight (proposed, not committed) at most; further writes queue. */
  readonly pipelineMax: number;
  /** Writes queued on the leader while the pipeline is full or the leader is not yet established. */
  readonly pendingRequestsMax: number;
  /** Outstanding sync markers per node. */
  readonly pendingSyncsMax: number;
  /** Deliberate bugs, for tests that show the swarms catch them (docs/swarm-mutations.md); never set otherwise. */
  readonly testFaults?: ZabTestFaults;
}

/** Why a leader gives up discovery when a follower of its quorum is more up to date than itself. */
export const followerAheadReason = 'a follower is more up to date than the leader';

export interface ZabTestFaults {
  /** The leader does not abandon discovery when a follower of its quorum is more up to date than itself. */
  readonly ignoreFollowerAhead?: boolean;
}

/** Tuned for fast failover with the shell's `tickMs` (50 ms by default): a dead leader is noticed in 250 ms. */
export const zabDefaults = {
  tickMs: 50,
  syncLimitTicks: 5,
  initLimitTicks: 40,
  handshakeRetryTicks: 4,
  reconnectsMax: 3,
  logWindowMax: 10_000,
  pipelineMax: 500,
  pendingRequestsMax: 10_000,
  pendingSyncsMax: 1_000,
} as const;

export type FollowerPhase =
  | 'info' // FollowerInfo received, NewEpoch not sent yet (epoch not chosen/persisted)
  | 'epoch' // NewEpoch sent
  | 'acked' // AckEpoch received, waiting for the leader's quorum
  | 'snap' // waiting for a snapshot from storage
  | 'synced' // NewLeader sent
  | 'newleader' // AckNewLeader received (counts for acks), UpToDate not sent yet
  | 'active'; // UpToDate sent

export interface FollowerRec {
  conn: number;
  attempt: number;
  phase: FollowerPhase;
  acceptedEpoch: number;
  ackCurrentEpoch: number;
  ackLastZxid: Zxid;
  /** The last zxid in the NewLeader frame we sent. */
  syncedTo: Zxid;
  /** Highest zxid this follower has acknowledged as logged (only after its NewLeader ack). */
  acked: Zxid;
  lastHeardTick: number;
  snapToken: number;
}

export type LeaderPhase = 'discovery' | 'epochpersist' | 'ackepoch' | 'newleader' | 'broadcast';

export interface Leading<T> {
  kind: 'leading';
  phase: LeaderPhase;
  epoch: number;
  infos: Record<number, number>;
  followers: Record<number, FollowerRec>;
  connSeq: number;
  tick: number;
  startTick: number;
  /** Token of the pending PersistEpochs (acceptedEpoch in 'epochpersist', currentEpoch in 'newleader'). */
  persistToken: number;
  currentEpochPersisted: boolean;
  initialZxid: Zxid;
  queued: { origin: number; reqId: number; txn: T }[];
  pendingSyncs: { origin: number; reqId: number; zxid: Zxid }[];
}

export type FollowingPhase = 'info' | 'epochpersist' | 'ackepoch' | 'sync' | 'synced' | 'broadcast';

export interface Following {
  kind: 'following';
  leader: number;
  phase: FollowingPhase;
  attempt: number;
  conn: number;
  epoch: number;
  reconnects: number;
  ticksSinceHeard: number;
  ticksInPhase: number;
  ticksSinceStart: number;
  persistToken: number;
  epochPersisted: boolean;
  syncTarget: Zxid;
  /** Sync markers answered by the leader, waiting for our commit point to reach their zxid. */
  pendingSyncs: { reqId: number; zxid: Zxid }[];
  /** Sync markers sent to the leader, not answered yet. */
  localSyncs: number[];
}

export type FollowerInfoMsg = Extract<ZabPeerMsg, { type: 'FollowerInfo' }>;

/**
 * Looking: FollowerInfo that arrives before our own election decided is kept (one per peer, so at most the
 * ensemble size) and handled when we lead; answered NotLeader if we follow. Peers often decide a few ms earlier.
 */
export interface Looking {
  kind: 'looking';
  infos: Record<number, FollowerInfoMsg>;
}

export type Role<T> = Looking | Following | Leading<T>;

export interface ZabState<T = unknown> {
  readonly cfg: ZabConfig;
  booted: boolean;
  acceptedEpoch: number;
  acceptedLeader: number;
  currentEpoch: number;
  token: number;
  /** Follower connection attempts, across leaders (FollowerInfo.attempt). */
  attemptSeq: number;
  logGen: number;
  lastAppended: Zxid;
  lastLogged: Zxid;
  committed: Zxid;
  /**
   * The last up to logWindowMax (+ trim batch) entries of the log (appended; not all durable), ascending: the
   * first `windowLen` elements of `window`. Appends push in place (O(1)); the array may be shared with older
   * states, which only look at their own shorter prefix, and a step from an older state copies before pushing.
   * Read it with `windowOf(state)`.
   */
  window: readonly LogEntry<T>[];
  windowLen: number;
  /** The zxid just before window[0] (lastAppended if the window is empty). */
  windowBase: Zxid;
  role: Role<T>;
}

export type ZabInput<T = unknown> =
  | { readonly type: 'Boot'; readonly boot: BootInfo<T> }
  /** The election decided (an observer learns the leader as OBSERVING and follows it without a vote). */
  | { readonly type: 'Elected'; readonly role: 'LEADING' | 'FOLLOWING' | 'OBSERVING'; readonly leader: number }
  | { readonly type: 'Receive'; readonly msg: ZabPeerMsg<T> }
  | { readonly type: 'Storage'; readonly reply: StorageReply }
  | { readonly type: 'Tick' }
  /**
   * Bytes are arriving from peer `from` (a large message is on its way): it is alive, though its message is not
   * in yet. Counts as hearing from it for the liveness limits, so a leader busy sending large values is not
   * dropped for silence while its bytes flow (the driver reports this at most every few milliseconds per peer).
   */
  | { readonly type: 'PeerActive'; readonly from: number }
  /** A client write on this node. Success is the commit of `txn` (storage answers the client). */
  | { readonly type: 'Write'; readonly reqId: number; readonly txn: T }
  /** A client sync on this node: SyncDone once this node applied everything the leader committed before it. */
  | { readonly type: 'Sync'; readonly reqId: number };

export type ZabOutput<T = unknown> =
  | { readonly type: 'Send'; readonly to: number; readonly msg: ZabPeerMsg<T> }
  | { readonly type: 'Storage'; readonly cmd: StorageCommand<T> }
  /** Go back to FLE with these (shell: FLE Start). */
  | { readonly type: 'LookForLeader'; readonly reason: string; readonly was: Role<T>['kind']; readonly lastZxid: Zxid; readonly currentEpoch: number }
  | { readonly type: 'WriteFailed'; readonly reqId: number; readonly reason: string }
  | { readonly type: 'SyncDone'; readonly reqId: number; readonly zxid: Zxid }
  | { readonly type: 'SyncFailed'; readonly reqId: number; readonly reason: string }
  // Observability (the shell maps these to cluster events)
  | { readonly type: 'LeaderEstablished'; readonly epoch: number; readonly zxid: Zxid; readonly followers: readonly number[] }
  | { readonly type: 'FollowingLeader'; readonly leader: number; readonly epoch: number }
  | { readonly type: 'SyncStarted'; readonly peer: number; readonly mode: SyncMode; readonly fromZxid: Zxid; readonly toZxid: Zxid }
  | { readonly type: 'Proposed'; readonly zxid: Zxid }
  | { readonly type: 'Committed'; readonly zxid: Zxid };

export interface ZabStep<T> {
  readonly state: ZabState<T>;
  readonly out: readonly ZabOutput<T>[];
}

function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}

export function quorumOf(voters: readonly number[]): number {
  return Math.floor(voters.length / 2) + 1;
}

export function zabInit<T>(cfg: ZabConfig): ZabState<T> {
  return {
    cfg,
    booted: false,
    acceptedEpoch: 0,
    acceptedLeader: -1,
    currentEpoch: 0,
    token: 0,
    attemptSeq: 0,
    logGen: 0,
    lastAppended: 0,
    lastLogged: 0,
    committed: 0,
    window: [],
    windowLen: 0,
    windowBase: 0,
    role: { kind: 'looking', infos: {} },
  };
}

/** Is `z` the entry right after `prev` in a ZAB history? (next counter in the same epoch, or counter 1 of a later one) */
export function isNextZxid(prev: Zxid, z: Zxid): boolean {
  if (zxidEpoch(z) === zxidEpoch(prev)) return z === prev + 1;
  return zxidEpoch(z) > zxidEpoch(prev) && zxidCounter(z) === 1;
}

/**
 * Which sync for a follower whose last zxid is `peer`, given the leader's log window. Same zxid ⇒ same history
 * up to it (one leader per epoch, contiguous logs), so:
 *  - `peer` is in the leader's log (window, its base, or lastAppended) ⇒ DIFF from there;
 *  - otherwise, epoch E = epoch(peer): both logs hold every epoch-E zxid from counter 1 (or their snapshot) to
 *    their last one, so the leader's last epoch-E zxid `t` below `peer` is in both ⇒ TRUNC to t, then DIFF;
 *  - otherwise (too old for the window, or no common point known) ⇒ SNAP.
 */
export function chooseSync(
  window: readonly LogEntry[],
  windowBase: Zxid,
  lastAppended: Zxid,
  peer: Zxid,
): { mode: SyncMode; from: Zxid } {
  if (peer === lastAppended || peer === windowBase) return { mode: 'DIFF', from: peer };
  const e = zxidEpoch(peer);
  let t: Zxid | null = zxidEpoch(windowBase) === e && windowBase < peer ? windowBase : null;
  for (const en of window) {
    if (en.zxid === peer) return { mode: 'DIFF', from: peer };
    if (zxidEpoch(en.zxid) === e && en.zxid < peer) t = en.zxid;
  }
  if (t !== null) return { mode: 'TRUNC', from: t };
  return { mode: 'SNAP', from: peer };
}

// ---------------------------------------------------------------------------------------------------------------

type S<T> = ZabState<T>;
type Out<T> = ZabOutput<T>[];

function cloneRole<T>(r: Role<T>): Role<T> {
  switch (r.kind) {
    case 'looking':
      return { kind: 'looking', infos: { ...r.infos } };
    case 'following':
      return { ...r, pendingSyncs: [...r.pendingSyncs], localSyncs: [...r.localSyncs] };
    case 'leading': {
      const followers: Record<number, FollowerRec> = {};
      for (const k in r.followers) {
        const v = r.followers[k]!;
        followers[k] = {
          conn: v.conn,
          attempt: v.attempt,
          phase: v.phase,
          acceptedEpoch: v.acceptedEpoch,
          ackCurrentEpoch: v.ackCurrentEpoch,
          ackLastZxid: v.ackLastZxid,
          syncedTo: v.syncedTo,
          acked: v.acked,
          lastHeardTick: v.lastHeardTick,
          snapToken: v.snapToken,
        };
      }
      return {
        kind: 'leading',
        phase: r.phase,
        epoch: r.epoch,
        infos: r.phase === 'discovery' ? { ...r.infos } : r.infos,
        followers,
        connSeq: r.connSeq,
        tick: r.tick,
        startTick: r.startTick,
        persistToken: r.persistToken,
        currentEpochPersisted: r.currentEpochPersisted,
        initialZxid: r.initialZxid,
        queued: r.queued.length === 0 ? [] : r.queued.slice(),
        pendingSyncs: r.pendingSyncs.length === 0 ? [] : r.pendingSyncs.slice(),
      };
    }
    default:
      return assertNever(r);
  }
}

function send<T>(out: Out<T>, to: number, msg: ZabPeerMsg<T>): void {
  out.push({ type: 'Send', to, msg });
}
function storage<T>(out: Out<T>, cmd: StorageCommand<T>): void {
  out.push({ type: 'Storage', cmd });
}

function persistEpochs<T>(s: S<T>, out: Out<T>, acceptedEpoch: number, acceptedLeader: number, currentEpoch: number): number {
  s.token += 1;
  storage(out, { type: 'PersistEpochs', token: s.token, acceptedEpoch, acceptedLeader, currentEpoch });
  return s.token;
}

/**
 * Drop committed entries beyond the window bound. Trimming copies the window, so it happens in batches: the
 * window holds at most logWindowMax + windowTrimBatch(logWindowMax) entries and is cut back to logWindowMax.
 */
export function windowTrimBatch(logWindowMax: number): number {
  return Math.max(1, Math.floor(logWindowMax / 4));
}
export function windowOf<T>(s: ZabState<T>): readonly LogEntry<T>[] {
  return s.window.length === s.windowLen ? s.window : s.window.slice(0, s.windowLen);
}

function setWindow<T>(s: S<T>, w: readonly LogEntry<T>[]): void {
  s.window = w;
  s.windowLen = w.length;
}

function trimWindow<T>(s: S<T>): void {
  if (s.windowLen <= s.cfg.logWindowMax + windowTrimBatch(s.cfg.logWindowMax) - 1) return;
  const over = s.windowLen - s.cfg.logWindowMax;
  if (over <= 0) return;
  let n = 0;
  while (n < over && s.window[n]!.zxid <= s.committed) n++;
  if (n === 0) return;
  s.windowBase = s.window[n - 1]!.zxid;
  setWindow(s, s.window.slice(n, s.windowLen));
}

function appendEntries<T>(s: S<T>, out: Out<T>, entries: readonly LogEntry<T>[]): void {
  if (entries.length === 0) return;
  let w = s.window as LogEntry<T>[];
  if (w.length !== s.windowLen) w = w.slice(0, s.windowLen); // a step from an older state: copy, then push
  for (const e of entries) w.push(e);
  setWindow(s, w);
  s.lastAppended = entries[entries.length - 1]!.zxid;
  storage(out, { type: 'AppendLog', gen: s.logGen, entries });
  trimWindow(s);
}

function commitTo<T>(s: S<T>, out: Out<T>, z: Zxid): boolean {
  const c = Math.min(z, s.lastAppended);
  if (c <= s.committed) return false;
  s.committed = c;
  storage(out, { type: 'CommitTo', zxid: c });
  out.push({ type: 'Committed', zxid: c });
  trimWindow(s);
  return true;
}

function lookForLeader<T>(s: S<T>, out: Out<T>, reason: string): void {
  const r = s.role;
  if (r.kind === 'following') {
    for (const q of r.pendingSyncs) out.push({ type: 'SyncFailed', reqId: q.reqId, reason });
    for (const id of r.localSyncs) out.push({ type: 'SyncFailed', reqId: id, reason });
  } else if (r.kind === 'leading') {
    for (const q of r.pendingSyncs) {
      if (q.origin === s.cfg.myId) out.push({ type: 'SyncFailed', reqId: q.reqId, reason });
    }
    for (const q of r.queued) {
      if (q.origin === s.cfg.myId) out.push({ type: 'WriteFailed', reqId: q.reqId, reason });
    }
  }
  s.role = { kind: 'looking', infos: {} };
  out.push({ type: 'LookForLeader', reason, was: r.kind, lastZxid: s.lastAppended, currentEpoch: s.currentEpoch });
}

// ---------------------------------------------------------------------------------------------------------------
// Leader

function isVoter<T>(s: S<T>, id: number): boolean {
  return s.cfg.voters.includes(id);
}

/** A voter or an observer: someone the leader syncs and streams to. */
function isMember<T>(s: S<T>, id: number): boolean {
  return s.cfg.voters.includes(id) || (s.cfg.observers?.includes(id) ?? false);
}

function startLeading<T>(s: S<T>, out: Out<T>): void {
  s.role = {
    kind: 'leading',
    phase: 'discovery',
    epoch: 0,
    infos: { [s.cfg.myId]: s.acceptedEpoch },
    followers: {},
    connSeq: 0,
    tick: 0,
    startTick: 0,
    persistToken: -1,
    currentEpochPersisted: false,
    initialZxid: 0,
    queued: [],
    pendingSyncs: [],
  };
  maybeChooseEpoch(s, out);
}

function maybeChooseEpoch<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Leading<T>;
  if (r.phase !== 'discovery') return;
  const ids = Object.keys(r.infos).map(Number).filter((id) => isVoter(s, id));
  if (ids.length < quorumOf(s.cfg.voters)) return;
  r.epoch = Math.max(...ids.map((id) => r.infos[id]!)) + 1;
  r.phase = 'epochpersist';
  r.persistToken = persistEpochs(s, out, r.epoch, s.cfg.myId, s.currentEpoch);
}

function sendNewEpoch<T>(s: S<T>, out: Out<T>, id: number, f: FollowerRec): void {
  const r = s.role as Leading<T>;
  f.phase = 'epoch';
  const established = r.phase === 'newleader' || r.phase === 'broadcast';
  send(out, id, { type: 'NewEpoch', from: s.cfg.myId, epoch: r.epoch, attempt: f.attempt, conn: f.conn, established });
}

function selfAheadCheck<T>(s: S<T>, f: FollowerRec): boolean {
  // Is the follower more up to date than the leader, by (currentEpoch, lastZxid)?
  if (f.ackCurrentEpoch !== s.currentEpoch) return f.ackCurrentEpoch > s.currentEpoch;
  return f.ackLastZxid > s.lastAppended;
}

function maybeEpochQuorum<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Leading<T>;
  if (r.phase !== 'ackepoch') return;
  const acked = Object.entries(r.followers).filter(([id, f]) => isVoter(s, Number(id)) && f.phase === 'acked');
  if (acked.length + 1 < quorumOf(s.cfg.voters)) return;
  for (const [, f] of acked) {
    if (selfAheadCheck(s, f) && s.cfg.testFaults?.ignoreFollowerAhead !== true) {
      lookForLeader(s, out, followerAheadReason);
      return;
    }
  }
  r.phase = 'newleader';
  r.initialZxid = s.lastAppended;
  r.currentEpochPersisted = false;
  r.persistToken = persistEpochs(s, out, s.acceptedEpoch, s.acceptedLeader, r.epoch);
  for (const [id, f] of Object.entries(r.followers)) if (f.phase === 'acked') syncFollower(s, out, Number(id), f);
}

function syncFollower<T>(s: S<T>, out: Out<T>, id: number, f: FollowerRec): void {
  const r = s.role as Leading<T>;
  const c = chooseSync(windowOf(s) as readonly LogEntry[], s.windowBase, s.lastAppended, f.ackLastZxid);
  if (c.mode === 'SNAP') {
    s.token += 1;
    f.phase = 'snap';
    f.snapToken = s.token;
    storage(out, { type: 'TakeSnapshot', token: s.token });
    out.push({ type: 'SyncStarted', peer: id, mode: 'SNAP', fromZxid: f.ackLastZxid, toZxid: s.lastAppended });
    return;
  }
  const entries = windowOf(s).filter((e) => e.zxid > c.from);
  sendNewLeader(s, out, id, f, c.mode, c.mode === 'TRUNC' ? c.from : null, null, entries);
}

function sendNewLeader<T>(
  s: S<T>,
  out: Out<T>,
  id: number,
  f: FollowerRec,
  mode: SyncMode,
  truncTo: Zxid | null,
  snapshot: SnapshotData | null,
  entries: readonly LogEntry<T>[],
): void {
  const r = s.role as Leading<T>;
  f.phase = 'synced';
  f.syncedTo = s.lastAppended;
  if (mode !== 'SNAP') out.push({ type: 'SyncStarted', peer: id, mode, fromZxid: f.ackLastZxid, toZxid: s.lastAppended });
  send(out, id, {
    type: 'NewLeader',
    from: s.cfg.myId,
    conn: f.conn,
    epoch: r.epoch,
    mode,
    truncTo,
    snapshot,
    entries,
    commitTo: s.committed,
  });
}

function leaderSelfReady<T>(s: S<T>, r: Leading<T>): boolean {
  return r.currentEpochPersisted && s.lastLogged >= r.initialZxid;
}

function maybeEstablish<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Leading<T>;
  if (r.phase !== 'newleader' || !leaderSelfReady(s, r)) return;
  const ready = Object.entries(r.followers).filter(([id, f]) => isVoter(s, Number(id)) && f.phase === 'newleader');
  if (ready.length + 1 < quorumOf(s.cfg.voters)) return;
  r.phase = 'broadcast';
  commitTo(s, out, r.initialZxid);
  out.push({
    type: 'LeaderEstablished',
    epoch: r.epoch,
    zxid: r.initialZxid,
    followers: ready.map(([id]) => Number(id)),
  });
  for (const [id, f] of Object.entries(r.followers)) if (f.phase === 'newleader') upToDate(s, out, Number(id), f);
  drainQueue(s, out);
  resolveSyncs(s, out);
}

function upToDate<T>(s: S<T>, out: Out<T>, id: number, f: FollowerRec): void {
  const r = s.role as Leading<T>;
  f.phase = 'active';
  send(out, id, { type: 'UpToDate', from: s.cfg.myId, conn: f.conn, epoch: r.epoch, commitTo: s.committed });
}

/** Followers that get proposals and commits: those sent NewLeader (FIFO after it). */
function inStream(f: FollowerRec): boolean {
  return f.phase === 'synced' || f.phase === 'newleader' || f.phase === 'active';
}

function outstanding<T>(s: S<T>): number {
  let n = 0;
  for (let i = s.windowLen - 1; i >= 0 && s.window[i]!.zxid > s.committed; i--) n++;
  return n;
}

function propose<T>(s: S<T>, out: Out<T>, txn: T): boolean {
  const r = s.role as Leading<T>;
  const counter = zxidEpoch(s.lastAppended) === r.epoch ? zxidCounter(s.lastAppended) + 1 : 1;
  if (counter > zxidCounterMax) {
    lookForLeader(s, out, 'zxid counter exhausted');
    return false;
  }
  const entry: LogEntry<T> = { zxid: zxidOf(r.epoch, counter), txn };
  appendEntries(s, out, [entry]);
  out.push({ type: 'Proposed', zxid: entry.zxid });
  for (const [id, f] of Object.entries(r.followers)) {
    if (inStream(f)) send(out, Number(id), { type: 'Proposal', from: s.cfg.myId, conn: f.conn, epoch: r.epoch, entry });
  }
  return true;
}

function drainQueue<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Leading<T>;
  if (r.phase !== 'broadcast') return;
  while (r.queued.length > 0 && outstanding(s) < s.cfg.pipelineMax) {
    const q = r.queued.shift()!;
    if (!propose(s, out, q.txn)) return;
    if (s.role.kind !== 'leading') return;
  }
}

function leaderWrite<T>(s: S<T>, out: Out<T>, origin: number, reqId: number, txn: T): void {
  const r = s.role as Leading<T>;
  if (r.phase === 'broadcast' && r.queued.length === 0 && outstanding(s) < s.cfg.pipelineMax) {
    propose(s, out, txn);
    return;
  }
  if (r.queued.length >= s.cfg.pendingRequestsMax) {
    failWrite(s, out, origin, reqId, 'leader queue full');
    return;
  }
  r.queued.push({ origin, reqId, txn });
}

function failWrite<T>(s: S<T>, out: Out<T>, origin: number, reqId: number, reason: string): void {
  if (origin === s.cfg.myId) {
    out.push({ type: 'WriteFailed', reqId, reason });
    return;
  }
  const r = s.role;
  if (r.kind !== 'leading') return;
  const f = r.followers[origin];
  if (f) send(out, origin, { type: 'RequestFailed', from: s.cfg.myId, conn: f.conn, reqId, reason });
}

function tryCommit<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Leading<T>;
  if (r.phase !== 'broadcast') return;
  const acks: Zxid[] = [s.lastLogged];
  for (const [id, f] of Object.entries(r.followers)) {
    if (isVoter(s, Number(id)) && (f.phase === 'newleader' || f.phase === 'active')) acks.push(f.acked);
  }
  const q = quorumOf(s.cfg.voters);
  if (acks.length < q) return;
  acks.sort((a, b) => b - a);
  const z = acks[q - 1]!; // the highest zxid a quorum has logged
  if (z <= s.committed) return;
  if (!commitTo(s, out, z)) return;
  for (const [id, f] of Object.entries(r.followers)) {
    if (inStream(f)) send(out, Number(id), { type: 'Commit', from: s.cfg.myId, conn: f.conn, epoch: r.epoch, zxid: s.committed });
  }
  resolveSyncs(s, out);
  drainQueue(s, out);
}

function resolveSyncs<T>(s: S<T>, out: Out<T>): void {
  const r = s.role;
  if (r.kind !== 'leading' || r.phase !== 'broadcast') return;
  const keep: Leading<T>['pendingSyncs'] = [];
  for (const q of r.pendingSyncs) {
    if (q.zxid > s.committed) {
      keep.push(q);
      continue;
    }
    if (q.origin === s.cfg.myId) out.push({ type: 'SyncDone', reqId: q.reqId, zxid: q.zxid });
    else {
      const f = r.followers[q.origin];
      if (f) send(out, q.origin, { type: 'SyncMarkerDone', from: s.cfg.myId, conn: f.conn, reqId: q.reqId, zxid: q.zxid });
    }
  }
  r.pendingSyncs = keep;
}

function leaderSync<T>(s: S<T>, out: Out<T>, origin: number, reqId: number): void {
  const r = s.role as Leading<T>;
  if (r.pendingSyncs.length >= s.cfg.pendingSyncsMax) {
    if (origin === s.cfg.myId) out.push({ type: 'SyncFailed', reqId, reason: 'too many pending syncs' });
    return;
  }
  // Everything proposed before the marker must be applied first (queued writes are not proposed yet).
  r.pendingSyncs.push({ origin, reqId, zxid: s.lastAppended });
  resolveSyncs(s, out);
}

function leaderReceive<T>(s: S<T>, out: Out<T>, m: ZabPeerMsg<T>): void {
  const r = s.role as Leading<T>;
  const me = s.cfg.myId;
  if (m.type === 'FollowerInfo') {
    if (!isMember(s, m.from) || m.from === me) return;
    if (r.phase !== 'discovery' && m.acceptedEpoch > r.epoch && isVoter(s, m.from)) {
      // The follower promised a newer epoch (to a leader attempt that failed) and must not join ours: it would
      // refuse NewEpoch forever. Step down; the next discovery picks an epoch above its acceptedEpoch.
      lookForLeader(s, out, `follower ${m.from} accepted epoch ${m.acceptedEpoch} > ${r.epoch}`);
      return;
    }
    const old = r.followers[m.from];
    if (old && old.attempt === m.attempt) {
      if (old.phase === 'epoch') sendNewEpoch(s, out, m.from, old); // a lost NewEpoch: send it again
      return;
    }
    // A different attempt is a new connection (attempt numbers restart when the follower restarts).
    r.connSeq += 1;
    const f: FollowerRec = {
      conn: r.connSeq,
      attempt: m.attempt,
      phase: 'info',
      acceptedEpoch: m.acceptedEpoch,
      ackCurrentEpoch: 0,
      ackLastZxid: 0,
      syncedTo: 0,
      acked: 0,
      lastHeardTick: r.tick,
      snapToken: -1,
    };
    r.followers[m.from] = f;
    if (r.phase === 'discovery') {
      r.infos[m.from] = m.acceptedEpoch;
      maybeChooseEpoch(s, out);
    } else if (r.phase !== 'epochpersist') {
      sendNewEpoch(s, out, m.from, f);
    }
    return;
  }
  if (m.type === 'NotLeader' || m.type === 'NewEpoch' || m.type === 'NewLeader' || m.type === 'UpToDate') return;
  if (m.type === 'Proposal' || m.type === 'Commit' || m.type === 'Ping' || m.type === 'RequestFailed') return;
  if (m.type === 'SyncMarkerDone') return;
  const f = r.followers[m.from];
  if (!f || f.conn !== m.conn) return;
  f.lastHeardTick = r.tick;
  switch (m.type) {
    case 'AckEpoch':
      if (f.phase !== 'epoch') return;
      f.phase = 'acked';
      f.ackCurrentEpoch = m.currentEpoch;
      f.ackLastZxid = m.lastZxid;
      if (r.phase === 'ackepoch') maybeEpochQuorum(s, out);
      else if (r.phase === 'newleader' || r.phase === 'broadcast') syncFollower(s, out, m.from, f);
      return;
    case 'AckNewLeader':
      if (f.phase !== 'synced' || m.epoch !== r.epoch) return;
      f.phase = 'newleader';
      f.acked = Math.max(f.acked, f.syncedTo);
      if (r.phase === 'newleader') maybeEstablish(s, out);
      else if (r.phase === 'broadcast') {
        upToDate(s, out, m.from, f);
        tryCommit(s, out);
      }
      return;
    case 'Ack':
    case 'PingAck': {
      if (m.epoch !== r.epoch) return;
      if (f.phase !== 'newleader' && f.phase !== 'active') return;
      const z = m.type === 'Ack' ? m.zxid : m.lastZxid;
      if (z > f.acked) {
        f.acked = Math.min(z, s.lastAppended);
        tryCommit(s, out);
      }
      return;
    }
    case 'Request':
      if (!inStream(f)) return;
      leaderWrite(s, out, m.from, m.reqId, m.txn);
      return;
    case 'SyncMarker':
      if (!inStream(f)) return;
      leaderSync(s, out, m.from, m.reqId);
      return;
    default:
      return assertNever(m);
  }
}

function leaderStorage<T>(s: S<T>, out: Out<T>, rep: StorageReply): void {
  const r = s.role as Leading<T>;
  switch (rep.type) {
    case 'EpochsPersisted':
      if (rep.token !== r.persistToken) return;
      if (r.phase === 'epochpersist') {
        s.acceptedEpoch = r.epoch;
        s.acceptedLeader = s.cfg.myId;
        r.phase = 'ackepoch';
        for (const [id, f] of Object.entries(r.followers)) sendNewEpoch(s, out, Number(id), f);
        maybeEpochQuorum(s, out);
      } else if (r.phase === 'newleader') {
        s.currentEpoch = r.epoch;
        r.currentEpochPersisted = true;
        maybeEstablish(s, out);
      }
      return;
    case 'Logged':
      maybeEstablish(s, out);
      tryCommit(s, out);
      return;
    case 'SnapshotTaken': {
      for (const [id, f] of Object.entries(r.followers)) {
        if (f.phase !== 'snap' || f.snapToken !== rep.token) continue;
        // The snapshot is at storage's apply point, which can lag the window (a recovered leader whose commit
        // point was persisted lazily, a long uncommitted tail): storage's logged-but-unapplied entries bridge it.
        const bridge = ((rep.entries ?? []) as readonly LogEntry<T>[]).filter((e) => e.zxid > rep.snapshot.zxid && e.zxid <= s.lastAppended);
        const reach = bridge.length > 0 ? bridge[bridge.length - 1]!.zxid : rep.snapshot.zxid;
        if (reach < s.windowBase) {
          syncFollower(s, out, Number(id), f); // the window moved past what storage gave: take another
          continue;
        }
        const entries = [...bridge, ...windowOf(s).filter((e) => e.zxid > reach)];
        sendNewLeader(s, out, Number(id), f, 'SNAP', null, rep.snapshot, entries);
      }
      return;
    }
    default:
      return assertNever(rep);
  }
}

function leaderTick<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Leading<T>;
  r.tick += 1;
  for (const [id, f] of Object.entries(r.followers)) {
    if (f.phase !== 'info') {
      send(out, Number(id), { type: 'Ping', from: s.cfg.myId, conn: f.conn, epoch: r.epoch, commitTo: s.committed, lastZxid: s.lastAppended });
    }
  }
  if (r.phase === 'discovery' || r.phase === 'epochpersist' || r.phase === 'ackepoch') {
    // Gathering a quorum moves no data: a leader nobody follows gives up after syncLimitTicks, not initLimitTicks.
    if (r.tick - r.startTick > s.cfg.syncLimitTicks) lookForLeader(s, out, `no quorum for discovery within ${s.cfg.syncLimitTicks} ticks`);
    return;
  }
  if (r.phase !== 'broadcast') {
    if (r.tick - r.startTick > s.cfg.initLimitTicks) lookForLeader(s, out, `not established within ${s.cfg.initLimitTicks} ticks`);
    return;
  }
  let heard = 1;
  for (const [id, f] of Object.entries(r.followers)) {
    if (isVoter(s, Number(id)) && (f.phase === 'newleader' || f.phase === 'active') && r.tick - f.lastHeardTick <= s.cfg.syncLimitTicks) heard++;
  }
  if (heard < quorumOf(s.cfg.voters)) lookForLeader(s, out, `no quorum heard within ${s.cfg.syncLimitTicks} ticks`);
}

// ---------------------------------------------------------------------------------------------------------------
// Follower

function startFollowing<T>(s: S<T>, out: Out<T>, leader: number): void {
  s.role = {
    kind: 'following',
    leader,
    phase: 'info',
    attempt: 0,
    conn: -1,
    epoch: 0,
    reconnects: 0,
    ticksSinceHeard: 0,
    ticksInPhase: 0,
    ticksSinceStart: 0,
    persistToken: -1,
    epochPersisted: false,
    syncTarget: 0,
    pendingSyncs: [],
    localSyncs: [],
  };
  connect(s, out);
}

function connect<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Following;
  s.attemptSeq += 1;
  r.attempt = s.attemptSeq;
  r.phase = 'info';
  r.conn = -1;
  r.ticksInPhase = 0;
  r.ticksSinceStart = 0;
  r.persistToken = -1;
  r.epochPersisted = false;
  for (const id of r.localSyncs) out.push({ type: 'SyncFailed', reqId: id, reason: 'reconnecting to the leader' });
  r.localSyncs = [];
  send(out, r.leader, { type: 'FollowerInfo', from: s.cfg.myId, acceptedEpoch: s.acceptedEpoch, attempt: r.attempt });
}

function reconnect<T>(s: S<T>, out: Out<T>, reason: string): void {
  const r = s.role as Following;
  r.reconnects += 1;
  if (r.reconnects > s.cfg.reconnectsMax) {
    lookForLeader(s, out, `${reason}; ${s.cfg.reconnectsMax} reconnects failed`);
    return;
  }
  connect(s, out);
}

/**
 * What a follower does with its leader's NewEpoch: persist it as its accepted epoch, ack it at once (already
 * accepted from this leader), or refuse it and go back to election.
 */
function newEpochVerdict<T>(s: S<T>, leader: number, epoch: number, established: boolean): 'persist' | 'ack' | { readonly refuse: string } {
  const acceptedFromLeader = epoch === s.acceptedEpoch && s.acceptedLeader === leader;
  if (!isVoter(s, s.cfg.myId)) {
    // An observer's promise binds nobody: it follows any leader not older than the history it holds (only the
    // one leader of an epoch ever sends data, and established epochs only grow), so never a stale leader.
    const held = Math.max(s.currentEpoch, zxidEpoch(s.lastAppended));
    if (epoch < held) return { refuse: `leader's epoch ${epoch} is older than our history (epoch ${held})` };
    return acceptedFromLeader ? 'ack' : 'persist';
  }
  if (acceptedFromLeader) return 'ack';
  if (epoch > s.acceptedEpoch) return 'persist';
  // Same epoch number accepted from another leader attempt, but this leader is established without us.
  if (epoch === s.acceptedEpoch && established) return 'persist';
  return { refuse: `leader proposed epoch ${epoch}, already accepted ${s.acceptedEpoch}` };
}

function ackEpoch<T>(s: S<T>, out: Out<T>, r: Following): void {
  r.phase = 'ackepoch';
  r.ticksInPhase = 0;
  send(out, r.leader, { type: 'AckEpoch', from: s.cfg.myId, conn: r.conn, currentEpoch: s.currentEpoch, lastZxid: s.lastAppended });
}

function followerMaybeAckNewLeader<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Following;
  if (r.phase !== 'sync' || !r.epochPersisted || s.lastLogged < r.syncTarget) return;
  r.phase = 'synced';
  r.ticksInPhase = 0;
  send(out, r.leader, { type: 'AckNewLeader', from: s.cfg.myId, conn: r.conn, epoch: r.epoch });
}

function followerCommit<T>(s: S<T>, out: Out<T>, z: Zxid): void {
  const r = s.role as Following;
  commitTo(s, out, z);
  const keep: Following['pendingSyncs'] = [];
  for (const q of r.pendingSyncs) {
    if (q.zxid <= s.committed) out.push({ type: 'SyncDone', reqId: q.reqId, zxid: q.zxid });
    else keep.push(q);
  }
  r.pendingSyncs = keep;
}

function followerAck<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Following;
  if ((r.phase === 'synced' || r.phase === 'broadcast') && r.epochPersisted) {
    send(out, r.leader, { type: 'Ack', from: s.cfg.myId, conn: r.conn, epoch: r.epoch, zxid: s.lastLogged });
  }
}

function followerReceive<T>(s: S<T>, out: Out<T>, m: ZabPeerMsg<T>): void {
  const r = s.role as Following;
  const me = s.cfg.myId;
  if (m.type === 'FollowerInfo') {
    send(out, m.from, { type: 'NotLeader', from: me, attempt: m.attempt });
    return;
  }
  if (m.from !== r.leader) return;
  switch (m.type) {
    case 'NotLeader':
      if (m.attempt === r.attempt) lookForLeader(s, out, 'the elected leader is not leading');
      return;
    case 'NewEpoch': {
      if (r.phase !== 'info' || m.attempt !== r.attempt) return;
      r.ticksSinceHeard = 0;
      r.conn = m.conn;
      r.epoch = m.epoch;
      const verdict = newEpochVerdict(s, r.leader, m.epoch, m.established);
      if (verdict === 'persist') {
        r.phase = 'epochpersist';
        r.ticksInPhase = 0;
        r.persistToken = persistEpochs(s, out, m.epoch, r.leader, s.currentEpoch);
      } else if (verdict === 'ack') ackEpoch(s, out, r);
      else lookForLeader(s, out, verdict.refuse);
      return;
    }
    case 'Ack':
    case 'AckEpoch':
    case 'AckNewLeader':
    case 'PingAck':
    case 'Request':
    case 'SyncMarker':
      return;
    default:
      break;
  }
  if (m.conn !== r.conn) return;
  r.ticksSinceHeard = 0;
  switch (m.type) {
    case 'NewLeader': {
      if (r.phase !== 'ackepoch' || m.epoch !== r.epoch) return;
      if (m.mode === 'TRUNC' && m.truncTo !== null) {
        if (m.truncTo < s.committed) throw new Error(`TRUNC below the commit point: ${m.truncTo} < ${s.committed}`);
        s.logGen += 1;
        storage(out, { type: 'TruncateLog', gen: s.logGen, toZxid: m.truncTo });
        setWindow(s, windowOf(s).filter((e) => e.zxid <= m.truncTo!));
        if (m.truncTo < s.windowBase) s.windowBase = m.truncTo;
        s.lastAppended = m.truncTo;
        s.lastLogged = Math.min(s.lastLogged, m.truncTo);
      } else if (m.mode === 'SNAP' && m.snapshot !== null) {
        s.logGen += 1;
        storage(out, { type: 'InstallSnapshot', gen: s.logGen, snapshot: m.snapshot });
        setWindow(s, []);
        s.windowBase = m.snapshot.zxid;
        s.lastAppended = m.snapshot.zxid;
        s.lastLogged = 0;
        s.committed = m.snapshot.zxid;
        out.push({ type: 'Committed', zxid: s.committed });
      }
      const fresh = m.entries.filter((e) => e.zxid > s.lastAppended);
      appendEntries(s, out, fresh);
      followerCommit(s, out, m.commitTo);
      r.phase = 'sync';
      r.ticksInPhase = 0;
      r.syncTarget = s.lastAppended;
      r.persistToken = persistEpochs(s, out, s.acceptedEpoch, s.acceptedLeader, m.epoch);
      return;
    }
    case 'UpToDate':
      if (r.phase !== 'synced' || m.epoch !== r.epoch) return;
      r.phase = 'broadcast';
      r.reconnects = 0;
      followerCommit(s, out, m.commitTo);
      out.push({ type: 'FollowingLeader', leader: r.leader, epoch: r.epoch });
      return;
    case 'Proposal': {
      if (r.phase !== 'sync' && r.phase !== 'synced' && r.phase !== 'broadcast') return;
      const z = m.entry.zxid;
      if (z <= s.lastAppended) return; // duplicate
      if (!isNextZxid(s.lastAppended, z)) {
        reconnect(s, out, 'gap in proposals');
        return;
      }
      appendEntries(s, out, [m.entry]);
      return;
    }
    case 'Commit':
      if (r.phase !== 'sync' && r.phase !== 'synced' && r.phase !== 'broadcast') return;
      if (m.zxid > s.lastAppended) {
        reconnect(s, out, 'commit of a missing proposal');
        return;
      }
      followerCommit(s, out, m.zxid);
      return;
    case 'Ping':
      if (r.phase === 'synced' || r.phase === 'broadcast') {
        if (m.lastZxid > s.lastAppended) {
          reconnect(s, out, 'proposals lost (ping ahead of our log)');
          return;
        }
        followerCommit(s, out, m.commitTo);
      }
      send(out, r.leader, {
        type: 'PingAck',
        from: me,
        conn: r.conn,
        epoch: r.epoch,
        lastZxid: r.epochPersisted && (r.phase === 'synced' || r.phase === 'broadcast') ? s.lastLogged : 0,
      });
      return;
    case 'RequestFailed':
      out.push({ type: 'WriteFailed', reqId: m.reqId, reason: m.reason });
      return;
    case 'SyncMarkerDone': {
      const i = r.localSyncs.indexOf(m.reqId);
      if (i < 0) return;
      r.localSyncs.splice(i, 1);
      if (m.zxid <= s.committed) out.push({ type: 'SyncDone', reqId: m.reqId, zxid: m.zxid });
      else r.pendingSyncs.push({ reqId: m.reqId, zxid: m.zxid });
      return;
    }
    default:
      return assertNever(m);
  }
}

function followerStorage<T>(s: S<T>, out: Out<T>, rep: StorageReply): void {
  const r = s.role as Following;
  switch (rep.type) {
    case 'EpochsPersisted':
      if (rep.token !== r.persistToken) return;
      if (r.phase === 'epochpersist') {
        s.acceptedEpoch = r.epoch;
        s.acceptedLeader = r.leader;
        ackEpoch(s, out, r);
      } else if (r.phase === 'sync') {
        s.currentEpoch = r.epoch;
        r.epochPersisted = true;
        followerMaybeAckNewLeader(s, out);
      }
      return;
    case 'Logged':
      followerMaybeAckNewLeader(s, out);
      followerAck(s, out);
      return;
    case 'SnapshotTaken':
      return;
    default:
      return assertNever(rep);
  }
}

function followerTick<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Following;
  r.ticksSinceHeard += 1;
  r.ticksInPhase += 1;
  r.ticksSinceStart += 1;
  if (r.phase === 'broadcast') {
    if (r.ticksSinceHeard > s.cfg.syncLimitTicks) lookForLeader(s, out, `leader silent for ${s.cfg.syncLimitTicks} ticks`);
    return;
  }
  if (r.ticksSinceStart > s.cfg.initLimitTicks) {
    lookForLeader(s, out, `not synced within ${s.cfg.initLimitTicks} ticks`);
    return;
  }
  const waitingOnLeader = r.phase === 'info' || r.phase === 'ackepoch' || r.phase === 'synced';
  if (waitingOnLeader && r.ticksInPhase >= s.cfg.handshakeRetryTicks) reconnect(s, out, `no answer in phase ${r.phase}`);
}

// ---------------------------------------------------------------------------------------------------------------

function clone<T>(st: S<T>): S<T> {
  return {
    cfg: st.cfg,
    booted: st.booted,
    acceptedEpoch: st.acceptedEpoch,
    acceptedLeader: st.acceptedLeader,
    currentEpoch: st.currentEpoch,
    token: st.token,
    attemptSeq: st.attemptSeq,
    logGen: st.logGen,
    lastAppended: st.lastAppended,
    lastLogged: st.lastLogged,
    committed: st.committed,
    window: st.window,
    windowLen: st.windowLen,
    windowBase: st.windowBase,
    role: cloneRole(st.role),
  };
}

export function zabStep<T>(state: ZabState<T>, input: ZabInput<T>): ZabStep<T> {
  const out: Out<T> = [];
  const s = clone(state);
  if (input.type === 'Boot') {
    const b = input.boot;
    s.booted = true;
    s.acceptedEpoch = b.epochs.acceptedEpoch;
    s.acceptedLeader = b.epochs.acceptedLeader;
    s.currentEpoch = b.epochs.currentEpoch;
    s.lastAppended = b.lastZxid;
    s.lastLogged = b.lastZxid;
    s.committed = b.committedZxid;
    setWindow(s, b.logTail.slice(-s.cfg.logWindowMax));
    s.windowBase = s.windowLen < b.logTail.length ? b.logTail[b.logTail.length - s.windowLen - 1]!.zxid : b.logTailBase;
    s.role = { kind: 'looking', infos: {} };
    out.push({ type: 'LookForLeader', reason: 'boot', was: 'looking', lastZxid: s.lastAppended, currentEpoch: s.currentEpoch });
    return { state: s, out };
  }
  if (!s.booted) return { state, out };
  const r = s.role;
  switch (input.type) {
    case 'Elected': {
      if (r.kind !== 'looking') return { state, out };
      const early = Object.values(r.infos);
      if (input.role === 'LEADING') {
        startLeading(s, out);
        for (const m of early) if (s.role.kind === 'leading') leaderReceive(s, out, m as ZabPeerMsg<T>);
      } else {
        for (const m of early) send(out, m.from, { type: 'NotLeader', from: s.cfg.myId, attempt: m.attempt });
        startFollowing(s, out, input.leader);
      }
      break;
    }
    case 'Receive':
      if (r.kind === 'leading') leaderReceive(s, out, input.msg);
      else if (r.kind === 'following') followerReceive(s, out, input.msg);
      else if (input.msg.type === 'FollowerInfo' && isMember(s, input.msg.from)) r.infos[input.msg.from] = input.msg;
      break;
    case 'Storage':
      if (input.reply.type === 'Logged' && input.reply.gen === s.logGen) {
        s.lastLogged = Math.max(s.lastLogged, Math.min(input.reply.zxid, s.lastAppended));
      }
      if (input.reply.type === 'Logged' && input.reply.gen !== s.logGen) break;
      if (r.kind === 'leading') leaderStorage(s, out, input.reply);
      else if (r.kind === 'following') followerStorage(s, out, input.reply);
      break;
    case 'Tick':
      if (r.kind === 'leading') leaderTick(s, out);
      else if (r.kind === 'following') followerTick(s, out);
      break;
    case 'PeerActive':
      if (r.kind === 'following' && input.from === r.leader) r.ticksSinceHeard = 0;
      else if (r.kind === 'leading') {
        const f = r.followers[input.from];
        if (f !== undefined) f.lastHeardTick = r.tick;
      }
      break;
    case 'Write':
      if (r.kind === 'leading') leaderWrite(s, out, s.cfg.myId, input.reqId, input.txn);
      else if (r.kind === 'following' && r.phase === 'broadcast') {
        send(out, r.leader, { type: 'Request', from: s.cfg.myId, conn: r.conn, reqId: input.reqId, txn: input.txn });
      } else out.push({ type: 'WriteFailed', reqId: input.reqId, reason: 'no leader' });
      break;
    case 'Sync':
      if (r.kind === 'leading' && r.phase === 'broadcast') leaderSync(s, out, s.cfg.myId, input.reqId);
      else if (r.kind === 'following' && r.phase === 'broadcast' && r.localSyncs.length < s.cfg.pendingSyncsMax) {
        r.localSyncs.push(input.reqId);
        send(out, r.leader, { type: 'SyncMarker', from: s.cfg.myId, conn: r.conn, reqId: input.reqId });
      } else out.push({ type: 'SyncFailed', reqId: input.reqId, reason: 'not serving' });
      break;
    default:
      return assertNever(input);
  }
  return { state: s, out };
}

/** For shells and tests: the role and phase in one word. */
export function zabPhase<T>(s: ZabState<T>): string {
  const r = s.role;
  return r.kind === 'looking' ? 'looking' : `${r.kind}:${r.phase}`;
}
