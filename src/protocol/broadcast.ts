/**
 * ZAB: the messages between `<node>/broadcast` actors (peers), and the interface between the broadcast machine
 * and its node's storage (the write-ahead log + the replicated state machine). The transaction payload `T` is
 * opaque to ZAB: plain data defined by the storage side (src/protocol/txn.ts); it must carry whatever the state
 * machine needs to answer the client that issued it (ours name their origin: server id and request id).
 *
 * Zxids: see ./zxid.ts (one number, epoch * 2^32 + counter).
 */
import type { ElectionDecided } from './election.js';
import type { Zxid } from './zxid.js';
import { address, type Envelope } from './envelope.js';

export interface LogEntry<T = unknown> {
  readonly zxid: Zxid;
  readonly txn: T;
}

/** How the leader brings a follower's log in line with its own (spec §17.2). */
export type SyncMode = 'DIFF' | 'TRUNC' | 'SNAP';

/**
 * A state-machine snapshot as storage hands it over: everything committed up to and including `zxid`. `D` is
 * storage's business (opaque to ZAB): src/protocol/storage.ts uses the snapshot file's bytes.
 */
export interface SnapshotData<D = unknown> {
  readonly zxid: Zxid;
  readonly data: D;
}

// ---------------------------------------------------------------------------------------------------------------
// Peer messages. `conn` is the leader's id for one follower connection (a new FollowerInfo attempt gets a new
// one); both sides drop messages of another connection, so stale, duplicated or reordered frames of an old
// connection never count. `epoch` is the leader's (new) epoch.
// ---------------------------------------------------------------------------------------------------------------

export type ZabPeerMsg<T = unknown> =
  /** Follower → leader: discovery; `attempt` numbers the follower's connection attempts. */
  | { readonly type: 'FollowerInfo'; readonly from: number; readonly acceptedEpoch: number; readonly attempt: number }
  /** Leader → follower: the proposed new epoch (ZooKeeper's LEADERINFO). */
  | {
      readonly type: 'NewEpoch';
      readonly from: number;
      readonly epoch: number;
      readonly attempt: number;
      readonly conn: number;
      /**
       * The leader already has its quorum of AckEpochs: this follower's ack cannot help establish the epoch, so it
       * may join even if it accepted the same epoch number from another (failed) leader attempt.
       */
      readonly established: boolean;
    }
  /** Follower → leader, after persisting acceptedEpoch. */
  | {
      readonly type: 'AckEpoch';
      readonly from: number;
      readonly conn: number;
      readonly currentEpoch: number;
      readonly lastZxid: Zxid;
    }
  /**
   * Leader → follower: synchronization and NEWLEADER in one frame (so loss or reordering can never separate
   * them): optionally truncate to `truncTo` (TRUNC) or install `snapshot` (SNAP), then append `entries` (at most
   * the leader's log window, `logWindowMax`), commit up to `commitTo`, adopt `epoch` as currentEpoch, ack.
   */
  | {
      readonly type: 'NewLeader';
      readonly from: number;
      readonly conn: number;
      readonly epoch: number;
      readonly mode: SyncMode;
      readonly truncTo: Zxid | null;
      readonly snapshot: SnapshotData | null;
      readonly entries: readonly LogEntry<T>[];
      readonly commitTo: Zxid;
    }
  | { readonly type: 'AckNewLeader'; readonly from: number; readonly conn: number; readonly epoch: number }
  | { readonly type: 'UpToDate'; readonly from: number; readonly conn: number; readonly epoch: number; readonly commitTo: Zxid }
  | { readonly type: 'Proposal'; readonly from: number; readonly conn: number; readonly epoch: number; readonly entry: LogEntry<T> }
  /** Cumulative: the follower has logged (fsync) everything up to `zxid`. */
  | { readonly type: 'Ack'; readonly from: number; readonly conn: number; readonly epoch: number; readonly zxid: Zxid }
  /** Cumulative: everything up to `zxid` is committed. */
  | { readonly type: 'Commit'; readonly from: number; readonly conn: number; readonly epoch: number; readonly zxid: Zxid }
  /** Follower → leader: a client write to propose. */
  | { readonly type: 'Request'; readonly from: number; readonly conn: number; readonly reqId: number; readonly txn: T }
  | { readonly type: 'RequestFailed'; readonly from: number; readonly conn: number; readonly reqId: number; readonly reason: string }
  /** Follower → leader: a sync marker; the answer names the zxid the follower must have applied first. */
  | { readonly type: 'SyncMarker'; readonly from: number; readonly conn: number; readonly reqId: number }
  | { readonly type: 'SyncMarkerDone'; readonly from: number; readonly conn: number; readonly reqId: number; readonly zxid: Zxid }
  /** Leader → follower every tick; carries the commit point so a lost Commit heals. */
  | {
      readonly type: 'Ping';
      readonly from: number;
      readonly conn: number;
      readonly epoch: number;
      readonly commitTo: Zxid;
      /** The leader's last proposal: a follower behind it after FIFO delivery lost a proposal and resyncs. */
      readonly lastZxid: Zxid;
    }
  | { readonly type: 'PingAck'; readonly from: number; readonly conn: number; readonly epoch: number; readonly lastZxid: Zxid }
  /** Answer to FollowerInfo from a node that is not leading: go back to election at once. */
  | { readonly type: 'NotLeader'; readonly from: number; readonly attempt: number };

