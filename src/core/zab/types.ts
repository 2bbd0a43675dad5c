/** The ZAB machine's configuration, state, inputs and outputs (the machine itself: index.ts, leader.ts, follower.ts). */
import type { BootInfo, LogEntry, StorageCommand, StorageReply, SyncMode, ZabPeerMsg } from '../../protocol/broadcast.js';
import type { Zxid } from '../../protocol/zxid.js';

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

/** Why a follower goes back to election when its leader's connection closes (PeerGone). */
export const leaderGoneReason = "leader's connection closed";
/** Why a leader steps down when the connections of so many voters closed that it hears no quorum (PeerGone). */
export const quorumGoneReason = "followers' connections closed: no quorum heard";

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
  /**
   * The newest request id taken from this follower on this connection (-1: none). A follower numbers its requests
   * in send order and the link is FIFO, so an id not above it is a duplicate the network made: never proposed twice.
   */
  lastReqId: number;
}

export type LeaderPhase = 'discovery' | 'epochpersist' | 'ackepoch' | 'newleader' | 'broadcast';

export interface Leading<T> {
  kind: 'leading';
  phase: LeaderPhase;
  epoch: number;
  infos: Record<number, number>;
  followers: Record<number, FollowerRec>;
  /**
   * The last connection id handed out. Each leadership numbers its connections from its acceptedEpoch at the start
   * times `connsPerLeadershipMax`: ids never repeat across leaderships or restarts (a later leadership starts at
   * an acceptedEpoch above every epoch this node led before), so a follower never takes a message from an earlier
   * leadership's connection — still in the network — for one of this leadership's.
   */
  connSeq: number;
  /** The first id past this leadership's range: reaching it ends the leadership. */
  connEnd: number;
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
  /**
   * The highest acceptedEpoch a voter reported to this node in a FollowerInfo (memory only; never above what some
   * voter promised). This node's next leadership proposes an epoch above it, as ZooKeeper's leader bumps its
   * proposal past every connecting follower's acceptedEpoch: a leader that stepped down for a voter that promised
   * a newer epoch (to a leader attempt that failed) must not, re-elected, choose the same too-low epoch again.
   */
  epochSeen: number;
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
  /**
   * Peer `from`'s connection to this node closed (its process died and the kernel closed its sockets; or the
   * driver dropped the connection). A follower whose leader it is looks for a new leader at once; a leader counts
   * that follower as not heard and steps down at once if the voters it still hears are no quorum. The tick-based
   * limits stay for peers that go silent with their connections open (paused, partitioned, clogged).
   */
  | { readonly type: 'PeerGone'; readonly from: number }
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
  /** `zxid`: the end of what the sync brought (every txn of older leaderships that can still commit is at or below it). */
  | { readonly type: 'FollowingLeader'; readonly leader: number; readonly epoch: number; readonly zxid: Zxid }
  | { readonly type: 'SyncStarted'; readonly peer: number; readonly mode: SyncMode; readonly fromZxid: Zxid; readonly toZxid: Zxid }
  | { readonly type: 'Proposed'; readonly zxid: Zxid }
  | { readonly type: 'Committed'; readonly zxid: Zxid };

export interface ZabStep<T> {
  readonly state: ZabState<T>;
  readonly out: readonly ZabOutput<T>[];
}
