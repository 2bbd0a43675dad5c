import type { Address } from './envelope.js';
import type { Fault } from './faults.js';

/**
 * Every event any part of the cluster can emit, by type. Add new kinds here (past tense, PascalCase); the
 * payload is plain data. `events$` carries them stamped with `time` (ms, the driver's clock), `seq` (one
 * sequence per cluster) and the emitting `node`.
 */
export interface EventMap {
  ActorStarted: { readonly actor: Address; readonly kind: string };
  /** One per supervision decision: `directive` says what the supervisor chose. */
  ActorRestarted: {
    readonly actor: Address;
    readonly directive: 'Restart' | 'Stop' | 'Escalate';
    readonly attempt: number;
    readonly backoffMs: number;
    readonly error: string;
  };
  ActorStopped: { readonly actor: Address; readonly reason: string };
  DeadLetter: { readonly to: Address; readonly from: Address | null; readonly msgType: string; readonly reason: string };
  MessageDropped: { readonly from: Address | null; readonly to: Address; readonly msgType: string; readonly reason: string };
  FaultInjected: { readonly fault: Fault };
  NodeCrashed: { readonly reason: string };
  NodeStarted: { readonly incarnation: number };
  // Consensus (src/core/fle, src/core/zab; actors/election.ts, actors/broadcast.ts). Zxids are numbers (zxid.ts).
  ElectionStarted: { readonly electionEpoch: number; readonly zxid: number; readonly reason: string };
  /** FLE decided (ZAB discovery and sync follow). */
  ElectionDecided: { readonly role: 'LEADING' | 'FOLLOWING' | 'OBSERVING'; readonly leader: number; readonly electionEpoch: number };
  /** A leader established its epoch (a quorum synced): `electionMs` from entering election to here. */
  LeaderElected: { readonly leader: number; readonly epoch: number; readonly zxid: number; readonly electionMs: number };
  FollowingLeader: { readonly leader: number; readonly epoch: number; readonly electionMs: number };
  LeaderSteppedDown: { readonly epoch: number; readonly reason: string };
  /** A follower gave up its leader (or a handshake) and re-entered election. */
  LeaderLost: { readonly leader: number; readonly reason: string };
  SyncStarted: { readonly peer: number; readonly mode: 'DIFF' | 'TRUNC' | 'SNAP'; readonly fromZxid: number; readonly toZxid: number };
  /** The leader proposed up to `zxid` (one event per run of the broadcast actor's mailbox, for the newest). */
  Proposed: { readonly zxid: number };
  /** The node's commit point advanced to `zxid` (one event per mailbox run, for the newest). */
  Committed: { readonly zxid: number };
  /**
   * Storage applied one txn: `digest` is the tree digest after it, `resultHash` a hash of its result. Only emitted
   * when the storage actor's `appliedEvents` is on (the simulation swarm checks replicas' histories with it).
   */
  TxnApplied: { readonly zxid: number; readonly digest: number; readonly resultHash: number };
  /** Storage (re)loaded its state: from disk at start (`recovery`) or from a leader's SNAP (`snapshot`); `appliedEvents` only. */
  StorageLoaded: { readonly zxid: number; readonly digest: number; readonly source: 'recovery' | 'snapshot' };
  /** A one-shot watch fired (ZooKeeper WatchedEvent) for a session connected to `node`. */
  WatchTriggered: {
    readonly sessionId: number;
    readonly path: string;
    readonly event: 'NodeCreated' | 'NodeDeleted' | 'NodeDataChanged' | 'NodeChildrenChanged';
    readonly zxid: number;
  };
  /** The storage actor's write-ahead log was fsynced (one group commit): `ms` from the fsync's start to done. */
  LogFsynced: { readonly ms: number };
  /** A snapshot of the applied state was written and made durable. */
  SnapshotWritten: { readonly zxid: number; readonly bytes: number };
  /** Storage restored its state from a snapshot: read from disk at start, or installed from the leader (SNAP). */
  SnapshotRestored: { readonly zxid: number; readonly source: 'disk' | 'leader' };
  /** A client's session was created through this node (the node its connection is on). */
  SessionCreated: { readonly sessionId: number; readonly timeoutMs: number };
  /** The peer transport refused an inbound connection (`remote` host:port). */
  PeerConnectionRefused: { readonly remote: string; readonly reason: string };
  /** The leader closed a session that was not heard from within its timeout. */
  SessionExpired: { readonly sessionId: number };
  /** Eureka registry (issue 5). `replication` = the change arrived from a peer. */
  InstanceRegistered: { readonly app: string; readonly id: string; readonly status: string; readonly replication: boolean };
  InstanceRenewed: { readonly app: string; readonly id: string; readonly replication: boolean };
  InstanceCancelled: { readonly app: string; readonly id: string; readonly replication: boolean };
  InstanceEvicted: { readonly app: string; readonly id: string; readonly expiredForMs: number };
  InstanceStatusChanged: {
    readonly app: string;
    readonly id: string;
    readonly status: string;
    readonly overriddenStatus: string;
    readonly replication: boolean;
  };
  SelfPreservationEntered: { readonly renewsLastWindow: number; readonly threshold: number; readonly expectedClients: number };
  SelfPreservationLeft: { readonly renewsLastWindow: number; readonly threshold: number; readonly expectedClients: number };
  /** A replication batch to a peer failed; `willRetry` false means its items were dropped. */
  ReplicationFailed: { readonly peer: Address; readonly items: number; readonly reason: string; readonly willRetry: boolean };
  /** Startup sync from peers finished: `instances` copied, `peersAnswered` of `peers`. */
  RegistrySynced: { readonly instances: number; readonly peersAnswered: number; readonly peers: number };
  /** Free-form event of the demo actors used by the runtime tests. */
  DemoCounted: { readonly actor: Address; readonly count: number };
}

export type EventType = keyof EventMap;

/** What an actor emits: the type tag plus its payload. */
export type EventPayload<K extends EventType = EventType> = {
  [P in K]: { readonly type: P } & EventMap[P];
}[K];

/** What `events$` carries. */
export type ClusterEvent<K extends EventType = EventType> = EventPayload<K> & {
  readonly time: number;
  readonly seq: number;
  readonly node: string;
};