// ---------------------------------------------------------------------------------------------------------------
// Storage interface. The broadcast machine emits the first group as outputs; the shell forwards them (in order,
// FIFO) to `<node>/storage`, which answers with the second group, fed back to the machine as inputs.
//
//  - PersistEpochs: write acceptedEpoch/acceptedLeader/currentEpoch durably (fsync), then EpochsPersisted{token}.
//  - AppendLog: append entries to the WAL (group commit); after fsync answer Logged{gen, zxid = last durable}.
//    Entries arrive in zxid order, contiguous with the log.
//  - TruncateLog: drop every entry with zxid > toZxid, durably, before any later AppendLog. Never below the commit
//    point (ZAB guarantees it; storage may assert it).
//  - InstallSnapshot: replace the state machine with the snapshot and the log with an empty one based at its zxid;
//    when durable answer Logged{gen, zxid}.
//  - CommitTo: apply every logged entry up to zxid, in order, exactly once (storage skips what it has applied).
//    Storage answers the client whose txn it applies; that is when a write is acknowledged.
//  - TakeSnapshot: a consistent snapshot at the current apply point: SnapshotTaken{token, snapshot, entries?}.
//    `entries`: what storage has logged after the apply point (logged, not yet applied), in order. A leader's
//    apply point can lag its in-memory log window (after recovery with a lazily persisted commit point, or with a
//    long uncommitted tail), so the SNAP needs them to reach the window.
//  - `gen` (log generation) grows at each TruncateLog/InstallSnapshot: a Logged of an older generation is stale.
//    Logged.gen echoes the gen of the last log command storage processed; it restarts at 0 with the machine.
//
// On start the storage recovers (newest snapshot + log replay, applying only up to its recorded commit point,
// which it may write lazily: replaying a commit twice is skipped by the apply point) and hands the machine Boot.
// ---------------------------------------------------------------------------------------------------------------

export interface DurableEpochs {
  readonly acceptedEpoch: number;
  /** The leader whose NEWEPOCH we accepted for acceptedEpoch (-1 if none or unknown). */
  readonly acceptedLeader: number;
  readonly currentEpoch: number;
}

/** `T`: the txn payload; `D`: the snapshot data (both storage's, opaque to ZAB). */
export type StorageCommand<T = unknown, D = unknown> =
  | ({ readonly type: 'PersistEpochs'; readonly token: number } & DurableEpochs)
  | { readonly type: 'AppendLog'; readonly gen: number; readonly entries: readonly LogEntry<T>[] }
  | { readonly type: 'TruncateLog'; readonly gen: number; readonly toZxid: Zxid }
  | { readonly type: 'InstallSnapshot'; readonly gen: number; readonly snapshot: SnapshotData<D> }
  | { readonly type: 'CommitTo'; readonly zxid: Zxid }
  | { readonly type: 'TakeSnapshot'; readonly token: number };

export type StorageReply<T = unknown, D = unknown> =
  | { readonly type: 'EpochsPersisted'; readonly token: number }
  | { readonly type: 'Logged'; readonly gen: number; readonly zxid: Zxid }
  | { readonly type: 'SnapshotTaken'; readonly token: number; readonly snapshot: SnapshotData<D>; readonly entries?: readonly LogEntry<T>[] };

/** What storage recovered, handed to the broadcast machine once at start. */
export interface BootInfo<T = unknown> {
  readonly epochs: DurableEpochs;
  /** Last durable log zxid (or the snapshot's zxid if the log is empty). */
  readonly lastZxid: Zxid;
  /** The apply point the state machine recovered to. */
  readonly committedZxid: Zxid;
  /** The last up to `logWindowMax` log entries, ascending, ending at lastZxid. */
  readonly logTail: readonly LogEntry<T>[];
  /** The zxid just before logTail[0] (lastZxid if the tail is empty): the leader can DIFF from here on. */
  readonly logTailBase: Zxid;
}

// ---------------------------------------------------------------------------------------------------------------
// The `<node>/broadcast` actor's mailbox, and what it tells clients (front ends).
// On start it sends StorageRecover to `<node>/storage`, which answers StorageRecovered once it has recovered.
// ---------------------------------------------------------------------------------------------------------------

export interface StorageRecover {
  readonly type: 'StorageRecover';
  /** How many log entries to hand back in logTail. */
  readonly logTailMax: number;
}
export interface StorageRecovered<T = unknown> {
  readonly type: 'StorageRecovered';
  readonly boot: BootInfo<T>;
}

/** Client requests to `<node>/broadcast` (from front ends). A write succeeds when storage applies its txn. */
export type BroadcastClientMsg<T = unknown> =
  | { readonly type: 'ClientWrite'; readonly reqId: number; readonly txn: T }
  | { readonly type: 'ClientSync'; readonly reqId: number };

/** Answers to the sender of a ClientWrite / ClientSync. */
export type BroadcastClientReply =
  | { readonly type: 'ClientWriteFailed'; readonly reqId: number; readonly reason: string }
  | { readonly type: 'ClientSyncDone'; readonly reqId: number; readonly zxid: Zxid }
  | { readonly type: 'ClientSyncFailed'; readonly reqId: number; readonly reason: string };

/**
 * What the broadcast shell puts on the wire in place of consecutive Proposals (leader → follower) or Requests
 * (follower → leader) of one turn run to one peer: the receiving shell hands them to its machine one by one, in
 * order, exactly as if they had come singly. The machine never sees these.
 */
export type ZabBatchMsg<T = unknown> =
  | { readonly type: 'Proposals'; readonly from: number; readonly conn: number; readonly epoch: number; readonly entries: readonly LogEntry<T>[] }
  | { readonly type: 'Requests'; readonly from: number; readonly conn: number; readonly items: readonly { readonly reqId: number; readonly txn: T }[] };

export type BroadcastMsg<T = unknown> =
  | ZabPeerMsg<T>
  | ZabBatchMsg<T>
  | StorageReply
  | StorageRecovered<T>
  | ElectionDecided
  | BroadcastClientMsg<T>
  | { readonly type: 'BroadcastTick' }
  | PeerNotice;

/** From the node's runtime, about a peer's connection to it. */
export type PeerNotice =
  /** Bytes are arriving from node `node` (a large message is on its way). */
  | { readonly type: 'PeerActive'; readonly node: string }
  /** Node `node`'s connection to us closed: its process died (ZAB's PeerGone). */
  | { readonly type: 'PeerGone'; readonly node: string };

/** The actor of a node that runs ZAB, which its runtime tells of its peers' connections (PeerNotice). */
export const broadcastActor = 'broadcast';

/** The envelope that tells node `node`'s ZAB actor of a peer's connection. */
export function peerNoticeEnvelope(node: string, msg: PeerNotice): Envelope {
  return { to: address(node, broadcastActor), from: null, msg };
}
